"""The demo syndicate: three real towns south of Paris, their sites, cameras and people.

``seed()`` is idempotent: it looks each object up by its natural key (slug, name,
number, username) and creates only what is missing, so ``vigie demo`` can run again
on the same data directory. Everything is written through the services as the
system party ``demo``, so the journal shows where the demo data came from.

The cameras are simulated: their stream URLs point at the simulated cameras that
``vigie demo`` starts on 127.0.0.1:8554 (``/cam1`` … ``/camN``, in the order of
CAMERAS; ``--rtsp-port`` moves them, and the seeded URLs with them) and their
addresses are loopback ones, so nothing ever leaves the machine.
The demo accounts share one fixed password: it is a demo on 127.0.0.1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vigie.core import actors, legal
from vigie.core import services as core
from vigie.inventory import services as inventory
from vigie.inventory.choices import CameraType, Purpose, Support, Transport
from vigie.inventory.models import Authorisation, Camera, RecorderNode, Site, StoragePool
from vigie.tenancy import services as tenancy
from vigie.tenancy.models import Member, Syndicate, User
from vigie.tenancy.roles import Role

DEMO_PASSWORD = "vigie-demo"  # noqa: S105 - documented demo password, 127.0.0.1 only
SYNDICATE = ("smv-bievre", "Syndicat mixte de vidéoprotection Bièvre")
RTSP_PORT = 8554
RTSP_BASE = f"rtsp://127.0.0.1:{RTSP_PORT}"
# A URL the demo seeded, on whatever port it was given then.
_DEMO_URL = re.compile(r"rtsp://127\.0\.0\.1:\d+/cam\d+")

# slug, name, INSEE code, population, services subscribed (besides recording)
TOWNS = [
    ("antony", "Antony", "92002", 62_760, ("supervision", "servicedesk", "vigik")),
    ("sceaux", "Sceaux", "92071", 19_560, ("supervision",)),
    ("bourg-la-reine", "Bourg-la-Reine", "92014", 20_870, ("analytics",)),
]

# town slug -> sites: name, address, postcode, city, latitude, longitude
SITES: dict[str, list[tuple[str, str, str, str, str, str]]] = {
    "antony": [
        ("Hôtel de ville", "Place de l'Hôtel de Ville", "92160", "Antony", "48.754050", "2.297560"),
        ("Gare RER B", "Place de la Gare", "92160", "Antony", "48.754930", "2.301030"),
        ("Marché du centre", "Rue Maurice Labrousse", "92160", "Antony", "48.753330", "2.299170"),
    ],
    "sceaux": [
        ("Mairie", "122 rue Houdan", "92330", "Sceaux", "48.776580", "2.290330"),
        ("Jardin de la Ménagerie", "Rue Houdan", "92330", "Sceaux", "48.777420", "2.293960"),
    ],
    "bourg-la-reine": [
        (
            "Hôtel de ville",
            "6 boulevard Carnot",
            "92340",
            "Bourg-la-Reine",
            "48.779720",
            "2.316620",
        ),
        ("Gare RER B", "Place de la Gare", "92340", "Bourg-la-Reine", "48.780310", "2.312530"),
    ],
}


@dataclass(frozen=True)
class DemoCamera:
    member: str
    site: str
    name: str
    model: str
    camera_type: str
    support: str
    transport: str
    purposes: tuple[str, ...]
    retention_days: int = 14


P = Purpose
CAMERAS = [
    DemoCamera(
        "antony",
        "Hôtel de ville",
        "ANT-HDV-01",
        "Axis Q6135-LE",
        CameraType.PTZ,
        Support.FACADE,
        Transport.FIBRE,
        (P.PUBLIC_BUILDINGS, P.CRIME_PREVENTION),
    ),
    DemoCamera(
        "antony",
        "Gare RER B",
        "ANT-GARE-01",
        "Axis P1465-LE",
        CameraType.FIXED,
        Support.MAST,
        Transport.FIBRE,
        (P.CRIME_PREVENTION, P.TRAFFIC_REGULATION),
    ),
    DemoCamera(
        "antony",
        "Gare RER B",
        "ANT-GARE-02",
        "Hanwha XNV-8080R",
        CameraType.PANORAMIC_360,
        Support.LAMP_POST,
        Transport.FIBRE,
        (P.CRIME_PREVENTION,),
        15,
    ),
    DemoCamera(
        "antony",
        "Marché du centre",
        "ANT-MARCHE-01",
        "Axis Q6135-LE",
        CameraType.PTZ,
        Support.LAMP_POST,
        Transport.RADIO,
        (P.CRIME_PREVENTION, P.DRUG_TRAFFICKING),
    ),
    DemoCamera(
        "sceaux",
        "Mairie",
        "SCX-MAIRIE-01",
        "Bosch AUTODOME 7100i",
        CameraType.PTZ,
        Support.FACADE,
        Transport.FIBRE,
        (P.PUBLIC_BUILDINGS,),
        7,
    ),
    DemoCamera(
        "sceaux",
        "Jardin de la Ménagerie",
        "SCX-JARDIN-01",
        "Axis P3818-PVE",
        CameraType.PANORAMIC_180,
        Support.MAST,
        Transport.CELLULAR,
        (P.CRIME_PREVENTION, P.WASTE_DUMPING),
        7,
    ),
    DemoCamera(
        "bourg-la-reine",
        "Hôtel de ville",
        "BLR-HDV-01",
        "Hanwha XNP-6400R",
        CameraType.PTZ,
        Support.FACADE,
        Transport.FIBRE,
        (P.PUBLIC_BUILDINGS,),
        15,
    ),
    DemoCamera(
        "bourg-la-reine",
        "Gare RER B",
        "BLR-GARE-01",
        "Axis P1465-LE",
        CameraType.FIXED,
        Support.LAMP_POST,
        Transport.FIBRE,
        (P.CRIME_PREVENTION, P.TRAFFIC_OFFENCES),
        15,
    ),
    DemoCamera(
        "bourg-la-reine",
        "Gare RER B",
        "BLR-GARE-02",
        "Axis M3106-L",
        CameraType.FIXED,
        Support.FACADE,
        Transport.FIBRE,
        (P.CRIME_PREVENTION,),
        15,
    ),
]


# Its simulated stream is stopped when the demo starts: supervision sees it down and,
# after Antony's short ticket delay, opens one ticket (docs/supervision.md).
BROKEN_CAMERA = "ANT-GARE-02"
BROKEN_TICKET_AFTER_MINUTES = 2


def broken_camera_number() -> int:
    """The simulator's number (``/camN``) of the camera the demo shows out of order."""
    return next(n for n, c in enumerate(CAMERAS, 1) if c.name == BROKEN_CAMERA)


