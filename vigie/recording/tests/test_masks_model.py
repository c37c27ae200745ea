"""PrivacyMask: strict validation of the polygons, journal of changes, isolation, and
the member's lifting policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from vigie.audit.models import JournalEntry
from vigie.core.testing import IsolationCases, as_system, make_camera, make_member, make_user
from vigie.recording import masks
from vigie.recording.models import MASK_MAX_POINTS, MemberRecordingPolicy, PrivacyMask

# Tests read the messages: in English, the language of the code.
pytestmark = pytest.mark.usefixtures("english")

GOOD = [[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]


def make_mask(member: Any, polygons: Any = None, **kw: Any) -> PrivacyMask:
    camera = kw.pop("camera", None) or make_camera(member)
    with as_system():
        return PrivacyMask.objects.create(
            camera=camera, label=kw.pop("label", "Door"), polygons=polygons or GOOD, **kw
        )


@pytest.mark.parametrize(
    ("polygons", "message"),
    [
        ("not a list", "list of polygons"),
        ([], "list of polygons"),
        ({"a": 1}, "list of polygons"),
        ([[[0.1, 0.1], [0.5, 0.5]]], "fewer than 3"),
        ([[[0.1, 0.1], [0.5, 0.5], [1.2, 0.5]]], "between 0 and 1"),
        ([[[0.1, 0.1], [0.5, 0.5], [0.5, -0.01]]], "between 0 and 1"),
        ([[[0.1, 0.1], [0.5, 0.5], [float("nan"), 0.2]]], "between 0 and 1"),
        ([[[0.1, 0.1], [0.5, 0.5], [0.2]]], "pair"),
        ([[[0.1, 0.1], [0.5, 0.5], ["0.2", 0.3]]], "pair"),
        ([[[0.1, 0.1], [0.5, 0.5], [True, 0.3]]], "pair"),
        ([[[0.1, 0.1], [0.5, 0.5], [0.3, 0.3]], "x"], "Polygon 2 is not a list"),
        ([[[0.5, 0.5]] * (MASK_MAX_POINTS + 1)], "more than"),
        ([GOOD[0]] * 33, "At most"),
    ],
)
def test_bad_polygons_are_refused_with_a_clear_message(
    db: None, polygons: Any, message: str
) -> None:
    camera = make_camera(make_member())
    with as_system(), pytest.raises(ValidationError) as caught:
        PrivacyMask.objects.create(camera=camera, label="Door", polygons=polygons)
    assert message in " ".join(caught.value.message_dict["polygons"])
    assert not PrivacyMask.objects.unrestricted().exists()


def test_label_required_and_good_polygons_kept_as_floats(db: None) -> None:
    camera = make_camera(make_member())
    with as_system(), pytest.raises(ValidationError):
        PrivacyMask.objects.create(camera=camera, label="  ", polygons=GOOD)
    mask = make_mask(None, [[[0, 0], [1, 0], [1, 1]]], camera=camera)
    mask.refresh_from_db()
    assert mask.polygons == [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]]


def test_changes_are_journaled_and_version_bumped(db: None) -> None:
    mask = make_mask(make_member())
    assert mask.version == 1
    with as_system():
        mask.polygons = [[[0.2, 0.2], [0.6, 0.2], [0.6, 0.6]]]
        mask.save()
        assert mask.version == 2
        mask.delete()
    actions = list(
        JournalEntry.objects.filter(action__contains="privacymask").values_list("action", flat=True)
    )
    assert len(actions) == 3, actions


def test_lifting_policy_defaults_to_no(db: None) -> None:
    member = make_member()
    assert not masks.lifting_allowed_by_member(member.pk)
    with as_system():
        MemberRecordingPolicy.objects.create(member=member, masks_may_be_lifted=True)
    assert masks.lifting_allowed_by_member(member.pk)


def test_roles_technician_manages_viewer_views(db: None) -> None:
    member = make_member()
    mask = make_mask(member)
    tech = make_user(role="technician", members=[member])
    viewer = make_user(role="town_viewer", members=[member])
    assert PrivacyMask.objects.restrict(tech, "change").filter(pk=mask.pk).exists()
    assert PrivacyMask.objects.restrict(tech, "add").filter(pk=mask.pk).exists()
    assert not PrivacyMask.objects.restrict(viewer, "change").filter(pk=mask.pk).exists()
    assert PrivacyMask.objects.restrict(viewer, "view").filter(pk=mask.pk).exists()


class TestPrivacyMaskIsolation(IsolationCases):
    model = PrivacyMask

    def make(self, member: Any) -> PrivacyMask:
        return make_mask(member)


class TestPrivacyMaskAuditorIsolation(IsolationCases):
    model = PrivacyMask
    viewer_role = "auditor"

    def make(self, member: Any) -> PrivacyMask:
        return make_mask(member)
