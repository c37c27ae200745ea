"""The journal register: filters, keyset pages over a large journal, CSV, PDF, API."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from vigie.audit import registers
from vigie.audit.models import JournalEntry
from vigie.audit.registers import JournalQuery
from vigie.audit.services import journal
from vigie.audit.tests.register_support import bulk_journal, pdf_title, roles
from vigie.core import actors
from vigie.core.api_testing import token_client
from vigie.recording.holds import place_hold


@pytest.fixture
def entries(world: Any) -> dict[str, Any]:
    """A few entries of each kind, written through the one entry point."""
    with actors.acting_as(actors.person(world.viewer_a)):
        journal("recording.playback", objects=[world.cam_a], member_id=world.a.pk, reason="r1")
        journal("recording.live_start", objects=[world.cam_a], member_id=world.a.pk)
    with actors.acting_as(actors.person(world.viewer_b)):
        journal("recording.playback", objects=[world.cam_b], member_id=world.b.pk, reason="r2")
    with actors.acting_as(actors.system("tests")):
        hold = place_hold(world.a, [world.cam_a], *_window(), reason="OPJ", reference="PV-9")
    return {"hold": hold}


def _window() -> tuple[Any, Any]:
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    return now - timedelta(hours=2), now - timedelta(hours=1)


def _ids(qs: Any) -> list[str]:
    return [e.action for e in qs]


def test_filters(world: Any, entries: Any) -> None:
    dpo = roles(world).auditor
    by_person = registers.journal_entries(dpo, JournalQuery(actor="viewer-a"))
    assert _ids(by_person) == ["recording.live_start", "recording.playback"]
    by_action = registers.journal_entries(dpo, JournalQuery(action="recording.playback"))
    assert {e.actor_name for e in by_action} == {"viewer-a", "viewer-b"}
    # An action prefix covers its sub-actions (place and release of a hold).
    prefix = registers.journal_entries(dpo, JournalQuery(action="recording.legalhold"))
    assert "recording.legalhold.place" in _ids(prefix)
    # A camera: its own entries and the hold naming it in its details.
    by_camera = _ids(registers.journal_entries(dpo, JournalQuery(camera=world.cam_a.pk)))
    assert "recording.playback" in by_camera and "recording.legalhold.place" in by_camera
    assert all(
        world.cam_b.name not in e.object_repr
        for e in registers.journal_entries(dpo, JournalQuery(camera=world.cam_a.pk))
    )
    by_member = registers.journal_entries(dpo, JournalQuery(members=(world.b.pk,)))
    assert {e.member_id for e in by_member} == {world.b.pk}


def test_member_scoped_reader_sees_only_their_members(world: Any, entries: Any) -> None:
    reader = roles(world).auditor_a
    seen = registers.journal_entries(reader, JournalQuery())
    assert {e.member_id for e in seen} == {world.a.pk}
    # Asking for another member's entries gives nothing, not an error.
    assert not registers.journal_entries(reader, JournalQuery(members=(world.b.pk,))).exists()


def test_camera_filter_does_not_match_other_ids(world: Any) -> None:
    """Camera 1 must not match camera 11 or 21 in a hold's list of cameras."""
    dpo = roles(world).auditor
    journal("x.hold", details={"cameras": [11, 21]})
    journal("x.hold", details={"cameras": [3, 1]})
    journal("x.obj", details={"camera": 1})
    found = registers.journal_entries(dpo, JournalQuery(camera=1, action="x"))
    assert sorted(str(e.details) for e in found) == sorted(
        [str({"cameras": [3, 1]}), str({"camera": 1})]
    )


