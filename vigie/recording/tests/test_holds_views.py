"""Legal hold pages in three cases (anonymous or without permission, with permission,
user of another town), placing and releasing through the form, refused input, the
holds shown on a camera's recording page and the menu entry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from vigie.audit.models import JournalEntry
from vigie.core.testing import make_user
from vigie.core.tests.test_views_a11y import assert_accessible
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

LIST, ADD = reverse("legalhold_list"), reverse("legalhold_add")


def logged(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(hold: Any) -> str:
    return reverse("legalhold_detail", args=[hold.pk])


def release_page(hold: Any) -> str:
    return reverse("legalhold_release", args=[hold.pk])


def form_data(w: HoldWorld, **changes: Any) -> dict[str, Any]:
    data = {
        "member": w.a.pk,
        "cameras": [w.cam_a.pk],
        "start": "2026-11-20T08:00",  # Paris time: 07:00 UTC
        "end": "2026-11-20T12:00",
        "reference": "PV-2026-555",
        "reason": "Réquisition OPJ, rixe devant la gare",
    }
    data.update(changes)
    return data


# ------------------------------------------------------------------ without permission


def test_anonymous_is_sent_to_login_and_writes_nothing(hold_world: HoldWorld) -> None:
    hold = place(hold_world.a, [hold_world.cam_a])
    client = Client()
    for url in (LIST, ADD, detail(hold), release_page(hold)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url
    assert client.post(ADD, form_data(hold_world)).status_code == 302
    assert client.post(release_page(hold), {"reason": "x"}).status_code == 302
    assert LegalHold.objects.unrestricted().count() == 1
    assert LegalHold.objects.unrestricted().get().active


@pytest.mark.parametrize("who", ["nobody", "technician_a"])
def test_without_permission_no_page(hold_world: HoldWorld, who: str) -> None:
    hold = place(hold_world.a, [hold_world.cam_a])
    client = logged(getattr(hold_world, who))
    assert client.get(LIST).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.get(detail(hold)).status_code == 404
    assert client.get(release_page(hold)).status_code == 404
    assert client.post(ADD, form_data(hold_world)).status_code == 403
    assert client.post(release_page(hold), {"reason": "Je voudrais"}).status_code == 404
    assert LegalHold.objects.unrestricted().get().active
    assert reverse("legalhold_list") not in client.get(reverse("home")).content.decode()


# ------------------------------------------------------------------ with permission


def test_viewer_lists_and_reads_own_holds_only(hold_world: HoldWorld) -> None:
    w = hold_world
    mine = place(w.a, [w.cam_a, w.cam_a2], reference="PV-ANTONY")
    place(w.b, [w.cam_b], reference="PV-SCEAUX")
    client = logged(w.viewer_a)
    html = client.get(LIST).content.decode()
    assert "PV-ANTONY" in html and "PV-SCEAUX" not in html
    assert "Gels judiciaires" in html  # the menu entry, in French
    assert ADD not in html  # a viewer places no hold
    page = client.get(detail(mine))
    assert page.status_code == 200
    text = page.content.decode()
    assert "PV-ANTONY" in text and "Réquisition OPJ, vol à" in text
    assert "ANT-GARE-01" in text and "ANT-GARE-02" in text
    assert "20 novembre 2026 08:00" in text and "20 novembre 2026 12:00" in text  # Paris time
    assert "1 segment enregistré" in text  # the footage it keeps
    assert release_page(mine) not in text
    assert client.get(release_page(mine)).status_code == 403
    assert client.post(release_page(mine), {"reason": "Je voudrais"}).status_code == 403
    assert client.get(ADD).status_code == 403
    assert LegalHold.objects.unrestricted().get(pk=mine.pk).active


def test_list_filters_and_holds_in_force_first(hold_world: HoldWorld) -> None:
    w = hold_world
    release(place(w.a, [w.cam_a], reference="PV-LEVE"))
    place(w.a, [w.cam_a2], reference="PV-DEUX")
    place(w.a, [w.cam_a], reference="PV-UN")
    client = logged(w.operator_a)
    html = client.get(LIST).content.decode()
    assert html.index("PV-UN") < html.index("PV-DEUX") < html.index("PV-LEVE")
    released = client.get(LIST, {"active": "false"}).content.decode()
    assert "PV-LEVE" in released and "PV-UN" not in released
    by_camera = client.get(LIST, {"camera": w.cam_a2.pk}).content.decode()
    assert "PV-DEUX" in by_camera and "PV-UN" not in by_camera
    by_reference = client.get(LIST, {"reference": "deux"}).content.decode()
    assert "PV-DEUX" in by_reference and "PV-LEVE" not in by_reference
    by_member = client.get(LIST, {"member": w.a.slug}).content.decode()
    assert "PV-UN" in by_member


def test_operator_places_a_hold_with_the_form(hold_world: HoldWorld) -> None:
    w = hold_world
    client = logged(w.operator_a)
    page = client.get(ADD, {"member": w.a.pk, "cameras": w.cam_a.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="datetime-local"' in html
    assert f'value="{w.cam_a.pk}" id="id_cameras_0" checked' in html  # pre-filled
    assert "ANT-GARE-02" in html and "SCX-MAIRIE-01" not in html
    assert f'<option value="{w.b.pk}"' not in html
    assert not is_held(w.segment_a)
    response = client.post(ADD, form_data(w, cameras=[w.cam_a.pk, w.cam_a2.pk]))
    assert response.status_code == 302, response.content.decode()
    hold = LegalHold.objects.unrestricted().get()
    assert response["Location"] == detail(hold)
    assert (hold.start, hold.end) == (START, END)  # read in Europe/Paris
    assert hold.placed_by == w.operator_a and hold.reference == "PV-2026-555"
    assert set(hold.cameras.all()) == {w.cam_a, w.cam_a2}
    assert is_held(w.segment_a)
    assert JournalEntry.objects.filter(action="recording.legalhold.place").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2026-11-20T08:00"}, "end"),
        ({"start": "2026-11-20T12:00", "end": "2026-11-20T08:00"}, "end"),
        ({"reason": "   "}, "reason"),
        ({"reference": ""}, "reference"),
        ({"cameras": []}, "cameras"),
        ({"start": "demain"}, "start"),
    ],
)
def test_bad_input_is_a_form_error(
    hold_world: HoldWorld, changes: dict[str, Any], field: str
) -> None:
    client = logged(hold_world.operator_a)
    response = client.post(ADD, form_data(hold_world, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not LegalHold.objects.unrestricted().exists()


def test_a_camera_of_another_town_is_refused(hold_world: HoldWorld) -> None:
    w = hold_world
    response = logged(w.operator_a).post(ADD, form_data(w, cameras=[w.cam_a.pk, w.cam_b.pk]))
    assert response.status_code == 400
    assert response.context["form"].errors["cameras"]
    # Reaching both towns does not let one hold mix them.
    both = logged(make_user(role="csu_operator", members=[w.a, w.b]))
    response = both.post(ADD, form_data(w, cameras=[w.cam_a.pk, w.cam_b.pk]))
    assert response.status_code == 400
    assert not LegalHold.objects.unrestricted().exists()


def test_release_with_a_reason(hold_world: HoldWorld) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a])
    client = logged(w.operator_a)
    assert release_page(hold) in client.get(detail(hold)).content.decode()
    page = client.get(release_page(hold))
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    refused = client.post(release_page(hold), {"reason": "  "})
    assert refused.status_code == 400 and refused.context["form"].errors["reason"]
    assert LegalHold.objects.unrestricted().get(pk=hold.pk).active
    response = client.post(release_page(hold), {"reason": "Images remises à l'OPJ"})
    assert response.status_code == 302 and response["Location"] == detail(hold)
    hold.refresh_from_db()
    assert not hold.active and hold.released_by == w.operator_a
    assert hold.release_reason == "Images remises à l'OPJ"
    assert not is_held(w.segment_a)
    text = client.get(detail(hold)).content.decode()
    assert "Levé" in text and release_page(hold) not in text
    again = client.post(release_page(hold), {"reason": "Encore"})
    assert again.status_code == 400
    assert "Ce gel a déjà été levé." in client.get(release_page(hold)).content.decode()
    assert JournalEntry.objects.filter(action="recording.legalhold.release").count() == 1


# ------------------------------------------------------------------ another town


def test_another_towns_user_sees_nothing_of_ours(hold_world: HoldWorld) -> None:
    w = hold_world
    ours = place(w.a, [w.cam_a], reference="PV-ANTONY")
    theirs = place(w.b, [w.cam_b], reference="PV-SCEAUX")
    for user in (w.viewer_b, w.operator_b):
        client = logged(user)
        html = client.get(LIST).content.decode()
        assert "PV-SCEAUX" in html and "PV-ANTONY" not in html
        assert "PV-ANTONY" not in client.get(LIST, {"member": w.a.slug}).content.decode()
        assert client.get(detail(ours)).status_code == 404
        assert client.get(release_page(ours)).status_code == 404
        assert client.post(release_page(ours), {"reason": "Intrusion"}).status_code == 404
        assert client.get(detail(theirs)).status_code == 200
    response = logged(w.operator_b).post(ADD, form_data(w))
    assert response.status_code == 400 and response.context["form"].errors["member"]
    assert LegalHold.objects.unrestricted().count() == 2
    assert LegalHold.objects.unrestricted().get(pk=ours.pk).active


# ------------------------------------------------------------------ the camera's page


def test_recording_page_shows_the_cameras_holds(hold_world: HoldWorld) -> None:
    w = hold_world
    on_camera = place(w.a, [w.cam_a], reference="PV-SUR-CAMERA")
    release(place(w.a, [w.cam_a], reference="PV-LEVE"))
    place(w.a, [w.cam_a2], reference="PV-AUTRE-CAMERA")
    url = reverse("camera_recording", args=[w.cam_a.pk])
    add = f"{ADD}?member={w.a.pk}&amp;cameras={w.cam_a.pk}"

    html = logged(w.operator_a).get(url).content.decode()
    assert detail(on_camera) in html and "PV-SUR-CAMERA" in html
    assert "PV-LEVE" not in html and "PV-AUTRE-CAMERA" not in html
    assert add in html

    viewer = logged(w.viewer_a).get(url).content.decode()
    assert "PV-SUR-CAMERA" in viewer and add not in viewer

    technician = logged(w.technician_a).get(url).content.decode()
    assert "PV-SUR-CAMERA" not in technician and 'id="holds-title"' not in technician


def test_pages_pass_the_accessibility_audit(hold_world: HoldWorld) -> None:
    w = hold_world
    hold = place(w.a, [w.cam_a], end=START + timedelta(hours=2))
    client = logged(w.operator_a)
    for url in (LIST, ADD, detail(hold), release_page(hold)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_accessible(response.content.decode(), url)
    errors = client.post(ADD, form_data(w, reason=""))
    assert_accessible(errors.content.decode(), "legalhold_add (errors)")
