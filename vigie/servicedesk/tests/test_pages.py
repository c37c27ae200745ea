"""Pages: the ticket list and its filters, the town's form, the desk's actions, the
notifications page and the header badge; the escalate and list commands."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from vigie.core.testing import make_camera, make_member, make_user
from vigie.servicedesk.models import Notification, Status, Ticket, TicketComment
from vigie.servicedesk.tests.factories import make_ticket, paris


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_town_user_opens_a_ticket_through_the_form(db: Any) -> None:
    member = make_member()
    camera = make_camera(member)
    other_camera = make_camera(make_member())
    town = make_user(role="town_viewer", members=[member])
    client = _client(town)
    page = client.get(reverse("ticket_add"))
    assert page.status_code == 200
    assert camera.name in page.content.decode() and other_camera.name not in page.content.decode()
    body = {
        "member": member.pk,
        "camera": camera.pk,
        "category": "camera",
        "kind": "incident",
        "title": "Image black",
        "description": "Since this morning",
        "impact": 2,
        "urgency": 1,
    }
    response = client.post(reverse("ticket_add"), body)
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.unrestricted().get(title="Image black")
    assert ticket.camera_id == camera.pk and not ticket.qualified and ticket.priority == 2
    assert response["Location"] == reverse("ticket_detail", kwargs={"pk": ticket.pk})
    response = client.post(reverse("ticket_add"), {**body, "camera": other_camera.pk})
    assert response.status_code == 400
    page = client.get(response.get("Location") or reverse("ticket_detail", args=[ticket.pk]))
    text = page.content.decode()
    assert "Image black" in text and "ticket_status" not in text
    assert reverse("ticket_status", args=[ticket.pk]) not in text  # no desk forms


def test_viewer_without_add_cannot_open(db: Any) -> None:
    member = make_member()
    auditor = make_user(role="auditor", members=[member])
    assert _client(auditor).get(reverse("ticket_add")).status_code == 403
    assert _client(make_user()).get(reverse("ticket_list")).status_code == 403


def test_desk_works_a_ticket_from_its_page(db: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member])
    town = make_user(role="town_viewer", members=[member])
    ticket = make_ticket(member, impact=2, urgency=1)
    client = _client(tech)
    detail = reverse("ticket_detail", args=[ticket.pk])
    page = client.get(detail)
    assert page.status_code == 200
    assert reverse("ticket_status", args=[ticket.pk]) in page.content.decode()
    assert (
        client.post(reverse("ticket_assign", args=[ticket.pk]), {"assignee": tech.pk})["Location"]
        == detail
    )
    client.post(reverse("ticket_status", args=[ticket.pk]), {"status": "in_progress"})
    client.post(reverse("ticket_qualify", args=[ticket.pk]), {"impact": 1, "urgency": 1})
    client.post(
        reverse("ticket_comment", args=[ticket.pk]), {"text": "desk only", "internal": "on"}
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.priority) == (Status.IN_PROGRESS, tech.pk, 1)
    assert TicketComment.objects.unrestricted().get(ticket=ticket).internal
    # The town sees the ticket, not the internal note; it may comment, not act.
    town_client = _client(town)
    text = town_client.get(detail).content.decode()
    assert "desk only" not in text
    assert (
        town_client.post(
            reverse("ticket_status", args=[ticket.pk]), {"status": "cancelled"}
        ).status_code
        == 403
    )
    town_client.post(reverse("ticket_comment", args=[ticket.pk]), {"text": "thanks"})
    assert TicketComment.objects.unrestricted().filter(ticket=ticket).count() == 2
    # Another town: not found.
    stranger = _client(make_user(role="town_viewer", members=[make_member()]))
    assert stranger.get(detail).status_code == 404
    assert (
        stranger.post(reverse("ticket_comment", args=[ticket.pk]), {"text": "x"}).status_code == 404
    )


def test_desk_corrects_a_ticket_from_its_page(db: Any) -> None:
    member = make_member()
    camera, other_camera = make_camera(member), make_camera(make_member())
    tech = make_user(role="technician", members=[member])
    ticket = make_ticket(member, title="Camra noire")
    edit_url = reverse("ticket_edit", args=[ticket.pk])
    client = _client(tech)
    assert edit_url in client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    page = client.get(edit_url)
    assert page.status_code == 200
    assert camera.name in page.content.decode() and other_camera.name not in page.content.decode()
    body = {
        "camera": camera.pk,
        "category": "camera",
        "kind": "incident",
        "title": "Caméra noire",
        "description": "Depuis 8 h",
    }
    response = client.post(edit_url, body)
    assert response.status_code == 302, response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.title, ticket.camera_id, ticket.description) == (
        "Caméra noire",
        camera.pk,
        "Depuis 8 h",
    )
    # Another member's camera is refused, and nothing changes.
    assert client.post(edit_url, {**body, "camera": other_camera.pk}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.camera_id == camera.pk
    # The town sees the ticket but may not correct it; another town does not see it.
    town = _client(make_user(role="town_viewer", members=[member]))
    assert edit_url not in town.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert town.get(edit_url).status_code == 403
    assert town.post(edit_url, body).status_code == 403
    stranger = _client(make_user(role="technician", members=[make_member()]))
    assert stranger.get(edit_url).status_code == 404
    assert stranger.post(edit_url, body).status_code == 404
    assert _client(tech).get(reverse("ticket_list")).status_code == 200


def test_list_filters(db: Any) -> None:
    member = make_member(slug="town-filter")
    tech = make_user(role="technician", all_members=True)
    late = make_ticket(
        member, title="Late one", impact=1, urgency=1, opened_at=paris(2026, 3, 2, 9)
    )
    make_ticket(member, title="Quiet one", impact=3, urgency=2)
    client = _client(tech)
    text = client.get(reverse("ticket_list"), {"overdue": "true"}).content.decode()
    assert "Late one" in text and "Quiet one" not in text
    text = client.get(reverse("ticket_list"), {"priority": "4"}).content.decode()
    assert "Quiet one" in text and "Late one" not in text
    text = client.get(reverse("ticket_list"), {"q": late.reference}).content.decode()
    assert "Late one" in text and "Quiet one" not in text


def test_notifications_page_and_badge(db: Any) -> None:
    user = make_user()
    ticket = make_ticket(make_member())
    note = Notification.objects.create(
        user=user, text="Ticket updated", link=f"/tickets/{ticket.pk}/", ticket=ticket
    )
    Notification.objects.create(user=user, text="Another")
    request = RequestFactory().get("/")
    request.user = user
    html = Template("{% load servicedesk_ui %}{% notification_badge %}").render(
        Context({"request": request})
    )
    assert ">2<" in html and reverse("notification_list") in html
    client = _client(user)
    assert "Ticket updated" in client.get(reverse("notification_list")).content.decode()
    response = client.post(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    note.refresh_from_db()
    assert note.read
    client.post(reverse("notification_list"))
    assert not Notification.objects.filter(user=user, read=False).exists()
    other = _client(make_user())
    assert other.post(reverse("notification_open", args=[note.pk])).status_code == 404


def test_escalate_and_list_commands(db: Any, mailoutbox: Any) -> None:
    member = make_member(slug="cmd-town")
    make_user(role="syndicate_admin", all_members=True, email="chef@example.org")
    ticket = make_ticket(member, impact=1, urgency=1, opened_at=paris(2026, 3, 2, 9))
    out = io.StringIO()
    call_command("servicedesk", "escalate", "--once", stdout=out)
    assert f"{ticket.reference} no_answer -> level 2" in out.getvalue()
    out = io.StringIO()
    call_command("servicedesk", "escalate", "--once", stdout=out)
    assert "escalate: 0 escalation(s) sent" in out.getvalue()
    out = io.StringIO()
    call_command("servicedesk", "list", "--member", "cmd-town", "--open", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["id"] for r in rows] == [ticket.pk] and rows[0]["escalation_level"] == 3
    out = io.StringIO()
    call_command("servicedesk", "list", stdout=out)
    assert ticket.reference in out.getvalue()


def test_pages_pass_the_accessibility_audit(db: Any) -> None:
    from vigie.core.tests.test_views_a11y import assert_accessible

    member = make_member()
    tech = make_user(role="technician", members=[member])
    admin = make_user(role="syndicate_admin", all_members=True)
    ticket = make_ticket(member)
    Notification.objects.create(user=tech, text="Hello", link="/tickets/")
    urls = [
        reverse("ticket_list"),
        reverse("ticket_add"),
        reverse("ticket_detail", args=[ticket.pk]),
        reverse("ticket_edit", args=[ticket.pk]),
        reverse("notification_list"),
        reverse("servicedesk_report") + "?month=2026-03",
    ]
    client = _client(tech)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_accessible(response.content.decode(), url)
    admin_client = _client(admin)
    for url in (reverse("desksettings_list"), reverse("desksettings_add")):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_accessible(response.content.decode(), url)


def test_home_panel(db: Any) -> None:
    member = make_member()
    tech = make_user(role="technician", members=[member])
    late = make_ticket(member, title="Late", impact=1, urgency=1, opened_at=paris(2026, 3, 2, 9))
    make_ticket(make_member(), title="Elsewhere")
    text = _client(tech).get(reverse("home")).content.decode()
    assert 'id="panel-servicedesk"' in text
    assert late.reference in text and "Elsewhere" not in text
    nobody = _client(make_user()).get(reverse("home")).content.decode()
    assert 'id="panel-servicedesk"' not in nobody


def test_contractor_pages(db: Any) -> None:
    from vigie.core.tests.test_views_a11y import assert_accessible
    from vigie.servicedesk.models import Contractor

    member = make_member()
    admin = _client(make_user(role="syndicate_admin", all_members=True))
    body = {"name": "Fibre 2000", "level": 2, "email": "n2@example.org", "active": "on"}
    response = admin.post(reverse("contractor_add"), body)
    assert response.status_code == 302, response.content.decode()
    contractor = Contractor.objects.get(name="Fibre 2000")
    for url in (
        reverse("contractor_list"),
        reverse("contractor_add"),
        reverse("contractor_detail", args=[contractor.pk]),
        reverse("contractor_edit", args=[contractor.pk]),
    ):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_accessible(response.content.decode(), url)
    local_admin = _client(make_user(role="syndicate_admin", members=[member]))
    assert local_admin.get(reverse("contractor_add")).status_code == 403
    assert (
        local_admin.post(reverse("contractor_edit", args=[contractor.pk]), body).status_code == 403
    )
    tech = _client(make_user(role="technician", members=[member]))
    assert "Fibre 2000" in tech.get(reverse("contractor_list")).content.decode()
    detail = tech.get(reverse("contractor_detail", args=[contractor.pk])).content.decode()
    assert reverse("contractor_edit", args=[contractor.pk]) not in detail
    assert _client(make_user()).get(reverse("contractor_list")).status_code == 403
