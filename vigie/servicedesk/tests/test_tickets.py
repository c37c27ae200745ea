"""End-to-end: tickets get the convention's deadlines, pauses move them, escalation
notifies the next level once, notifications go by e-mail and to the UI."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import as_system, make_camera, make_member, make_user
from vigie.servicedesk import services, sla
from vigie.servicedesk.models import (
    Contractor,
    Notification,
    Status,
    Ticket,
    TicketEscalation,
    TicketStatusChange,
)
from vigie.servicedesk.tests.factories import make_ticket, paris


def test_moselle_ticket_skips_26_december(db: Any) -> None:
    moselle = make_member(departement="57")
    paris_area = make_member(departement="92")
    # A P2 (i2 × U1: 08:30–12:30, 13:30–17:00) opened Wednesday 24 December 2025 16:00.
    opened = paris(2025, 12, 24, 16)
    here = make_ticket(moselle, impact=2, urgency=1, opened_at=opened)
    there = make_ticket(paris_area, impact=2, urgency=1, opened_at=opened)
    assert here.priority == there.priority == 2
    # 1 h on the 24th; 25 December off everywhere, 26 December off in Moselle only.
    assert there.intervention_due == paris(2025, 12, 26, 11, 30)
    assert there.resolution_due == paris(2025, 12, 26, 16)
    assert here.intervention_due == paris(2025, 12, 29, 11, 30)
    assert here.resolution_due == paris(2025, 12, 29, 16)
    stored = Ticket.objects.unrestricted().get(pk=here.pk)
    assert stored.resolution_due == paris(2025, 12, 29, 16)


def test_every_priority_gets_the_engines_deadlines(db: Any) -> None:
    member = make_member(departement="68")
    opened = paris(2026, 5, 13, 15, 17)  # the eve of Ascension 2026
    for urgency in (1, 2):
        for impact in (1, 2, 3):
            ticket = make_ticket(member, impact=impact, urgency=urgency, opened_at=opened)
            limits = sla.deadlines(sla.TicketFacts(impact, urgency, opened, alsace_moselle=True))
            assert ticket.priority == limits.priority
            assert ticket.intervention_due == limits.intervention
            assert ticket.resolution_due == limits.resolution
    p4 = Ticket.objects.unrestricted().filter(priority=4).get()
    assert p4.intervention_due is None and p4.resolution_due is None


def test_waiting_for_the_member_moves_the_deadline(db: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member])
    # A P3 (i2 × U2: 09:00–12:00, 14:00–16:00, 5 h a day) opened Monday 2 March 2026 10:00.
    ticket = make_ticket(member, impact=2, urgency=2, opened_at=paris(2026, 3, 2, 10))
    assert ticket.intervention_due == paris(2026, 3, 3, 10)
    assert ticket.resolution_due == paris(2026, 3, 5, 10)
    with actors.acting_as(tech):
        services.change_status(ticket, Status.IN_PROGRESS, at=paris(2026, 3, 2, 11))
        services.change_status(ticket, Status.WAITING_MEMBER, at=paris(2026, 3, 2, 14))
        assert ticket.paused_since == paris(2026, 3, 2, 14)
        services.change_status(ticket, Status.IN_PROGRESS, at=paris(2026, 3, 3, 11))
    ticket.refresh_from_db()
    # Paused 4 h of window time (Monday 14–16, Tuesday 9–11): Thursday 10:00 → 16:00.
    assert ticket.resolution_due == paris(2026, 3, 5, 16)
    assert ticket.intervention_due == paris(2026, 3, 3, 10)  # met before the pause
    assert ticket.paused_since is None
    assert ticket.first_response_at == paris(2026, 3, 2, 11)
    assert services.pauses(ticket) == [(paris(2026, 3, 2, 14), paris(2026, 3, 3, 11))]
    history = TicketStatusChange.objects.unrestricted().filter(ticket=ticket)
    assert [h.to_status for h in history] == ["new", "in_progress", "waiting_member", "in_progress"]
    assert history.last().by_id == tech.pk
    with actors.acting_as(tech):
        services.resolve(ticket, at=paris(2026, 3, 5, 15))
    ticket.refresh_from_db()
    assert not ticket.resolution_breached and not ticket.intervention_breached


def test_transitions_are_checked(db: Any) -> None:
    ticket = make_ticket(make_member())
    with as_system():
        services.change_status(ticket, Status.CANCELLED)
        with pytest.raises(ValidationError):
            services.change_status(ticket, Status.IN_PROGRESS)


def test_camera_of_another_member_refused(db: Any) -> None:
    a, b = make_member(), make_member()
    with pytest.raises(ValidationError):
        make_ticket(a, camera=make_camera(b))


def _escalation_setup() -> tuple[Any, Any, Ticket]:
    member = make_member()
    admin = make_user(role="syndicate_admin", all_members=True, email="chef@example.org")
    with as_system():
        services.save_contractor(Contractor(name="Réseaux SA", level=2, email="n2@example.org"))
        services.save_contractor(Contractor(name="Caméras SAS", level=3, email="n3@example.org"))
    # A P2 (i1 × U2: 08:30–12:00, 13:30–17:00) opened Monday 2 March 2026 09:00.
    ticket = make_ticket(member, impact=1, urgency=2, opened_at=paris(2026, 3, 2, 9))
    return member, admin, ticket


def test_p2_unanswered_three_hours_escalates_once(db: Any, mailoutbox: Any) -> None:
    _member, admin, ticket = _escalation_setup()
    assert services.run_escalations(paris(2026, 3, 2, 11, 59)) == []
    sent = services.run_escalations(paris(2026, 3, 2, 12))
    assert [(s.ticket.pk, s.reason, s.level) for s in sent] == [(ticket.pk, "no_answer", 2)]
    assert services.run_escalations(paris(2026, 3, 2, 12, 30)) == []  # once only
    assert TicketEscalation.objects.unrestricted().filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.escalation_level == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["chef@example.org", "n2@example.org"]
    assert all(ticket.reference in m.subject for m in mailoutbox)
    assert Notification.objects.filter(user=admin, ticket=ticket, read=False).count() == 1


def test_answered_ticket_does_not_escalate(db: Any, mailoutbox: Any) -> None:
    member, _admin, ticket = _escalation_setup()
    tech = make_user(role="technician", members=[member])
    with actors.acting_as(tech):
        services.comment(ticket, "We are on it.", at=paris(2026, 3, 2, 10))
    assert services.run_escalations(paris(2026, 3, 2, 12, 30)) == []
    mailoutbox.clear()
    # An internal note is no answer to the member.
    other = make_ticket(member, impact=1, urgency=2, opened_at=paris(2026, 3, 2, 9))
    with actors.acting_as(tech):
        services.comment(other, "looking", internal=True, at=paris(2026, 3, 2, 10))
    sent = services.run_escalations(paris(2026, 3, 2, 12, 30))
    assert [s.ticket.pk for s in sent] == [other.pk]


def test_breach_escalates_to_the_next_level(db: Any, mailoutbox: Any) -> None:
    _member, _admin, ticket = _escalation_setup()
    services.run_escalations(paris(2026, 3, 2, 12))
    mailoutbox.clear()
    # Intervention due after 4 h of window: 09:00–12:00 then 13:30–14:30.
    assert ticket.intervention_due == paris(2026, 3, 2, 14, 30)
    assert services.run_escalations(paris(2026, 3, 2, 14, 30)) == []
    sent = services.run_escalations(paris(2026, 3, 2, 14, 31))
    assert [(s.reason, s.level) for s in sent] == [("intervention_breached", 3)]
    ticket.refresh_from_db()
    assert ticket.intervention_breached and not ticket.resolution_breached
    assert sorted(m.to[0] for m in mailoutbox) == ["chef@example.org", "n3@example.org"]
    # The resolution breach (1 working day: Tuesday 09:00) is one more, still at level 3.
    sent = services.run_escalations(paris(2026, 3, 3, 9, 1))
    assert [(s.reason, s.level) for s in sent] == [("resolution_breached", 3)]
    assert services.run_escalations(paris(2026, 3, 4, 9)) == []


def test_configured_escalation_contacts(db: Any, settings: Any, mailoutbox: Any) -> None:
    settings.VIGIE_SERVICEDESK_ESCALATION = {2: ["direction@example.org"]}
    member = make_member()
    ticket = make_ticket(member, impact=1, urgency=2, opened_at=paris(2026, 3, 2, 9))
    sent = services.run_escalations(paris(2026, 3, 2, 12))
    assert sent[0].recipients == ["direction@example.org"]
    assert [m.to for m in mailoutbox] == [["direction@example.org"]]
    assert ticket.reference in mailoutbox[0].body or ticket.title in mailoutbox[0].subject


def test_notifications_by_mail_and_in_the_ui(db: Any, mailoutbox: Any) -> None:
    member = make_member()
    town = make_user(role="town_viewer", members=[member], email="mairie@example.org")
    tech = make_user(role="technician", members=[member], email="tech@example.org")
    with actors.acting_as(town):
        ticket = services.open_ticket(member, category="network", title="Fibre cut")
    assert not ticket.qualified and ticket.reporter_id == town.pk
    assert [m.to for m in mailoutbox] == [["tech@example.org"]]
    mailoutbox.clear()
    with actors.acting_as(tech):
        services.assign(ticket, user=tech)
        services.comment(ticket, "A technician is on the way.")
    assert ticket.status == Status.ASSIGNED
    assert [m.to[0] for m in mailoutbox] == ["tech@example.org", "mairie@example.org"]
    assert services.unread_count(town) == 1
    assert services.unread_count(tech) == 2  # the new ticket, then the assignment
    assert services.mark_read(tech) == 2
    assert services.unread_count(tech) == 0
    # The member's answer notifies the assignee.
    with actors.acting_as(town):
        services.comment(ticket, "Thanks")
    assert services.unread_count(tech) == 1


def test_mail_failure_never_undoes_the_ticket(db: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "vigie.servicedesk.tests.factories.BrokenBackend"
    member = make_member()
    make_user(role="technician", members=[member], email="tech@example.org")
    ticket = make_ticket(member)
    assert Ticket.objects.unrestricted().filter(pk=ticket.pk).exists()


def test_town_user_may_not_write_internal_notes_nor_change(db: Any) -> None:
    member = make_member()
    town = make_user(role="town_viewer", members=[member])
    ticket = make_ticket(member)
    with actors.acting_as(town):
        with pytest.raises(ValidationError):
            services.comment(ticket, "secret", internal=True)
        with pytest.raises(IsolationError):
            services.change_status(ticket, Status.CANCELLED)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_qualify_recomputes_from_the_opening(db: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member])
    ticket = make_ticket(member, impact=3, urgency=2, opened_at=paris(2026, 3, 2, 10))
    assert ticket.resolution_due is None
    with actors.acting_as(tech):
        services.qualify(ticket, 1, 1, at=paris(2026, 3, 2, 10, 30))
    assert ticket.priority == 1 and ticket.qualified
    assert ticket.resolution_due == paris(2026, 3, 2, 14)
    assert ticket.first_response_at == paris(2026, 3, 2, 10, 30)


def test_p4_deadline_is_the_appointment(db: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member])
    ticket = make_ticket(member, impact=1, urgency=1, opened_at=paris(2026, 3, 2, 10))
    with actors.acting_as(tech):
        services.qualify(ticket, 3, 2, appointment=paris(2026, 3, 12, 14))
    assert ticket.priority == 4
    assert ticket.intervention_due == paris(2026, 3, 12, 14)
    assert ticket.resolution_due is None
    with actors.acting_as(tech):
        services.qualify(ticket, 1, 1)  # no longer a P4: the convention's delays again
    assert ticket.intervention_due != paris(2026, 3, 12, 14)
    assert ticket.resolution_due == paris(2026, 3, 2, 14)
