"""Pages and command line of the requests from persons."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from vigie.audit.models import JournalEntry, SubjectRequest
from vigie.audit.tests.register_support import roles
from vigie.audit.tests.test_subject_requests import make_request
from vigie.core.api_testing import token_client
from vigie.recording.models import LegalHold


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_list_shows_deadlines_and_late(client: Any, world: Any) -> None:
    late = make_request(world.a, received_on=timezone.localdate() - timedelta(days=40))
    on_time = make_request(world.a, requester_name="M. Petit")
    make_request(world.b, requester_name="Mme Sceaux")
    client.force_login(world.viewer_a)
    response = client.get(reverse("subjectrequest_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert late.reference in text and on_time.reference in text
    assert "Mme Sceaux" not in text
    assert "row-expired" in text
    filtered = client.get(reverse("subjectrequest_list"), {"late": "true"})
    assert on_time.reference not in filtered.content.decode()


def test_detail_isolation_and_journal(client: Any, world: Any) -> None:
    obj = make_request(world.a)
    client.force_login(world.viewer_b)
    assert client.get(reverse("subjectrequest_detail", args=[obj.pk])).status_code == 404
    assert client.get(reverse("subjectrequest_edit", args=[obj.pk])).status_code == 404
    assert client.get(reverse("subjectrequest_transition", args=[obj.pk])).status_code == 404
    client.force_login(world.viewer_a)
    response = client.get(reverse("subjectrequest_detail", args=[obj.pk]))
    assert response.status_code == 200
    assert "Mme Martin" in response.content.decode()
    seen = JournalEntry.objects.filter(action="audit.subjectrequest.view").last()
    assert seen is not None and seen.actor_name == "viewer-a"


@pytest.mark.parametrize("who", ["technician", "operator"])
def test_others_get_nothing(client: Any, world: Any, who: str) -> None:
    obj = make_request(world.a)
    client.force_login(getattr(roles(world), who))
    assert client.get(reverse("subjectrequest_list")).status_code == 403
    assert client.get(reverse("subjectrequest_detail", args=[obj.pk])).status_code == 404
    assert client.get(reverse("subjectrequest_add")).status_code == 403


def test_auditor_reads_but_does_not_change(client: Any, world: Any) -> None:
    obj = make_request(world.a)
    client.force_login(roles(world).auditor)
    response = client.get(reverse("subjectrequest_detail", args=[obj.pk]))
    assert response.status_code == 200
    assert reverse("subjectrequest_edit", args=[obj.pk]) not in response.content.decode()
    assert client.get(reverse("subjectrequest_transition", args=[obj.pk])).status_code == 403


def test_add_and_move_on_through_the_pages(client: Any, world: Any) -> None:
    client.force_login(world.viewer_a)
    start = timezone.now() - timedelta(days=1)
    data = {
        "member": world.a.pk,
        "kind": "access",
        "received_on": timezone.localdate().isoformat(),
        "requester_name": "M. Leroy",
        "requester_contact": "leroy@example.org",
        "identity_reference": "",
        "place": "Parvis",
        "window_start": _local(start),
        "window_end": _local(start + timedelta(minutes=20)),
        "cameras": [world.cam_a.pk],
        "extra_polygons": "[[[0, 0], [0.3, 0], [0.3, 0.3]]]",
        "notes": "",
    }
    response = client.post(reverse("subjectrequest_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    obj = SubjectRequest.objects.unrestricted().get(requester_name="M. Leroy")
    assert obj.extra_polygons == [[[0.0, 0.0], [0.3, 0.0], [0.3, 0.3]]]
    url = reverse("subjectrequest_transition", args=[obj.pk])
    assert client.post(url, {"status": "searching"}).status_code == 302
    assert client.post(url, {"status": "found"}).status_code == 302
    obj.refresh_from_db()
    assert obj.status == "found" and obj.hold_id is not None
    # An answer without its text stays on the form.
    assert client.post(url, {"status": "answered"}).status_code == 400
    assert client.post(url, {"status": "answered", "text": "Copie remise."}).status_code == 302
    assert client.post(url, {"status": "closed"}).status_code == 302
    assert not LegalHold.objects.unrestricted().get(pk=obj.hold_id).active
    edit = client.get(reverse("subjectrequest_edit", args=[obj.pk]))
    assert edit.status_code == 200  # the page exists; the write is refused:
    data["notes"] = "trop tard"
    refused = client.post(reverse("subjectrequest_edit", args=[obj.pk]), data)
    assert refused.status_code == 400


def test_bad_polygons_on_the_form(client: Any, world: Any) -> None:
    obj = make_request(world.a)
    client.force_login(world.viewer_a)
    data = {
        "member": world.a.pk,
        "kind": "access",
        "received_on": obj.received_on.isoformat(),
        "requester_name": obj.requester_name,
        "requester_contact": obj.requester_contact,
        "place": obj.place,
        "window_start": _local(obj.window_start),
        "window_end": _local(obj.window_end),
        "extra_polygons": "[[[0, 0], [2, 0], [0.3, 0.3]]]",
    }
    response = client.post(reverse("subjectrequest_edit", args=[obj.pk]), data)
    assert response.status_code == 400
    assert "extra_polygons" in response.context["form"].errors


def test_extend_page(client: Any, world: Any) -> None:
    obj = make_request(world.a)
    client.force_login(world.admin_a)
    url = reverse("subjectrequest_extend", args=[obj.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Recherche sur 12 caméras"}).status_code == 302
    obj.refresh_from_db()
    assert obj.extended


def test_api_transition_and_extend(world: Any) -> None:
    obj = make_request(world.a, cameras=[world.cam_a])
    client = token_client(world.viewer_a)
    url = reverse("v1:subjectrequest-transition", args=[obj.pk])
    assert client.post(url, {"status": "found"}, format="json").status_code == 400
    assert client.post(url, {"status": "searching"}, format="json").status_code == 200
    body = client.post(url, {"status": "found"}, format="json").json()
    assert body["status"] == "found" and body["hold"]
    extend = reverse("v1:subjectrequest-extend", args=[obj.pk])
    assert client.post(extend, {"reason": "Complexe"}, format="json").json()["extended"]
    other = token_client(world.viewer_b)
    assert other.post(url, {"status": "refused"}, format="json").status_code == 404
    assert client.delete(reverse("v1:subjectrequest-detail", args=[obj.pk])).status_code == 405
    bad = client.patch(
        reverse("v1:subjectrequest-detail", args=[obj.pk]),
        {"extra_polygons": [[[0, 0], [1, 0]]]},
        format="json",
    )
    assert bad.status_code == 400 and "extra_polygons" in bad.json()


# ---------------------------------------------------------------- command line


def test_cli_add_list_close(world: Any) -> None:
    out = StringIO()
    call_command(
        "subject_request",
        "add",
        "--member",
        "antony",
        "--name",
        "M. Cli",
        "--contact",
        "cli@example.org",
        "--place",
        "Gare",
        "--from",
        "2026-11-20T08:00",
        "--until",
        "2026-11-20T08:30",
        "--camera",
        world.cam_a.name,
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["status"] == "received" and data["cameras"] == [world.cam_a.pk]
    pk = data["id"]
    call_command(
        "subject_request",
        "status",
        str(pk),
        "--to",
        "refused",
        "--ground",
        "Art. 12(5)",
        "--text",
        "Non",
        stdout=StringIO(),
    )
    call_command("subject_request", "close", str(pk), stdout=StringIO())
    listing = StringIO()
    call_command("subject_request", "list", "--member", "antony", "--json", stdout=listing)
    rows = json.loads(listing.getvalue())
    assert [r["status"] for r in rows] == ["closed"]
    with pytest.raises(CommandError):
        call_command("subject_request", "close", str(pk), stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("subject_request", "list", "--as", "viewer-b", "--member", "antony")
