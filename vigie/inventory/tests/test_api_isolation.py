"""The three isolation cases, over HTTP, for every inventory endpoint."""

import itertools
from datetime import date, timedelta

from vigie.core.api_testing import ApiIsolationCases
from vigie.core.testing import as_system, make_authorisation, make_camera, make_site
from vigie.inventory.models import (
    Authorisation,
    Camera,
    RecorderNode,
    Site,
    StoragePool,
    TransportLink,
)

_n = itertools.count(1)


def make_node(member):
    with as_system():
        return RecorderNode.objects.create(member=member, name=f"rec-{next(_n)}")


class TestSiteApi(ApiIsolationCases):
    basename = "site"
    model = Site

    def make(self, member):
        return make_site(member)

    def payload(self, member):
        return {"member": member.slug, "name": f"Mairie {next(_n)}", "city": "Antony"}


class TestCameraApi(ApiIsolationCases):
    basename = "camera"
    model = Camera

    def make(self, member):
        return make_camera(member)

    def payload(self, member):
        n = next(_n)
        return {
            "member": member.slug,
            "name": f"CAM-API-{n}",
            "ip_address": f"10.99.{n >> 8 & 255}.{n & 255}",
            "mac_address": f"00-0c-29-77-{n >> 8 & 255:02x}-{n & 255:02x}",
            "purposes": ["crime_prevention"],
            "retention_days": 15,
        }


class TestAuthorisationApi(ApiIsolationCases):
    basename = "authorisation"
    model = Authorisation

    def make(self, member):
        return make_authorisation(member, [make_camera(member)])

    def payload(self, member):
        today = date.today()
        return {
            "member": member.slug,
            "number": f"2025/{next(_n):04d}",
            "issued_on": today.isoformat(),
            "expires_on": (today + timedelta(days=4 * 365)).isoformat(),
            "cameras": [make_camera(member).pk],
        }


class TestTransportLinkApi(ApiIsolationCases):
    basename = "transportlink"
    model = TransportLink
    viewer_role = "technician"

    def make(self, member):
        with as_system():
            return TransportLink.objects.create(member=member, name=f"FH-{next(_n)}", kind="radio")

    def payload(self, member):
        return {"member": member.slug, "name": f"BLOD-{next(_n)}", "kind": "fibre"}


class TestRecorderNodeApi(ApiIsolationCases):
    basename = "recordernode"
    model = RecorderNode
    viewer_role = "auditor"
    update_payload = {"hostname": "rec-2.csu.local"}

    def make(self, member):
        return make_node(member)

    def payload(self, member):
        return {"member": member.slug, "name": f"rec-api-{next(_n)}", "max_cameras": 150}


class TestStoragePoolApi(ApiIsolationCases):
    basename = "storagepool"
    model = StoragePool
    viewer_role = "technician"
    update_payload = {"path": "/srv/vigie/other"}

    def make(self, member):
        with as_system():
            return StoragePool.objects.create(
                member=member, name=f"pool-{next(_n)}", node=make_node(member), path="/srv/vigie"
            )

    def payload(self, member):
        return {
            "member": member.slug,
            "name": f"pool-api-{next(_n)}",
            "node": make_node(member).pk,
            "path": "/srv/vigie/a",
        }