@dataclass(frozen=True)
class DemoAuthorisation:
    member: str
    number: str
    expires_in_days: int  # negative: expired
    cameras: tuple[str, ...]


AUTHORISATIONS = [
    DemoAuthorisation(
        "antony", "AP-92002-01", 3 * 365, ("ANT-HDV-01", "ANT-GARE-01", "ANT-GARE-02")
    ),
    # Due for renewal: the file must reach the prefecture 4 months before expiry.
    DemoAuthorisation("sceaux", "AP-92071-01", 75, ("SCX-MAIRIE-01", "SCX-JARDIN-01")),
    DemoAuthorisation("bourg-la-reine", "AP-92014-02", 4 * 365, ("BLR-HDV-01", "BLR-GARE-01")),
    # Expired: its camera may be neither recorded nor shown until a new one covers it.
    DemoAuthorisation("bourg-la-reine", "AP-92014-01", -40, ("BLR-GARE-02",)),
]
# ANT-MARCHE-01 has no authorisation: it is awaiting one, like 32 of Antony's real cameras.


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    members: tuple[str, ...]  # empty: every member
    first_name: str
    last_name: str
    staff: bool = False

    @property
    def scope(self) -> str:
        return ", ".join(self.members) if self.members else "every member"


ACCOUNTS = [
    DemoAccount("admin", Role.SYNDICATE_ADMIN, (), "Claire", "Martin", staff=True),
    # The centre watches only the towns that delegated viewing (supervision subscribed).
    DemoAccount("operateur", Role.CSU_OPERATOR, ("antony", "sceaux"), "Karim", "Benali"),
    DemoAccount("mairie-antony", Role.TOWN_VIEWER, ("antony",), "Sophie", "Durand"),
    DemoAccount("mairie-sceaux", Role.TOWN_VIEWER, ("sceaux",), "Jean", "Lefèvre"),
    DemoAccount(
        "mairie-bourg-la-reine", Role.TOWN_VIEWER, ("bourg-la-reine",), "Nadia", "Rousseau"
    ),
    DemoAccount("opj", Role.JUDICIAL_OFFICER, (), "Thomas", "Garnier"),
    DemoAccount("technicien", Role.TECHNICIAN, (), "Lucas", "Moreau"),
    DemoAccount("auditeur", Role.AUDITOR, (), "Isabelle", "Fontaine"),
    DemoAccount("pilote-vigik", Role.VIGIK_PILOT, ("antony",), "Marc", "Petit"),
    DemoAccount("bailleur", Role.LANDLORD, ("antony",), "Hélène", "Girard"),
]


