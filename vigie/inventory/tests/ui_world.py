"""Test data shared by the web UI tests: two towns with one of everything each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from vigie.core.testing import (
    as_system,
    make_authorisation,
    make_camera,
    make_member,
    make_site,
    make_user,
)
from vigie.inventory.models import RecorderNode, StoragePool, TransportLink


@dataclass
class World:
    a: Any
    b: Any
    site_a: Any
    site_b: Any
    cam_a: Any
    cam_b: Any
    auth_a: Any
    auth_b: Any
    link_a: Any
    link_b: Any
    node_a: Any
    node_b: Any
    pool_a: Any
    pool_b: Any
    admin_a: Any
    admin_b: Any
    viewer_a: Any
    viewer_b: Any
    superadmin: Any

    def objects_of(self, member: str) -> dict[str, Any]:
        """The objects of member "a" or "b", by URL model name."""
        return {
            "member": getattr(self, member),
            "site": getattr(self, f"site_{member}"),
            "camera": getattr(self, f"cam_{member}"),
            "authorisation": getattr(self, f"auth_{member}"),
            "transportlink": getattr(self, f"link_{member}"),
            "recordernode": getattr(self, f"node_{member}"),
            "storagepool": getattr(self, f"pool_{member}"),
        }


def build_world() -> World:
    a = make_member("antony", name="Antony", insee_code="92002", departement="92")
    b = make_member("sceaux", name="Sceaux", insee_code="92071", departement="92")
    site_a = make_site(a, name="Hôtel de ville", city="Antony")
    site_b = make_site(b, name="Mairie de Sceaux", city="Sceaux")
    cam_a = make_camera(a, name="ANT-001 Parvis", site=site_a, latitude="48.754", longitude="2.297")
    cam_b = make_camera(b, name="SCX-001 Jardin", site=site_b, latitude="48.776", longitude="2.290")
    today = date.today()
    auth_a = make_authorisation(
        a, [cam_a], number="AUT-ANT-2021", expires_on=today + timedelta(days=40)
    )
    auth_b = make_authorisation(b, [cam_b], number="AUT-SCX-2022")
    with as_system():
        link_a = TransportLink.objects.create(member=a, name="BLOD Antony", kind="fibre")
        link_b = TransportLink.objects.create(member=b, name="FH Sceaux", kind="radio")
        node_a = RecorderNode.objects.create(member=a, name="rec-antony")
        node_b = RecorderNode.objects.create(member=b, name="rec-sceaux")
        pool_a = StoragePool.objects.create(
            member=a, name="pool-antony", node=node_a, path="/srv/a"
        )
        pool_b = StoragePool.objects.create(
            member=b, name="pool-sceaux", node=node_b, path="/srv/b"
        )
    return World(
        a=a,
        b=b,
        site_a=site_a,
        site_b=site_b,
        cam_a=cam_a,
        cam_b=cam_b,
        auth_a=auth_a,
        auth_b=auth_b,
        link_a=link_a,
        link_b=link_b,
        node_a=node_a,
        node_b=node_b,
        pool_a=pool_a,
        pool_b=pool_b,
        admin_a=make_user("admin-a", role="syndicate_admin", members=[a]),
        admin_b=make_user("admin-b", role="syndicate_admin", members=[b]),
        viewer_a=make_user("viewer-a", role="town_viewer", members=[a]),
        viewer_b=make_user("viewer-b", role="town_viewer", members=[b]),
        superadmin=make_user("dsi", role="syndicate_admin", all_members=True),
    )
