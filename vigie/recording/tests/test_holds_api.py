"""Legal holds over the API: the three isolation cases, placing and releasing through
the services (journaled, footage held), 405 on edits and deletions, refused input."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.api_testing import (
    ApiIsolationCases,
    detail_url,
    list_url,
    listed_ids,
    token_client,
)
from vigie.core.testing import make_camera, make_user
from vigie.recording.models import LegalHold
from vigie.recording.tests.holds_support import (
    END,
    START,
    HoldWorld,
    hold_world,
    is_held,
    place,
    release,
)

__all__ = ["hold_world"]  # fixture

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def body(member: Any, cameras: list[Any], **changes: Any) -> dict[str, Any]:
    data = {
        "member": member.slug,
        "cameras": [c.pk for c in cameras],
        "start": START.isoformat(),
        "end": END.isoformat(),
        "reason": "Réquisition OPJ, vol à l'arraché",
        "reference": f"PV-2026-{next(_n):03d}",
    }
    data.update(changes)
    return data


def release_url(hold: Any) -> str:
    return reverse("v1:legalhold-release", kwargs={"pk": hold.pk})


def journaled(action: str) -> int:
    return JournalEntry.objects.filter(action=action).count()


# ------------------------------------------------------------------ the three cases


class TestLegalHoldApi(ApiIsolationCases):
    """Operators place holds for their towns; a town's viewer reads its own."""

    basename = "legalhold"
    model = LegalHold
    writer_role = "csu_operator"
    update_payload = None  # never edited: see test_no_edit_nor_delete
    can_delete = False

    def make(self, member: Any) -> Any:
        return place(member, [make_camera(member)], reference=f"PV-{next(_n)}")

    def payload(self, member: Any) -> dict[str, Any]:
        return body(member, [make_camera(member)])

    def move_payload(self, obj: Any, other: Any) -> dict[str, Any] | None:
        return None


class TestLegalHoldApiAsAdministrator(TestLegalHoldApi):
    """Syndicate administrators place holds too."""

    writer_role = "syndicate_admin"


class TestLegalHoldApiAsAuditor(TestLegalHoldApi):
    """Auditors read holds of their members, and place none."""

    viewer_role = "auditor"


def test_technicians_and_anonymous_see_no_hold(hold_world: HoldWorld) -> None:
    hold = place(hold_world.a, [hold_world.cam_a])
    technician = token_client(hold_world.technician_a)
    assert technician.get(list_url("legalhold")).status_code == 403
    assert technician.get(detail_url("legalhold", hold.pk)).status_code == 403
    anonymous = token_client(hold_world.nobody)
    anonymous.credentials()
    assert anonymous.get(list_url("legalhold")).status_code == 401
    assert anonymous.post(release_url(hold), {"reason": "x"}).status_code == 401


# ------------------------------------------------------------------ placing


