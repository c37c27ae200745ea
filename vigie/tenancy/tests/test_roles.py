import pytest

from vigie.core import actors
from vigie.core.models import IsolationError
from vigie.core.testing import make_camera, make_member, make_user
from vigie.inventory.models import Camera
from vigie.tenancy import services
from vigie.tenancy.models import Member, User
from vigie.tenancy.roles import ROLE_GRANTS, Role

pytestmark = pytest.mark.django_db


def test_every_role_has_a_grant_table():
    assert set(ROLE_GRANTS) == set(Role.values)


@pytest.mark.parametrize("role", [Role.SYNDICATE_ADMIN, Role.TECHNICIAN, Role.AUDITOR])
def test_roles_that_must_never_see_images(role):
    a = make_member()
    cam = make_camera(a)
    user = make_user(role=role, members=[a])
    for action in ("view_live", "view_playback", "export"):
        assert not Camera.objects.restrict(user, action).filter(pk=cam.pk).exists()
    assert Camera.objects.restrict(user, "view").filter(pk=cam.pk).exists()


def test_town_viewer_watches_own_town_only():
    a, b = make_member(), make_member()
    cam_a, cam_b = make_camera(a), make_camera(b)
    viewer = make_user(role=Role.TOWN_VIEWER, members=[a])
    live = Camera.objects.restrict(viewer, "view_live")
    assert list(live) == [cam_a]
    assert cam_b not in Camera.objects.restrict(viewer, "view_playback")
    assert not Camera.objects.restrict(viewer, "export").exists()


def test_syndicate_wide_role_reaches_every_member():
    a, b = make_member(), make_member()
    op = make_user(role=Role.CSU_OPERATOR, all_members=True)
    assert set(Member.objects.restrict(op, "view")) >= {a, b}


def test_judicial_officer_cannot_browse_cameras():
    a = make_member()
    make_camera(a)
    opj = make_user(role=Role.JUDICIAL_OFFICER, members=[a])
    assert not Camera.objects.restrict(opj, "view").exists()


def test_member_scoped_admin_cannot_create_people_elsewhere():
    a, b = make_member(), make_member()
    admin_a = make_user(role=Role.SYNDICATE_ADMIN, members=[a])
    with actors.acting_as(admin_a):
        services.create_user("alice", "Un-mot-de-passe-long-42", role=Role.TOWN_VIEWER, members=[a])
        with pytest.raises(IsolationError):
            services.create_user(
                "mallory", "Un-mot-de-passe-long-42", role=Role.TOWN_VIEWER, members=[b]
            )
    assert User.objects.filter(username="alice").exists()
    assert not User.objects.filter(username="mallory").exists()


def test_users_restricted_to_members_of_the_viewer():
    a, b = make_member(), make_member()
    in_a = make_user(role=Role.TOWN_VIEWER, members=[a])
    in_b = make_user(role=Role.TOWN_VIEWER, members=[b])
    auditor_a = make_user(role=Role.AUDITOR, members=[a])
    visible = set(User.objects.restrict(auditor_a, "view"))
    assert in_a in visible and in_b not in visible


def test_role_changes_take_effect_for_new_actor():
    a = make_member()
    cam = make_camera(a)
    user = make_user()
    assert not Camera.objects.restrict(user, "view").exists()
    services.assign_role(user, Role.TOWN_VIEWER, [a])
    assert Camera.objects.restrict(user, "view").get() == cam


def test_object_permission_validation():
    from django.core.exceptions import ValidationError

    from vigie.tenancy.models import ObjectPermission

    with pytest.raises(ValidationError):
        ObjectPermission(name="bad", actions=["fly"]).full_clean()
    with pytest.raises(ValidationError):
        ObjectPermission(name="bad", actions=["view"], constraints=["x"]).full_clean()
    perm = ObjectPermission(name="typo", actions=["view"], constraints={"camera_typ": "ptz"})
    perm.full_clean()
    with pytest.raises(ValidationError):
        perm.validate_constraints_for(Camera)
    ObjectPermission(
        name="ok", actions=["view"], constraints={"camera_type": "ptz"}
    ).validate_constraints_for(Camera)
