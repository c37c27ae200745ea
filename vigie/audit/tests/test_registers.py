"""The registers of recordings, holds and deliveries: contents, CSV, PDF, access, journal."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from typing import Any

import pytest
from django.urls import reverse

from vigie.audit import registers
from vigie.audit.models import JournalEntry
from vigie.audit.registers import Period
from vigie.audit.tests.register_support import (
    END,
    START,
    at,
    delivery,
    destruction,
    hold,
    pdf_title,
    roles,
)
from vigie.core.testing import make_camera

PERIOD = Period(START, END)
QUERY = {"from": START.isoformat(), "to": END.isoformat()}


@pytest.fixture
def data(world: Any) -> dict[str, Any]:
    cam_a2 = make_camera(world.a, name="ANT-002 Gare", retention_days=7)
    inside = destruction(world.a, world.cam_a, at(10, 3))
    inside2 = destruction(world.a, cam_a2, at(20, 4), cause="disk_pressure", segment_count=60)
    destruction(world.a, world.cam_a, at(10, 3, month=4))  # after the period
    destruction(world.b, world.cam_b, at(12, 3))  # another member
    placed = hold(world.a, [world.cam_a, cam_a2], at(5), reference="PV-A-1")
    released = hold(world.a, [world.cam_a], at(1, month=2), at(15), reference="PV-A-2")
    hold(world.a, [world.cam_a], at(1, month=1), at(1, month=2), reference="PV-A-OLD")
    hold(world.b, [world.cam_b], at(6), reference="PV-B-1")
    return {
        "cam_a2": cam_a2,
        "inside": inside,
        "inside2": inside2,
        "placed": placed,
        "released": released,
    }


def test_recordings_register_contents(world: Any, data: dict[str, Any]) -> None:
    who = roles(world).auditor
    register = registers.recordings_register(who, world.a, PERIOD)
    cameras, policy, destroyed = register.tables
    assert [r["camera"] for r in cameras.rows] == ["ANT-001 Parvis", "ANT-002 Gare"]
    parvis = cameras.rows[0]
    assert parvis["retention_days"] == 14
    assert parvis["authorisation"] == "AUT-ANT-2021"
    assert parvis["authorisation_expires_on"] == world.auth_a.expires_on
    assert cameras.rows[1]["retention_days"] == 7
    assert cameras.rows[1]["authorisation"] == ""
    assert policy.rows == [{"min_days_kept": 0}]
    assert destroyed.rows == [
        {
            "destroyed_at": data["inside"].destroyed_at,
            "camera": "ANT-001 Parvis",
            "footage_from": data["inside"].period_start,
            "footage_until": data["inside"].period_end,
            "segments": 1440,
            "bytes": 3_000_000_000,
            "cause": str(data["inside"].get_cause_display()),
        },
        {
            "destroyed_at": data["inside2"].destroyed_at,
            "camera": "ANT-002 Gare",
            "footage_from": data["inside2"].period_start,
            "footage_until": data["inside2"].period_end,
            "segments": 60,
            "bytes": 3_000_000_000,
            "cause": str(data["inside2"].get_cause_display()),
        },
    ]
    assert destroyed.rows[0]["destroyed_at"] == at(10, 3)
    # The CSV table: each destruction with its camera's retention and authorisation.
    assert [(r["camera"], r["retention_days"]) for r in register.csv_table.rows] == [
        ("ANT-001 Parvis", 14),
        ("ANT-002 Gare", 7),
    ]


def test_holds_register_contents(world: Any, data: dict[str, Any]) -> None:
    register = registers.holds_register(roles(world).auditor, world.a, PERIOD)
    rows = register.tables[0].rows
    # In force during March: PV-A-2 (placed in February, released on 15 March) and PV-A-1.
    assert [r["reference"] for r in rows] == ["PV-A-2", "PV-A-1"]
    released = rows[0]
    assert released["released_at"] == at(15)
    assert released["placed_at"] == at(1, month=2)
    assert released["release_reason"] == "Procédure close"
    assert released["placed_by"] in ("system", "système")  # placed by a system party
    assert rows[1]["cameras"] == "ANT-001 Parvis, ANT-002 Gare"
    assert rows[1]["released_at"] is None
    assert rows[1]["reason"] == "Réquisition OPJ"


def test_deliveries_register(world: Any) -> None:
    if registers.delivery_model() is None:
        table = registers.deliveries_register(roles(world).auditor, world.a, PERIOD).tables[0]
        assert table.unavailable and table.rows == []
        return
    inside = delivery(world.a, at(12, 15))
    delivery(world.a, at(12, 15, month=4), procedure="PV-LATER")
    delivery(world.b, at(13, 15), procedure="PV-SCEAUX")
    table = registers.deliveries_register(roles(world).auditor, world.a, PERIOD).tables[0]
    assert not table.unavailable
    assert table.rows == [
        {
            "delivered_at": inside.delivered_at,
            "procedure": "PV-2026-000123",
            "service": str(inside.requisition.get_service_display()),
            "requesting_officer": "Lt. Martin",
            "officer_name": "Brigadier Durand",
            "medium_reference": "DVD-0042",
            "package_sha256": "ab" * 32,
        }
    ]
    # The town's viewer sees their own deliveries; the other town's, none of them.
    assert len(registers.deliveries_register(world.viewer_a, world.a, PERIOD).tables[0].rows) == 1


# ---------------------------------------------------------------- web: page, CSV, PDF


def test_page_shows_the_register_and_is_journaled(client: Any, world: Any, data: Any) -> None:
    client.force_login(roles(world).auditor)
    before = JournalEntry.objects.count()
    response = client.get(reverse("register", args=["antony", "recordings"]), QUERY)
    assert response.status_code == 200
    text = response.content.decode()
    assert "ANT-002 Gare" in text and "AUT-ANT-2021" in text
    assert "SCX-001" not in text
    entry = JournalEntry.objects.order_by("-id").first()
    assert JournalEntry.objects.count() == before + 1
    assert entry is not None and entry.action == "audit.register_viewed"
    assert entry.member_id == world.a.pk
    assert entry.details["register"] == "recordings"
    assert entry.details["from"] == START.isoformat()


def _csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_round_trip(client: Any, world: Any, data: Any) -> None:
    client.force_login(roles(world).auditor)
    response = client.get(reverse("register_csv", args=["antony", "recordings"]), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    header, body = rows[0], rows[1:]
    assert len(header) == len(registers.CAMERA_COLUMNS) + len(registers.DESTRUCTION_COLUMNS) - 1
    assert all(len(r) == len(header) for r in body)
    assert [r[0] for r in body] == ["ANT-001 Parvis", "ANT-002 Gare"]
    # The site's accents survive the trip; dates are ISO in Paris time.
    assert body[0][1] == "Hôtel de ville"
    assert "2026-03-10T03:00:00+01:00" in body[0]
    entry = JournalEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "audit.register_exported"
    assert entry.details["format"] == "csv"
    assert entry.details["rows"] == 2
    assert entry.details["to"] == END.isoformat()


def test_holds_csv(client: Any, world: Any, data: Any) -> None:
    client.force_login(roles(world).auditor)
    response = client.get(reverse("register_csv", args=["antony", "holds"]), QUERY)
    rows = _csv_rows(response)
    assert [r[0] for r in rows[1:]] == ["PV-A-2", "PV-A-1"]
    assert rows[1][4] == "Réquisition OPJ"


def test_pdf(client: Any, world: Any, data: Any) -> None:
    client.force_login(roles(world).auditor)
    response = client.get(reverse("register_pdf", args=["antony", "recordings"]), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF")
    assert "Antony" in pdf_title(content)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
        ).stdout.decode()
        assert "Antony" in text
        assert "ANT-002 Gare" in text
    entry = JournalEntry.objects.order_by("-id").first()
    assert entry is not None and entry.details["format"] == "pdf"


def test_index_lists_allowed_members(client: Any, world: Any) -> None:
    client.force_login(world.viewer_a)
    response = client.get(reverse("register_index"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "/registers/antony/recordings/" in text
    assert "/registers/sceaux/" not in text
    assert reverse("journal_register") not in text


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("kind", registers.KINDS)
def test_town_viewer_own_member_only(client: Any, world: Any, data: Any, kind: str) -> None:
    client.force_login(world.viewer_a)
    assert client.get(reverse("register", args=["antony", kind]), QUERY).status_code == 200
    for name in ("register", "register_csv", "register_pdf"):
        assert client.get(reverse(name, args=["sceaux", kind]), QUERY).status_code == 404
    client.force_login(world.viewer_b)
    assert client.get(reverse("register", args=["antony", kind]), QUERY).status_code == 404


def test_town_viewer_sees_own_destructions(world: Any, data: Any) -> None:
    register = registers.recordings_register(world.viewer_a, world.a, PERIOD)
    assert len(register.tables[2].rows) == 2
    assert not register.tables[2].unavailable


def test_auditor_sees_every_member(client: Any, world: Any, data: Any) -> None:
    client.force_login(roles(world).auditor)
    for slug in ("antony", "sceaux"):
        response = client.get(reverse("register", args=[slug, "holds"]), QUERY)
        assert response.status_code == 200
    assert "PV-B-1" in response.content.decode()


def test_member_scoped_auditor(client: Any, world: Any) -> None:
    client.force_login(roles(world).auditor_a)
    assert client.get(reverse("register", args=["antony", "holds"])).status_code == 200
    assert client.get(reverse("register", args=["sceaux", "holds"])).status_code == 404


def test_admin_sees_registers(client: Any, world: Any) -> None:
    client.force_login(world.superadmin)
    assert client.get(reverse("register", args=["sceaux", "recordings"])).status_code == 200
    client.force_login(world.admin_a)
    assert client.get(reverse("register", args=["antony", "recordings"])).status_code == 200
    assert client.get(reverse("register", args=["sceaux", "recordings"])).status_code == 404


@pytest.mark.parametrize("who", ["technician", "operator"])
def test_technicians_and_operators_get_nothing(client: Any, world: Any, who: str) -> None:
    client.force_login(getattr(roles(world), who))
    assert client.get(reverse("register_index")).status_code == 403
    for name in ("register", "register_csv", "register_pdf"):
        assert client.get(reverse(name, args=["antony", "recordings"])).status_code == 403
    assert client.get(reverse("journal_register")).status_code == 403


def test_anonymous_is_sent_to_login(client: Any, world: Any) -> None:
    response = client.get(reverse("register", args=["antony", "recordings"]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_bad_period_is_400(client: Any, world: Any) -> None:
    client.force_login(roles(world).auditor)
    url = reverse("register", args=["antony", "recordings"])
    assert client.get(url, {"from": "2026-03-10", "to": "2026-03-01"}).status_code == 400
    assert client.get(url, {"from": "not-a-date"}).status_code == 400