def test_page_over_a_large_journal(
    client: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    bulk_journal(10_000, member_id=world.a.pk)
    client.force_login(roles(world).auditor)
    url = reverse("journal_register")
    with django_assert_max_num_queries(22):
        response = client.get(url, {"member": "antony", "action": "recording"})
    assert response.status_code == 200
    entries = response.context["entries"]
    assert len(entries) == settings.VIGIE_PAGE_SIZE
    next_url = response.context["next_url"]
    assert next_url and "before=" in next_url
    with django_assert_max_num_queries(22):
        second = client.get(url + next_url)
    older = second.context["entries"]
    assert len(older) == settings.VIGIE_PAGE_SIZE
    assert older[0].pk < entries[-1].pk
    # Reading the journal is itself journaled, with the filters.
    last = JournalEntry.objects.order_by("-id").first()
    assert last is not None and last.action == "audit.register_viewed"
    assert last.details["filters"]["member"] == "antony"
    assert last.details["before"] == entries[-1].pk


def test_journal_page_reads_a_bounded_slice(world: Any) -> None:
    bulk_journal(1200)
    qs = registers.journal_entries(roles(world).auditor, JournalQuery())
    page = registers.journal_page(qs, None, 50)
    assert len(page.entries) == 50 and page.next_before == page.entries[-1].pk
    oldest = qs.last()
    assert oldest is not None
    last = registers.journal_page(qs, oldest.pk + 1, 50)
    assert len(last.entries) == 1 and last.next_before is None


def test_csv_streams_the_whole_selection(client: Any, world: Any) -> None:
    bulk_journal(1500, member_id=world.b.pk, actor_name="bulk-b")
    client.force_login(roles(world).auditor)
    response = client.get(reverse("journal_register_csv"), {"actor": "bulk-b"})
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 1 + 1500
    assert len(rows[0]) == len(registers.JOURNAL_COLUMNS)
    assert {r[3] for r in rows[1:]} == {"Sceaux"}
    ids = [int(r[0]) for r in rows[1:]]
    assert ids == sorted(ids, reverse=True)
    exported = JournalEntry.objects.filter(action="audit.register_exported").last()
    assert exported is not None
    assert exported.details["filters"]["actor"] == "bulk-b"
    assert exported.details["format"] == "csv"


def test_pdf_bounded(client: Any, world: Any, entries: Any, monkeypatch: Any) -> None:
    client.force_login(roles(world).auditor)
    response = client.get(reverse("journal_register_pdf"), {"member": "antony"})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert pdf_title(response.content)
    monkeypatch.setattr(registers, "JOURNAL_PDF_MAX_ROWS", 2)
    refused = client.get(reverse("journal_register_pdf"))
    assert refused.status_code == 400
    assert "CSV" in refused.content.decode()


def test_who_may_read_the_journal(client: Any, world: Any) -> None:
    people = roles(world)
    for user in (world.viewer_a, people.technician, people.operator):
        client.force_login(user)
        for name in ("journal_register", "journal_register_csv", "journal_register_pdf"):
            assert client.get(reverse(name)).status_code == 403
    for user in (people.auditor, world.superadmin, world.admin_a):
        client.force_login(user)
        assert client.get(reverse("journal_register")).status_code == 200


def test_invalid_filter_shows_nothing(client: Any, world: Any, entries: Any) -> None:
    client.force_login(roles(world).auditor_a)
    response = client.get(reverse("journal_register"), {"member": "sceaux"})
    assert response.status_code == 400
    assert response.context["entries"] == []


# ---------------------------------------------------------------- API


def test_api_journal_keyset(world: Any) -> None:
    bulk_journal(250, member_id=world.a.pk)
    client = token_client(roles(world).auditor)
    url = reverse("v1:journal-register")
    first = client.get(url, {"member": "antony", "limit": "100"})
    assert first.status_code == 200, first.content
    body = first.json()
    assert len(body["results"]) == 100 and body["next"]
    second = client.get(body["next"]).json()
    assert second["results"][0]["id"] < body["results"][-1]["id"]
    assert client.get(url, {"limit": "x"}).status_code == 400
    assert token_client(world.viewer_a).get(url).status_code == 403


def test_api_register(world: Any) -> None:
    client = token_client(roles(world).auditor)
    response = client.get(reverse("v1:register", args=["antony", "recordings"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member"] == "antony"
    assert [r["camera"] for r in body["tables"]["cameras"]["rows"]] == ["ANT-001 Parvis"]
    viewer = token_client(world.viewer_a)
    assert viewer.get(reverse("v1:register", args=["antony", "holds"])).status_code == 200
    assert viewer.get(reverse("v1:register", args=["sceaux", "holds"])).status_code == 404
    tech = token_client(roles(world).technician)
    assert tech.get(reverse("v1:register", args=["antony", "holds"])).status_code == 403
    bad = client.get(reverse("v1:register", args=["antony", "holds"]) + "?from=x")
    assert bad.status_code == 400
