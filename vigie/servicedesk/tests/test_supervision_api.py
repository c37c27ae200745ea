"""camera_down / camera_recovered: what the supervision calls (one ticket per outage)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from vigie.core import actors
from vigie.core.testing import make_camera, make_member, make_user
from vigie.servicedesk import services
from vigie.servicedesk.models import Category, Kind, Status, Ticket, TicketComment
from vigie.servicedesk.tests.factories import paris, set_auto_resolve

SUPERVISION = actors.system("supervision")


def down(camera: Any, at: datetime, cause: str) -> Ticket:
    """camera_down with its opening at `at` (the outage declared when it began)."""
    return services.camera_down(camera, at, cause, at=at)


def test_camera_down_opens_one_ticket_per_outage(db: Any) -> None:
    member = make_member()
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        first = services.camera_down(
            camera, paris(2026, 3, 2, 10), "no RTSP answer", at=paris(2026, 3, 2, 10)
        )
        for _ in range(5):
            again = services.camera_down(
                camera, paris(2026, 3, 2, 10, 5), "no RTSP answer", at=paris(2026, 3, 2, 10, 5)
            )
            assert again.pk == first.pk
    tickets = Ticket.objects.unrestricted().filter(camera=camera)
    assert tickets.count() == 1
    ticket = tickets.get()
    assert ticket.automatic and ticket.reporter_name == "automatic" and ticket.reporter is None
    assert ticket.kind == Kind.INCIDENT and ticket.category == Category.CAMERA
    assert (ticket.impact, ticket.urgency, ticket.priority) == (2, 2, 3)
    assert ticket.member_id == member.pk and ticket.status == Status.NEW
    assert ticket.source_key == f"camera:{camera.pk}"
    assert ticket.resolution_due is not None and ticket.intervention_due is not None
    assert "no RTSP answer" in ticket.description


def test_other_cameras_get_their_own_ticket(db: Any) -> None:
    member = make_member()
    a, b = make_camera(member), make_camera(member)
    with actors.acting_as(SUPERVISION):
        ta = down(a, paris(2026, 3, 2, 10), "down")
        tb = down(b, paris(2026, 3, 2, 10), "down")
    assert ta.pk != tb.pk


def test_recovered_without_auto_resolve_only_notes(db: Any) -> None:
    member = make_member()
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        ticket = services.camera_down(
            camera, paris(2026, 3, 2, 10), "down", at=paris(2026, 3, 2, 10)
        )
        back = services.camera_recovered(camera, paris(2026, 3, 2, 11, 30))
    assert back is not None and back.pk == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.resolved_at is None
    notes = TicketComment.objects.unrestricted().filter(ticket=ticket)
    assert notes.count() == 1 and "2026-03-02 11:30" in notes.get().text
    # Still open: the next outage of that camera is the same ticket.
    with actors.acting_as(SUPERVISION):
        assert down(camera, paris(2026, 3, 2, 12), "down").pk == ticket.pk


def test_recovered_with_auto_resolve_resolves_then_new_outage_new_ticket(db: Any) -> None:
    member = make_member()
    set_auto_resolve(member)
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        ticket = services.camera_down(
            camera, paris(2026, 3, 2, 10), "down", at=paris(2026, 3, 2, 10)
        )
        back = services.camera_recovered(camera, paris(2026, 3, 2, 11, 30))
    assert back is not None
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at == paris(2026, 3, 2, 11, 30)
    with actors.acting_as(SUPERVISION):
        assert services.camera_recovered(camera, paris(2026, 3, 2, 11, 40)) is None
        again = services.camera_down(
            camera, paris(2026, 3, 2, 12), "down", at=paris(2026, 3, 2, 12)
        )
    assert again.pk != ticket.pk


def test_recovered_without_ticket_is_none(db: Any) -> None:
    camera = make_camera(make_member())
    with actors.acting_as(SUPERVISION):
        assert services.camera_recovered(camera, paris(2026, 3, 2, 10)) is None


def test_automatic_impact_and_urgency_from_member_settings(db: Any) -> None:
    member = make_member()
    set_auto_resolve(member, False, automatic_impact=1, automatic_urgency=1)
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        ticket = services.camera_down(
            camera, paris(2026, 3, 2, 10), "down", at=paris(2026, 3, 2, 10)
        )
    assert ticket.priority == 1


def test_camera_down_notifies_the_desk(db: Any, mailoutbox: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member], email="tech@example.org")
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        ticket = services.camera_down(
            camera, paris(2026, 3, 2, 10), "down", at=paris(2026, 3, 2, 10)
        )
    assert tech.notifications.filter(ticket=ticket, read=False).count() == 1
    assert [m.to for m in mailoutbox] == [["tech@example.org"]]
    assert ticket.reference in mailoutbox[0].subject


def test_the_supervisions_call_opens_now(db: Any) -> None:
    """The three-argument call of the supervision: opened now, `since` in the text."""
    member = make_member()
    set_auto_resolve(member)
    camera = make_camera(member)
    since = timezone.now() - timedelta(minutes=10)
    with actors.acting_as(actors.system("supervision")):
        ticket = services.camera_down(camera, since, "recording stopped")
        assert services.camera_down(camera, since, "recording stopped").pk == ticket.pk
        back = services.camera_recovered(camera, timezone.now())
    assert ticket.opened_at > since
    assert back is not None and back.status == Status.RESOLVED


def test_the_database_refuses_a_second_open_automatic_ticket(db: Any) -> None:
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    member = make_member()
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        first = down(camera, paris(2026, 3, 2, 10), "down")
        twin = Ticket(
            member=member,
            category=Category.CAMERA,
            title="twin",
            automatic=True,
            source_key=first.source_key,
            opened_at=paris(2026, 3, 2, 10),
        )
        with pytest.raises((ValidationError, IntegrityError)), transaction.atomic():
            twin.save()


def test_camera_down_returns_the_winner_of_a_race(db: Any, monkeypatch: Any) -> None:
    """Between our look-up and our insert another process opened the ticket."""
    member = make_member()
    camera = make_camera(member)
    with actors.acting_as(SUPERVISION):
        winner = down(camera, paris(2026, 3, 2, 10), "down")
        calls = iter([None, winner])
        monkeypatch.setattr(services, "_open_automatic", lambda key: next(calls))
        assert services.camera_down(camera, paris(2026, 3, 2, 10), "down").pk == winner.pk
