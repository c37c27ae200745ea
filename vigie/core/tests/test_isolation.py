import pytest
from django.core.exceptions import ValidationError

from vigie.core import actors
from vigie.core.models import IsolationError, NoActorError
from vigie.core.testing import (
    make_authorisation,
    make_camera,
    make_member,
    make_site,
    make_user,
)
from vigie.inventory.models import Camera, Site

pytestmark = pytest.mark.django_db


def test_default_queryset_is_empty_when_nobody_acts():
    a = make_member()
    make_camera(a)
    with actors.acting_as(None):
        assert Camera.objects.count() == 0
        assert Camera.objects.unrestricted().count() == 1


def test_default_queryset_follows_the_acting_user():
    a, b = make_member(), make_member()
    cam_a, cam_b = make_camera(a), make_camera(b)
    viewer = make_user(role="town_viewer", members=[a])
    with actors.acting_as(viewer):
        assert list(Camera.objects.all()) == [cam_a]
        assert list(a.cameras.all()) == [cam_a]
        assert list(b.cameras.all()) == []
    assert set(Camera.objects.all()) == {cam_a, cam_b}  # the fixture actor is a system party


def test_write_without_actor_is_refused():
    a = make_member()
    with actors.acting_as(None), pytest.raises(NoActorError):
        Site.objects.create(member=a, name="Mairie")


def test_moving_a_camera_into_another_member_is_rolled_back():
    a, b = make_member(), make_member()
    cam = make_camera(a)
    admin_a = make_user(role="syndicate_admin", members=[a])
    with actors.acting_as(admin_a):
        cam = Camera.objects.restrict(admin_a, "change").get(pk=cam.pk)
        cam.member = b
        with pytest.raises(IsolationError):
            cam.save()
    cam.refresh_from_db()
    assert cam.member == a


def test_creating_in_another_member_is_refused_and_nothing_written():
    a, b = make_member(), make_member()
    admin_a = make_user(role="syndicate_admin", members=[a])
    with actors.acting_as(admin_a), pytest.raises(IsolationError):
        Site.objects.create(member=b, name="Intrus")
    assert not Site.objects.unrestricted().filter(name="Intrus").exists()


def test_changing_another_members_object_is_refused():
    a, b = make_member(), make_member()
    site_b = make_site(b)
    admin_a = make_user(role="syndicate_admin", members=[a])
    with actors.acting_as(admin_a), pytest.raises(IsolationError):
        site_b.name = "Renamed"
        site_b.save()
    site_b.refresh_from_db()
    assert site_b.name != "Renamed"


def test_viewer_cannot_change_even_own_member():
    a = make_member()
    site = make_site(a)
    viewer = make_user(role="town_viewer", members=[a])
    with actors.acting_as(viewer), pytest.raises(IsolationError):
        site.name = "x"
        site.save()


@pytest.mark.parametrize("days", [0, 31, 365])
def test_retention_outside_legal_bounds_is_refused(days):
    a = make_member()
    with pytest.raises(ValidationError):
        make_camera(a, retention_days=days)


def test_retention_bound_holds_even_for_bulk_update():
    from django.db import IntegrityError, transaction

    cam = make_camera(make_member())
    with pytest.raises(IntegrityError), transaction.atomic():
        Camera.objects.unrestricted().filter(pk=cam.pk).update(retention_days=45)


def test_superuser_has_no_image_actions():
    a = make_member()
    cam = make_camera(a)
    root = make_user(is_superuser=True)
    assert Camera.objects.restrict(root, "change").filter(pk=cam.pk).exists()
    assert not Camera.objects.restrict(root, "view_live").filter(pk=cam.pk).exists()


def test_enabling_needs_stream_and_authorisation():
    a = make_member()
    cam = make_camera(a)
    cam.enabled = True
    with pytest.raises(ValidationError) as err:
        cam.save()
    assert "rtsp_main" in err.value.message_dict and "enabled" in err.value.message_dict
    cam.rtsp_main = "rtsp://127.0.0.1:8554/cam"
    make_authorisation(a, [cam])
    cam.save()
    assert Camera.objects.unrestricted().get(pk=cam.pk).enabled


def test_object_permission_with_constraint():
    from django.contrib.contenttypes.models import ContentType

    from vigie.tenancy.models import ObjectPermission

    a = make_member()
    fixed, ptz = make_camera(a, camera_type="fixed"), make_camera(a, camera_type="ptz")
    user = make_user()
    perm = ObjectPermission.objects.create(
        name="ptz only", actions=["view"], constraints={"camera_type": "ptz"}
    )
    perm.object_types.set([ContentType.objects.get_for_model(Camera)])
    perm.members.set([a])
    perm.users.set([user])
    assert list(Camera.objects.restrict(user, "view")) == [ptz]
    assert fixed not in Camera.objects.restrict(user, "view")


def test_every_change_is_journaled_with_its_actor():
    from vigie.audit.models import JournalEntry
    from vigie.audit.services import verify_chain

    a = make_member()
    admin = make_user(role="syndicate_admin", members=[a])
    with actors.acting_as(admin):
        site = Site.objects.create(member=a, name="Gare")
        site.name = "Gare RER"
        site.save()
    entries = list(JournalEntry.objects.filter(object_type="inventory.site"))
    assert [e.action for e in entries] == ["inventory.site.create", "inventory.site.update"]
    assert entries[1].actor_name == admin.username
    assert entries[1].details["changes"]["name"] == ["Gare", "Gare RER"]
    assert verify_chain() is None


def test_bulk_writes_are_reserved_to_system_jobs():
    a = make_member()
    cam = make_camera(a)
    admin = make_user(role="syndicate_admin", members=[a])
    with actors.acting_as(admin):
        with pytest.raises(IsolationError):
            Camera.objects.filter(pk=cam.pk).update(name="bulk")
        with pytest.raises(IsolationError):
            Camera.objects.filter(pk=cam.pk).delete()
        with pytest.raises(IsolationError):
            Site.objects.bulk_create([Site(member=a, name="x")])
    cam.refresh_from_db()
    assert cam.name != "bulk"