@dataclass
class SeedReport:
    created: dict[str, int]

    def total(self) -> int:
        return sum(self.created.values())

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def rtsp_url(n: int, port: int = RTSP_PORT) -> str:
    """Where the demo's simulated camera ``n`` (from 1) is served."""
    return f"rtsp://127.0.0.1:{port}/cam{n}"


def seed(rtsp_port: int = RTSP_PORT) -> SeedReport:
    """Create whatever part of the demo data is missing; return what was created.
    Demo cameras seeded earlier on another RTSP port are pointed at ``rtsp_port``."""
    report = SeedReport(created={})
    with actors.acting_as(actors.system("demo")), transaction.atomic():
        syndicate = tenancy.get_or_create_syndicate(SYNDICATE[1], SYNDICATE[0])
        members = {town[0]: _member(syndicate, town, report) for town in TOWNS}
        sites = {
            (slug, row[0]): _site(members[slug], row, report)
            for slug, rows in SITES.items()
            for row in rows
        }
        node, pool = _recording(report)
        cameras = {
            c.name: _camera(c, members, sites, (node, pool), rtsp_port, report) for c in CAMERAS
        }
        for demo in AUTHORISATIONS:
            _authorisation(demo, members[demo.member], cameras, report)
        for camera in cameras.values():
            if not camera.enabled and not camera.enable_blockers():
                inventory.set_enabled(camera, True)
                report.count("enabled cameras")
        for account in ACCOUNTS:
            _account(account, members, report)
        _habilitations(members, report)
        _supervision(members["antony"], report)
    return report


def _member(syndicate: Syndicate, town: tuple[Any, ...], report: SeedReport) -> Member:
    slug, name, insee, population, extra = town
    found = Member.objects.filter(slug=slug).first()
    if found is not None:
        return found
    member = Member(
        syndicate=syndicate,
        slug=slug,
        name=name,
        insee_code=insee,
        departement=insee[:2],
        population=population,
        subscribes_recording=True,
        subscribes_supervision="supervision" in extra,
        subscribes_analytics="analytics" in extra,
        subscribes_servicedesk="servicedesk" in extra,
        subscribes_vigik="vigik" in extra,
    )
    report.count("members")
    return tenancy.save_member(member)


def _site(member: Member, row: tuple[str, ...], report: SeedReport) -> Site:
    name, address, postcode, city, latitude, longitude = row
    found = Site.objects.filter(member=member, name=name).first()
    if found is not None:
        return found
    report.count("sites")
    return core.save(
        Site(
            member=member,
            name=name,
            address=address,
            postcode=postcode,
            city=city,
            latitude=Decimal(latitude),
            longitude=Decimal(longitude),
        )
    )


def _recording(report: SeedReport) -> tuple[RecorderNode, StoragePool]:
    node = RecorderNode.objects.filter(name="enregistreur-1").first()
    if node is None:
        node = core.save(
            RecorderNode(name="enregistreur-1", hostname="127.0.0.1", datacentre="CSU Bièvre")
        )
        report.count("recorder nodes")
    pool = StoragePool.objects.filter(name="stockage-1").first()
    if pool is None:
        path = Path(settings.DATA_DIR) / "recordings"
        path.mkdir(parents=True, exist_ok=True)
        pool = core.save(StoragePool(name="stockage-1", node=node, path=str(path), capacity_gb=500))
        report.count("storage pools")
    return node, pool


def _camera(
    demo: DemoCamera,
    members: dict[str, Member],
    sites: dict[tuple[str, str], Site],
    recording: tuple[RecorderNode, StoragePool],
    rtsp_port: int,
    report: SeedReport,
) -> Camera:
    member = members[demo.member]
    n = CAMERAS.index(demo) + 1
    url = rtsp_url(n, rtsp_port)
    found = Camera.objects.filter(member=member, name=demo.name).first()
    if found is not None:
        if found.rtsp_main != url and _DEMO_URL.fullmatch(found.rtsp_main):
            found.rtsp_main = url  # the demo now serves its cameras on another port
            inventory.save_camera(found)
            report.count("camera URLs moved")
        return found
    node, pool = recording
    site = sites[(demo.member, demo.site)]
    camera = Camera(
        member=member,
        site=site,
        name=demo.name,
        model=demo.model,
        # Loopback addresses and locally administered MACs: simulated, never real devices.
        ip_address=f"127.0.1.{n}",
        mac_address=f"02:56:49:47:00:{n:02X}",
        # The demo's simulated cameras (`vigie simulate-cameras`) serve /cam1 … /camN.
        rtsp_main=url,
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
        support=demo.support,
        camera_type=demo.camera_type,
        transport=demo.transport,
        purposes=list(demo.purposes),
        retention_days=demo.retention_days,
        recorder_node=node,
        storage_pool=pool,
        enabled=False,
    )
    report.count("cameras")
    return inventory.save_camera(camera)