def test_create_places_the_hold_through_the_service(hold_world: HoldWorld) -> None:
    w = hold_world
    assert not is_held(w.segment_a)
    client = token_client(w.operator_a)
    response = client.post(
        list_url("legalhold"), body(w.a, [w.cam_a, w.cam_a2], reference="PV-77"), format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["member"] == w.a.slug and data["reference"] == "PV-77"
    assert sorted(data["cameras"]) == sorted([w.cam_a.pk, w.cam_a2.pk])
    assert data["camera_names"] == ["ANT-GARE-01", "ANT-GARE-02"]
    assert data["active"] is True and data["released_at"] is None
    assert data["placed_by"] == w.operator_a.username
    hold = LegalHold.objects.unrestricted().get(pk=data["id"])
    assert (hold.start, hold.end) == (START, END)
    assert is_held(w.segment_a)
    entry = JournalEntry.objects.get(action="recording.legalhold.place")
    assert entry.actor_name == w.operator_a.username
    assert entry.details["reference"] == "PV-77"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": START.isoformat()}, "end"),
        ({"start": END.isoformat(), "end": START.isoformat()}, "end"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reference": ""}, "reference"),
        ({"cameras": []}, "cameras"),
        ({"start": "hier"}, "start"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    hold_world: HoldWorld, changes: dict[str, Any], field: str
) -> None:
    client = token_client(hold_world.operator_a)
    data = {**body(hold_world.a, [hold_world.cam_a]), **changes}
    response = client.post(list_url("legalhold"), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not LegalHold.objects.unrestricted().exists()
    assert journaled("recording.legalhold.place") == 0


def test_a_camera_of_another_member_is_refused(hold_world: HoldWorld) -> None:
    w = hold_world
    # Out of the operator's reach: the camera does not exist for them.
    client = token_client(w.operator_a)
    response = client.post(list_url("legalhold"), body(w.a, [w.cam_b]), format="json")
    assert response.status_code == 400 and "cameras" in response.json()
    # Within reach (both towns), but not the hold's member: the service refuses it.
    both = token_client(make_user(role="csu_operator", members=[w.a, w.b]))
    response = both.post(list_url("legalhold"), body(w.a, [w.cam_a, w.cam_b]), format="json")
    assert response.status_code == 400 and "cameras" in response.json()
    assert not LegalHold.objects.unrestricted().exists()


def test_a_member_out_of_reach_is_refused(hold_world: HoldWorld) -> None:
    client = token_client(hold_world.operator_b)
    response = client.post(
        list_url("legalhold"), body(hold_world.a, [hold_world.cam_a]), format="json"
    )
    assert response.status_code == 400 and "member" in response.json()
    assert not LegalHold.objects.unrestricted().exists()


# ------------------------------------------------------------------ releasing


def test_release_ends_the_hold_with_a_reason(hold_world: HoldWorld) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a])
    assert is_held(w.segment_a)
    client = token_client(w.operator_a)
    refused = client.post(release_url(hold), {"reason": "  "}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert client.post(release_url(hold), {}, format="json").status_code == 400
    assert LegalHold.objects.unrestricted().get(pk=hold.pk).active
    response = client.post(release_url(hold), {"reason": "Images remises"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["active"] is False and data["released_by"] == w.operator_a.username
    assert data["release_reason"] == "Images remises" and data["released_at"]
    assert not is_held(w.segment_a)
    entry = JournalEntry.objects.get(action="recording.legalhold.release")
    assert entry.actor_name == w.operator_a.username and entry.reason == "Images remises"
    again = client.post(release_url(hold), {"reason": "Encore"}, format="json")
    assert again.status_code == 400 and again.json()["non_field_errors"]
    assert journaled("recording.legalhold.release") == 1


def test_release_without_permission_or_from_another_town(hold_world: HoldWorld) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a])
    data = {"reason": "Je voudrais"}
    assert token_client(w.viewer_a).post(release_url(hold), data).status_code == 403
    assert token_client(w.technician_a).post(release_url(hold), data).status_code == 403
    assert token_client(w.nobody).post(release_url(hold), data).status_code == 403
    other = token_client(w.operator_b).post(release_url(hold), data)
    assert other.status_code == 404 and other.json()["detail"]
    assert LegalHold.objects.unrestricted().get(pk=hold.pk).active
    assert is_held(w.segment_a)
    admin = token_client(w.admin_a).post(release_url(hold), {"reason": "Classement sans suite"})
    assert admin.status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("role", ["csu_operator", "syndicate_admin"])
def test_no_edit_nor_delete(hold_world: HoldWorld, method: str, role: str) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a])
    client = token_client(make_user(role=role, members=[w.a]))
    change = body(w.a, [w.cam_a], reason="Autre", end=START.isoformat())
    response = getattr(client, method)(detail_url("legalhold", hold.pk), change, format="json")
    assert response.status_code == 405, response.content
    fresh = LegalHold.objects.unrestricted().get(pk=hold.pk)
    assert (fresh.reason, fresh.end, fresh.active) == (hold.reason, END, True)
    collection = getattr(client, method)(list_url("legalhold"), change, format="json")
    assert collection.status_code == 405


def test_superusers_get_405_too(hold_world: HoldWorld) -> None:
    hold = place(hold_world.a, [hold_world.cam_a])
    root = token_client(make_user(is_superuser=True))
    assert root.delete(detail_url("legalhold", hold.pk)).status_code == 405
    assert LegalHold.objects.unrestricted().filter(pk=hold.pk).exists()


# ------------------------------------------------------------------ listing


def test_filters_and_holds_in_force_first(hold_world: HoldWorld) -> None:
    w = hold_world
    old = release(place(w.a, [w.cam_a], reference="PV-OLD"))
    on_two = place(w.a, [w.cam_a2], reference="PV-GARE-2")
    on_one = place(w.a, [w.cam_a], reference="PV-GARE-1")
    theirs = place(w.b, [w.cam_b], reference="PV-SCX")
    client = token_client(make_user(role="town_viewer", members=[w.a, w.b]))

    def ids(**query: Any) -> list[int]:
        response = client.get(list_url("legalhold"), query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [theirs.pk, on_one.pk, on_two.pk, old.pk]
    assert ids(member=w.a.slug) == [on_one.pk, on_two.pk, old.pk]
    assert ids(camera=w.cam_a.pk) == [on_one.pk, old.pk]
    assert ids(active="true", member=w.a.slug) == [on_one.pk, on_two.pk]
    assert ids(active="false") == [old.pk]
    assert ids(reference="gare") == [on_one.pk, on_two.pk]
    assert ids(ordering="reference")[0] == on_one.pk


def test_filtering_by_another_towns_camera_or_member_is_a_400(hold_world: HoldWorld) -> None:
    w = hold_world
    place(w.a, [w.cam_a])
    client = token_client(w.viewer_b)
    assert client.get(list_url("legalhold"), {"camera": w.cam_a.pk}).status_code == 400
    assert client.get(list_url("legalhold"), {"member": w.a.slug}).status_code == 400
    assert listed_ids(client.get(list_url("legalhold"))) == set()


def test_a_town_viewer_reads_its_holds(hold_world: HoldWorld) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a, w.cam_a2])
    data = token_client(w.viewer_a).get(detail_url("legalhold", hold.pk)).json()
    assert data["reason"] == "Réquisition OPJ, vol à l'arraché"
    assert data["reference"] == "PV-2026-123"
    assert data["placed_by"] is None  # placed by a system party
    assert token_client(w.viewer_b).get(detail_url("legalhold", hold.pk)).status_code == 404
