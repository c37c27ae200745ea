"""Monthly report: exact figures on a synthetic month; CSV and PDF; API, page, CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from vigie.core import actors
from vigie.core.api_testing import token_client
from vigie.core.testing import make_camera, make_member, make_user
from vigie.servicedesk import reports, services
from vigie.servicedesk.models import Status, Ticket
from vigie.servicedesk.tests.factories import make_ticket, paris

NOW = paris(2026, 3, 30, 15)


@pytest.fixture
def month(db: Any) -> dict[str, Any]:
    member = make_member(slug="antony", departement="92")
    other = make_member(slug="sceaux")
    tech = make_user(role="technician", members=[member, other])
    # T1: a P2 answered, worked and resolved the same day: both deadlines met.
    t1 = make_ticket(member, impact=1, urgency=2, opened_at=paris(2026, 3, 2, 9))
    # T2: an automatic P3 worked late: both deadlines missed.
    with actors.acting_as(actors.system("supervision")):
        t2 = services.camera_down(
            make_camera(member), paris(2026, 3, 3, 10), "down", at=paris(2026, 3, 3, 10)
        )
    # T3: a P4 request, no deadline. T4: a P1 still open. T5: cancelled.
    make_ticket(
        member, kind="request", category="it", impact=3, urgency=2, opened_at=paris(2026, 3, 4, 11)
    )
    make_ticket(member, category="recorder", impact=1, urgency=1, opened_at=paris(2026, 3, 30, 14))
    t5 = make_ticket(
        member,
        kind="request",
        category="storage",
        impact=3,
        urgency=1,
        opened_at=paris(2026, 3, 10, 9),
    )
    # Another member's ticket, and one of April (local time) in ours.
    make_ticket(other, opened_at=paris(2026, 3, 12, 9))
    make_ticket(member, opened_at=paris(2026, 4, 1, 0, 30))
    with actors.acting_as(tech):
        services.assign(t1, user=tech, at=paris(2026, 3, 2, 9, 30))
        services.change_status(t1, Status.IN_PROGRESS, at=paris(2026, 3, 2, 10))
        services.resolve(t1, at=paris(2026, 3, 2, 16))
        services.change_status(t2, Status.IN_PROGRESS, at=paris(2026, 3, 5, 10))
        services.resolve(t2, at=paris(2026, 3, 6, 11))
        services.change_status(t5, Status.CANCELLED, at=paris(2026, 3, 10, 9, 30))
    return {"member": member, "other": other, "tech": tech}


def test_figures_of_the_month(month: dict[str, Any]) -> None:
    tickets = Ticket.objects.unrestricted()
    report = reports.monthly_report(tickets, date(2026, 3, 1), month["member"], now=NOW)
    data = report.as_dict()
    assert data["tickets"] == 5 and data["automatic"] == 1
    assert data["by_kind"] == {"incident": 3, "request": 2}
    assert data["by_category"] == {
        "camera": 1,
        "network": 1,
        "recorder": 1,
        "storage": 1,
        "it": 1,
    }
    assert data["by_priority"] == {"P1": 1, "P2": 1, "P3": 2, "P4": 1}
    assert data["by_status"]["resolved"] == 2 and data["by_status"]["new"] == 2
    assert data["by_status"]["cancelled"] == 1
    assert data["intervention"] == {"met": 1, "missed": 2, "pending": 0, "rate": 33.3}
    assert data["resolution"] == {"met": 1, "missed": 1, "pending": 1, "rate": 50.0}
    assert data["by_priority_sla"]["P1"] == {
        "tickets": 1,
        "intervention": {"met": 0, "missed": 1, "pending": 0, "rate": 0.0},
        "resolution": {"met": 0, "missed": 0, "pending": 1, "rate": None},
    }
    assert data["by_priority_sla"]["P3"]["tickets"] == 2
    assert data["by_priority_sla"]["P3"]["resolution"]["missed"] == 1
    # Business hours: T1 0.5 / 1 / 5.5; T2 10 / 10 / 16.
    assert data["mean_first_answer_hours"] == 5.25
    assert data["mean_intervention_hours"] == 5.5
    assert data["mean_resolution_hours"] == 10.75
    everyone = reports.monthly_report(tickets, date(2026, 3, 1), None, now=NOW)
    assert everyone.tickets == 6 and everyone.as_dict()["member"] is None


def test_csv_and_pdf(month: dict[str, Any]) -> None:
    report = reports.monthly_report(
        Ticket.objects.unrestricted(), date(2026, 3, 1), month["member"], now=NOW
    )
    rows = list(csv.DictReader(io.StringIO(reports.to_csv([report]))))
    assert len(rows) == 1
    row = rows[0]
    assert row["month"] == "2026-03" and row["member"] == "antony" and row["tickets"] == "5"
    assert row["intervention_missed"] == "2" and row["resolution_pending"] == "1"
    assert row["mean_resolution_hours"] == "10.75" and row["priority_P3"] == "2"
    pdf = reports.to_pdf([report])
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_report_api_page_and_cli(month: dict[str, Any], tmp_path: Path) -> None:
    town = make_user(role="town_viewer", members=[month["member"]])
    client = token_client(town)
    url = reverse("v1:servicedesk-report")
    data = client.get(url, {"month": "2026-03"}).json()
    assert data["tickets"] == 5  # only their member's
    assert client.get(url, {"month": "2026-03", "member": "sceaux"}).status_code == 404
    assert client.get(url, {"month": "March"}).status_code == 400
    response = client.get(url, {"month": "2026-03", "output": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert token_client(make_user()).get(url, {"month": "2026-03"}).status_code == 403
    client.force_login(town)
    page = client.get(reverse("servicedesk_report"), {"month": "2026-03"})
    assert page.status_code == 200 and "P4" in page.content.decode()
    response = client.get(reverse("servicedesk_report"), {"month": "2026-03", "output": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    out = io.StringIO()
    call_command("servicedesk", "report", "--month", "2026-03", "--member", "antony", stdout=out)
    assert json.loads(out.getvalue())["tickets"] == 5
    target = tmp_path / "r.csv"
    call_command("servicedesk", "report", "--month", "2026-03", "--csv", str(target), stdout=out)
    assert target.read_text().splitlines()[1].split(",")[2] == "6"
    target = tmp_path / "r.pdf"
    call_command("servicedesk", "report", "--month", "2026-03", "--pdf", str(target), stdout=out)
    assert target.read_bytes().startswith(b"%PDF")
