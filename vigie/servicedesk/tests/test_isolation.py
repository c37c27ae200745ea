"""Isolation of every service desk model and endpoint: without permission, with
permission, as a user of another town; the desk sees every member's tickets."""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import reverse

from vigie.core import actors
from vigie.core.api_testing import ApiIsolationCases, listed_ids, token_client
from vigie.core.grants import IMAGE_ACTIONS
from vigie.core.testing import IsolationCases, as_system, make_camera, make_member, make_user
from vigie.servicedesk import services
from vigie.servicedesk.models import (
    DeskSettings,
    Notification,
    Ticket,
    TicketComment,
    TicketEscalation,
    TicketStatusChange,
)
from vigie.servicedesk.role_grants import GRANTS
from vigie.servicedesk.tests.factories import make_ticket, paris


def _comment(member: Any, internal: bool = False) -> TicketComment:
    ticket = make_ticket(member)
    with as_system():
        return services.comment(ticket, "hello", internal=internal)


class TestTicketIsolation(IsolationCases):
    model = Ticket

    def make(self, member: Any) -> Any:
        return make_ticket(member)


class TestCommentIsolation(IsolationCases):
    model = TicketComment

    def make(self, member: Any) -> Any:
        return _comment(member)


class TestStatusChangeIsolation(IsolationCases):
    model = TicketStatusChange

    def make(self, member: Any) -> Any:
        ticket = make_ticket(member)
        return TicketStatusChange.objects.unrestricted().get(ticket=ticket)


class TestEscalationIsolation(IsolationCases):
    model = TicketEscalation
    viewer_role = "auditor"

    def make(self, member: Any) -> Any:
        ticket = make_ticket(member, impact=1, urgency=1, opened_at=paris(2026, 3, 2, 9))
        services.run_escalations(paris(2026, 3, 2, 9, 1))
        return TicketEscalation.objects.unrestricted().filter(ticket=ticket).first()


class TestDeskSettingsIsolation(IsolationCases):
    model = DeskSettings

    def make(self, member: Any) -> Any:
        with as_system():
            settings = DeskSettings(member=member, auto_resolve=True)
            settings.save()
            return settings


class TestTicketApi(ApiIsolationCases):
    basename = "ticket"
    model = Ticket
    viewer_role = "auditor"
    writer_role = "technician"
    update_payload: ClassVar[dict[str, Any] | None] = {"title": "Checked by the API tests"}
    can_delete = False

    def make(self, member: Any) -> Any:
        return make_ticket(member)

    def payload(self, member: Any) -> dict[str, Any]:
        return {"member": member.slug, "category": "network", "title": "Switch down"}


class TestCommentApi(ApiIsolationCases):
    basename = "ticketcomment"
    model = TicketComment
    viewer_role = "auditor"
    writer_role = "town_viewer"
    update_payload = None
    can_delete = False

    def make(self, member: Any) -> Any:
        return _comment(member)

    def payload(self, member: Any) -> dict[str, Any]:
        return {"ticket": make_ticket(member).pk, "text": "Any news?"}

    def move_payload(self, obj: Any, other: Any) -> dict[str, Any] | None:
        return None

    def owner_id(self, obj: Any) -> Any:
        return obj.ticket.member_id


def test_grants_give_no_image_action() -> None:
    for table in GRANTS.values():
        for actions in table.values():
            assert not set(actions) & IMAGE_ACTIONS


def test_town_users_see_only_their_members_tickets(db: Any) -> None:
    a, b = make_member(), make_member()
    ta, tb = make_ticket(a), make_ticket(b)
    town = make_user(role="town_viewer", members=[a])
    client = token_client(town)
    assert listed_ids(client.get(reverse("v1:ticket-list"))) == {ta.pk}
    assert client.get(reverse("v1:ticket-detail", kwargs={"pk": tb.pk})).status_code == 404
    client.force_login(town)
    page = client.get(reverse("ticket_list"))
    assert page.status_code == 200
    assert ta.title in page.content.decode() and f"T-{tb.pk:06d}" not in page.content.decode()
    assert client.get(reverse("ticket_detail", kwargs={"pk": tb.pk})).status_code == 404


def test_technician_sees_every_members_tickets_but_no_images(db: Any) -> None:
    a, b = make_member(), make_member()
    ta, tb = make_ticket(a), make_ticket(b)
    tech = make_user(role="technician", all_members=True)
    ids = listed_ids(token_client(tech).get(reverse("v1:ticket-list")))
    assert {ta.pk, tb.pk} <= ids
    camera = make_camera(a)
    from vigie.inventory.models import Camera

    for action in IMAGE_ACTIONS:
        assert not Camera.objects.restrict(tech, action).filter(pk=camera.pk).exists()


