from vigie.core.testing import (
    IsolationCases,
    as_system,
    make_authorisation,
    make_camera,
    make_site,
)
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)
from vigie.tenancy.models import Member


class TestSiteIsolation(IsolationCases):
    model = Site

    def make(self, member):
        return make_site(member)


class TestCameraIsolation(IsolationCases):
    model = Camera

    def make(self, member):
        return make_camera(member)


class TestAuthorisationIsolation(IsolationCases):
    model = Authorisation

    def make(self, member):
        return make_authorisation(member)


class TestMemberIsolation(IsolationCases):
    model = Member

    def make(self, member):
        return member


class TestTransportLinkIsolation(IsolationCases):
    model = TransportLink
    viewer_role = "technician"

    def make(self, member):
        with as_system():
            return TransportLink.objects.create(member=member, name="FH mairie", kind="radio")


class TestRecorderNodeIsolation(IsolationCases):
    model = RecorderNode
    viewer_role = "technician"

    def make(self, member):
        with as_system():
            return RecorderNode.objects.create(member=member, name=f"nvr-{member.slug}")


class TestStoragePoolIsolation(IsolationCases):
    model = StoragePool
    viewer_role = "technician"

    def make(self, member):
        with as_system():
            node = RecorderNode.objects.create(member=member, name=f"nvr-{member.slug}")
            return StoragePool.objects.create(
                member=member, name=f"pool-{member.slug}", node=node, path="/srv/vigie"
            )


def test_centre_equipment_is_seen_only_syndicate_wide(db):
    from vigie.core.testing import make_member, make_user

    a = make_member()
    with as_system():
        node = RecorderNode.objects.create(name="nvr-centre")
    town_tech = make_user(role="technician", members=[a])
    centre_tech = make_user(role="technician", all_members=True)
    assert not RecorderNode.objects.restrict(town_tech, "view").filter(pk=node.pk).exists()
    assert RecorderNode.objects.restrict(centre_tech, "view").filter(pk=node.pk).exists()