def _authorisation(
    demo: DemoAuthorisation, member: Member, cameras: dict[str, Camera], report: SeedReport
) -> None:
    if Authorisation.objects.filter(member=member, number=demo.number).exists():
        return
    expires = timezone.localdate() + timedelta(days=demo.expires_in_days)
    authorisation = Authorisation(
        member=member,
        number=demo.number,
        issued_on=_years_before(expires, legal.AUTHORISATION_VALIDITY_YEARS),
        expires_on=expires,
        prefecture="Préfecture des Hauts-de-Seine",
        camera_count_authorised=len(demo.cameras),
    )
    inventory.save_authorisation(authorisation, [cameras[name] for name in demo.cameras])
    report.count("authorisations")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# Who may see images (CSI L252-2): each town designates its viewers; agents who are not
# police officers hold the prefect's approval; Antony and Sceaux delegate viewing to the
# centre (Sceaux at night and at weekends only), Bourg-la-Reine does not.
DESIGNATIONS = [
    ("operateur", "antony", True),
    ("operateur", "sceaux", True),
    ("mairie-antony", "antony", False),
    ("mairie-sceaux", "sceaux", False),
    ("mairie-bourg-la-reine", "bourg-la-reine", False),
]
# (username, approval number, days until expiry); the others are police officers.
APPROVALS = [("operateur", "AGR-92-2023-0117", 900), ("mairie-antony", "AGR-92-2022-0042", 75)]
POLICE = ["mairie-sceaux", "mairie-bourg-la-reine"]


def _habilitations(members: dict[str, Member], report: SeedReport) -> None:
    from vigie.tenancy import habilitation_services as habilitations
    from vigie.tenancy.models import Approval, Designation, OperatorDelegation, ViewingStatus

    today = timezone.localdate()
    people = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS])
    }
    for username, slug, export in DESIGNATIONS:
        if not Designation.objects.filter(user=people[username], member=members[slug]).exists():
            habilitations.designate(
                members[slug],
                people[username],
                export=export,
                valid_from=_years_before(today, 1),
                reference=f"Arrêté {slug} 2025-{len(slug):03d}",
            )
            report.count("designations")
    for username, number, days in APPROVALS:
        if not Approval.objects.filter(user=people[username]).exists():
            habilitations.record_approval(
                people[username],
                number,
                "92",
                today + timedelta(days=days) - timedelta(days=5 * 365),
                today + timedelta(days=days),
            )
            report.count("approvals")
    for username in POLICE:
        if people[username].viewing_status != ViewingStatus.MUNICIPAL_POLICE:
            tenancy.update_user(people[username], viewing_status=ViewingStatus.MUNICIPAL_POLICE)
    if not OperatorDelegation.objects.filter(member=members["antony"]).exists():
        habilitations.delegate(members["antony"], note="Convention de mutualisation, art. 4")
        report.count("delegations")
    if not OperatorDelegation.objects.filter(member=members["sceaux"]).exists():
        habilitations.delegate(
            members["sceaux"], weekdays=[1, 2, 3, 4, 5], start=time(18, 0), end=time(8, 0)
        )
        habilitations.delegate(members["sceaux"], weekdays=[6, 7])
        report.count("delegations")


def _supervision(member: Member, report: SeedReport) -> None:
    from vigie.supervision.demo import seed_history
    from vigie.supervision.models import SupervisionPolicy

    if seed_history():
        report.count("camera health histories")
    if not SupervisionPolicy.objects.filter(member=member).exists():
        core.save(
            SupervisionPolicy(member=member, ticket_after_minutes=BROKEN_TICKET_AFTER_MINUTES)
        )
        report.count("supervision policies")


def _account(account: DemoAccount, members: dict[str, Member], report: SeedReport) -> None:
    if User.objects.filter(username=account.username).exists():
        return
    tenancy.create_user(
        account.username,
        DEMO_PASSWORD,
        role=account.role,
        members=[members[slug] for slug in account.members],
        all_members=not account.members,
        first_name=account.first_name,
        last_name=account.last_name,
        is_staff=account.staff,
        is_superuser=account.staff,
    )
    report.count("accounts")