def test_town_user_opens_a_ticket_but_does_not_qualify_it(db: Any) -> None:
    a = make_member()
    town = make_user(role="town_viewer", members=[a])
    client = token_client(town)
    body = {"member": a.slug, "category": "camera", "title": "Blurred", "impact": 1, "urgency": 1}
    response = client.post(reverse("v1:ticket-list"), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["priority"] == 1 and data["qualified"] is False and data["reporter"]
    url = reverse("v1:ticket-qualify", kwargs={"pk": data["id"]})
    assert client.post(url, {"impact": 3, "urgency": 2}, format="json").status_code == 403
    url = reverse("v1:ticket-transition", kwargs={"pk": data["id"]})
    assert client.post(url, {"status": "cancelled"}, format="json").status_code == 403


def test_internal_notes_hidden_from_the_member(db: Any) -> None:
    a = make_member()
    note = _comment(a, internal=True)
    town = make_user(role="town_viewer", members=[a])
    tech = make_user(role="technician", members=[a])
    assert note.pk not in listed_ids(token_client(town).get(reverse("v1:ticketcomment-list")))
    assert note.pk in listed_ids(token_client(tech).get(reverse("v1:ticketcomment-list")))
    url = reverse("v1:ticket-comments", kwargs={"pk": note.ticket_id})
    assert token_client(town).get(url).json() == []
    assert len(token_client(tech).get(url).json()) == 1


def test_history_endpoint_isolated(db: Any) -> None:
    a, b = make_member(), make_member()
    ta, tb = make_ticket(a), make_ticket(b)
    town = make_user(role="town_viewer", members=[a])
    rows = token_client(town).get(reverse("v1:ticketstatuschange-list")).json()["results"]
    assert {r["ticket"] for r in rows} == {ta.pk}
    assert (
        token_client(make_user()).get(reverse("v1:ticketstatuschange-list")).json()["results"] == []
    )
    url = reverse("v1:ticket-history", kwargs={"pk": tb.pk})
    assert token_client(town).get(url).status_code == 404


def test_notifications_are_mine_only(db: Any) -> None:
    me, other = make_user(), make_user()
    mine = Notification.objects.create(user=me, text="for me")
    theirs = Notification.objects.create(user=other, text="not for me")
    client = token_client(me)
    assert listed_ids(client.get(reverse("v1:notification-list"))) == {mine.pk}
    url = reverse("v1:notification-detail", kwargs={"pk": theirs.pk})
    assert client.get(url).status_code == 404
    response = client.post(reverse("v1:notification-read"), {"ids": [theirs.pk]}, format="json")
    assert response.json() == {"marked": 0, "unread": 1}
    response = client.post(reverse("v1:notification-read"), {}, format="json")
    assert response.json() == {"marked": 1, "unread": 0}
    theirs.refresh_from_db()
    assert not theirs.read
    assert APIClientAnonymous().get(reverse("v1:notification-list")).status_code in (401, 403)


def APIClientAnonymous() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def test_desk_settings_api(db: Any) -> None:
    a, b = make_member(), make_member()
    admin_a = token_client(make_user(role="syndicate_admin", members=[a]))
    body = {"member": a.slug, "auto_resolve": True}
    response = admin_a.post(reverse("v1:desksettings-list"), body, format="json")
    assert response.status_code == 201, response.content
    response = admin_a.post(
        reverse("v1:desksettings-list"), {"member": b.slug, "auto_resolve": True}, format="json"
    )
    assert response.status_code == 400
    town_b = token_client(make_user(role="town_viewer", members=[b]))
    assert listed_ids(town_b.get(reverse("v1:desksettings-list"))) == set()
    response = town_b.post(reverse("v1:desksettings-list"), {"member": b.slug}, format="json")
    assert response.status_code == 403


def test_contractors_only_syndicate_wide_admins_add(db: Any) -> None:
    a = make_member()
    body = {"name": "Fibre 2000", "level": 2, "email": "n2@example.org"}
    local_admin = token_client(make_user(role="syndicate_admin", members=[a]))
    assert local_admin.post(reverse("v1:contractor-list"), body, format="json").status_code == 403
    admin = token_client(make_user(role="syndicate_admin", all_members=True))
    response = admin.post(reverse("v1:contractor-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert token_client(make_user()).get(reverse("v1:contractor-list")).status_code == 403
    tech = token_client(make_user(role="technician", members=[a]))
    assert tech.get(reverse("v1:contractor-list")).status_code == 200


def test_desk_actions_over_the_api(db: Any, mailoutbox: Any) -> None:
    a = make_member()
    tech = make_user(role="technician", members=[a], email="t@example.org")
    ticket = make_ticket(a)
    client = token_client(tech)
    url = reverse("v1:ticket-assign", kwargs={"pk": ticket.pk})
    response = client.post(url, {"assignee": tech.username}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == tech.username and response.json()["status"] == "assigned"
    url = reverse("v1:ticket-transition", kwargs={"pk": ticket.pk})
    response = client.post(url, {"status": "closed"}, format="json")
    assert response.status_code == 400
    response = client.post(url, {"status": "in_progress", "note": "on site"}, format="json")
    assert response.status_code == 200 and response.json()["intervened_at"]
    url = reverse("v1:ticket-comment", kwargs={"pk": ticket.pk})
    response = client.post(url, {"text": "done soon", "internal": True}, format="json")
    assert response.status_code == 201 and response.json()["internal"] is True
    url = reverse("v1:ticket-qualify", kwargs={"pk": ticket.pk})
    response = client.post(url, {"impact": 1, "urgency": 1}, format="json")
    assert response.status_code == 200 and response.json()["priority"] == 1
    history = client.get(reverse("v1:ticket-history", kwargs={"pk": ticket.pk})).json()
    assert [h["to_status"] for h in history] == ["new", "assigned", "in_progress"]
    other = make_user(role="town_viewer", members=[make_member()])
    url = reverse("v1:ticket-assign", kwargs={"pk": ticket.pk})
    response = client.post(url, {"assignee": other.username}, format="json")
    assert response.status_code == 400
    with actors.acting_as(tech):
        assert Ticket.objects.get(pk=ticket.pk).assignee_id == tech.pk
