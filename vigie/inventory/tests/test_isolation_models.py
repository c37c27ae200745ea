from vigie.core.testing import (
    IsolationCases,
    make_authorisation,
    make_camera,
    make_site,
)
from vigie.inventory.models import Authorisation, Camera, Site
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
