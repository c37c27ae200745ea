"""Camera import: formats, matching, all-or-nothing, isolation (vigie/inventory/imports.py)."""

from __future__ import annotations

import codecs
import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.shared_data import shared_data
from vigie.core.testing import (
    as_system,
    make_authorisation,
    make_camera,
    make_member,
    make_site,
    make_user,
)
from vigie.inventory import import_formats
from vigie.inventory.imports import ImportRefused, apply_import, plan_import
from vigie.inventory.models import Camera, RecorderNode, Site, TransportLink

pytestmark = pytest.mark.django_db

GENETEC = shared_data("genetec_extract_antony.tsv")
SYSTEM = actors.system("tests:import")


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, whatever translations are compiled."""
    with translation.override("en"):
        yield


@pytest.fixture
def genetec() -> bytes:
    assert GENETEC.is_file(), f"the shared Genetec extract is missing: {GENETEC}"
    return GENETEC.read_bytes()


def native(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(out, columns, restval="", delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def camera_row(n: int, **changes: str) -> dict[str, str]:
    row = {
        "name": f"CAM-{n:03d}",
        "model": "Axis P1465-LE",
        "ip_address": f"10.1.0.{n}",
        "mac_address": f"00:40:8C:00:00:{n:02X}",
        "site": "Gare",
        "rtsp_main": f"rtsp://127.0.0.1:8554/cam{n}",
        "latitude": "48.754930",
        "longitude": "2.301030",
        "camera_type": "fixed",
        "transport": "fibre",
        "purposes": "crime_prevention|traffic_regulation",
        "retention_days": "14",
        "status": "in_service",
    }
    row.update(changes)
    return row


def do_import(data: bytes, member, who=SYSTEM):
    plan = plan_import(data, member, who)
    assert plan.ok, [str(e) for e in plan.errors]
    return plan, apply_import(plan, member, who)


def cameras_of(member) -> list[Camera]:
    return list(Camera.objects.unrestricted().filter(member=member).order_by("name"))


# --------------------------------------------------------------------------- Genetec


def test_genetec_extract_gives_100_disabled_cameras(genetec):
    member = make_member("antony")
    plan, result = do_import(genetec, member)
    assert (plan.file_format, plan.encoding, plan.delimiter) == ("genetec", "utf-8", "\t")
    assert (result.created, result.updated, result.unchanged) == (100, 0, 0)
    cameras = cameras_of(member)
    assert len(cameras) == 100
    first = cameras[0]
    assert (first.name, first.model) == ("IPCAM001", "IPCAM001")
    assert (first.ip_address, first.mac_address) == ("192.168.1.1", "00:0C:29:00:00:01")
    assert first.status == "in_service"
    assert not any(c.enabled for c in cameras)
    assert cameras[-1].mac_address == "00:0C:29:00:00:64"


def test_genetec_reimport_changes_nothing_and_modified_file_updates_by_mac(genetec):
    member = make_member("antony")
    do_import(genetec, member)
    plan, result = do_import(genetec, member)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 100)
    assert plan.count("unchanged") == 100
    assert len(cameras_of(member)) == 100

    modified = (
        genetec.decode()
        .replace("OK\tIPCAM005\t192.168.1.5\t", "OK\tIPCAM005\t192.168.2.5\t")
        .replace("OK\tIPCAM006\t", "Hors ligne\tIPCAM006\t")
        .replace("OK\tIPCAM007\t", "Avertissement\tCARREFOUR-07\t")
    )
    plan, result = do_import(modified.encode(), member)
    assert (result.created, result.updated, result.unchanged) == (0, 3, 97)
    rows = {r.line: r for r in plan.rows}
    assert rows[6].matched_by == "mac"
    assert rows[6].changes == {"ip_address": ("192.168.1.5", "192.168.2.5")}
    cameras = {c.mac_address: c for c in cameras_of(member)}
    assert len(cameras) == 100
    assert cameras["00:0C:29:00:00:05"].ip_address == "192.168.2.5"
    assert cameras["00:0C:29:00:00:06"].status == "out_of_order"
    renamed = cameras["00:0C:29:00:00:07"]
    assert (renamed.name, renamed.model, renamed.status) == (
        "CARREFOUR-07",
        "CARREFOUR-07",
        "degraded",
    )


def test_genetec_line_with_bad_ip_imports_nothing_and_names_the_line(genetec):
    member = make_member("antony")
    bad = genetec.replace(b"\t192.168.1.50\t", b"\t192.168.1.500\t")
    plan = plan_import(bad, member, SYSTEM)
    assert not plan.ok
    assert [(e.line, e.field) for e in plan.errors] == [(51, "Adresse IP")]
    assert "192.168.1.500" in plan.errors[0].message
    with pytest.raises(ImportRefused):
        apply_import(plan, member, SYSTEM)
    assert cameras_of(member) == []


def test_genetec_unknown_status_is_a_line_error(genetec):
    member = make_member()
    bad = genetec.replace(b"OK\tIPCAM010\t", b"Bizarre\tIPCAM010\t")
    plan = plan_import(bad, member, SYSTEM)
    assert [(e.line, e.field) for e in plan.errors] == [(11, "Statut")]
    assert "Bizarre" in plan.errors[0].message


def test_reimport_matches_by_ip_when_the_mac_changed(genetec):
    member = make_member()
    do_import(genetec, member)
    replaced = genetec.replace(b"00:0C:29:00:00:09", b"00:0C:29:AA:BB:09")
    plan, result = do_import(replaced, member)
    row = next(r for r in plan.rows if r.line == 10)
    assert (row.action, row.matched_by) == ("update", "ip")
    assert result.updated == 1
    assert Camera.objects.unrestricted().get(member=member, name="IPCAM009").mac_address == (
        "00:0C:29:AA:BB:09"
    )


def test_matching_stays_within_the_member(genetec):
    antony, sceaux = make_member(), make_member()
    do_import(genetec, antony)
    _, result = do_import(genetec, sceaux)
    assert result.created == 100
    assert len(cameras_of(antony)) == len(cameras_of(sceaux)) == 100


# --------------------------------------------------------------------------- native CSV


def test_native_csv_with_every_field_creates_sites_in_the_same_transaction():
    member = make_member()
    link_site = make_site(member, name="Mairie")
    with as_system():
        link = TransportLink.objects.create(
            member=member, name="BLOD-1", kind="fibre", site=link_site
        )
        node = RecorderNode.objects.create(name="rec-1")
    row = camera_row(
        1,
        rtsp_sub="rtsp://127.0.0.1:8554/cam1-sub",
        address="Place de la Gare",
        support="candélabre",
        transport_link="BLOD-1",
        close_up="oui",
        recorder_node="rec-1",
        notes="côté quai",
    )
    plan, result = do_import(native([row, camera_row(2, site="Mairie")]).encode(), member)
    assert plan.file_format == "native"
    assert plan.sites_to_create == ["Gare"]
    assert (result.created, result.sites_created) == (2, 1)
    camera = Camera.objects.unrestricted().get(member=member, name="CAM-001")
    assert camera.site.name == "Gare" and camera.site.member_id == member.pk
    assert camera.support == "lamp_post" and camera.close_up
    assert camera.transport_link == link and camera.recorder_node == node
    assert camera.purposes == ["crime_prevention", "traffic_regulation"]
    assert camera.latitude == Decimal("48.754930")
    assert camera.rtsp_sub.endswith("cam1-sub") and camera.notes == "côté quai"
    assert not camera.enabled
    assert Camera.objects.unrestricted().get(member=member, name="CAM-002").site == link_site


def test_french_headers_and_aliases():
    member = make_member()
    text = (
        "Nom;Modèle;Adresse IP;Adresse MAC;Type de caméra;Finalités;Durée de conservation (jours);"
        "Statut;Support;Transport\n"
        "CAM-1;Axis;10.0.0.1;00-40-8c-00-00-01;dôme;sécurité publique, stupéfiants;7;hors service;"
        "mât;FH\n"
    )
    do_import(text.encode(), member)
    camera = cameras_of(member)[0]
    assert camera.mac_address == "00:40:8C:00:00:01"
    assert camera.camera_type == "ptz"
    assert camera.purposes == ["crime_prevention", "drug_trafficking"]
    assert (camera.retention_days, camera.status) == (7, "out_of_order")
    assert (camera.support, camera.transport) == ("mast", "radio")


def test_excel_cp1252_semicolons_and_decimal_commas():
    member = make_member()
    text = (
        "nom;modèle;adresse IP;adresse MAC;site;latitude;longitude;finalités;conservation\r\n"
        "ANT-GARE-01;Axis P1465-LE;10.20.0.11;00:40:8C:12:34:56;Hôtel de ville;48,754930;"
        "2,301030;bâtiments publics;14\r\n"
        "ANT-GARE-02;Axis P1465-LE;10.20.0.12;00:40:8C:12:34:57;Hôtel de ville;48,7549305;"
        "2,3;sécurité publique;15\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    plan, result = do_import(data, member)
    assert (plan.encoding, plan.delimiter) == ("cp1252", ";")
    assert result.created == 2
    first, second = cameras_of(member)
    assert first.site is not None and first.site.name == "Hôtel de ville"
    assert (first.latitude, first.longitude) == (Decimal("48.754930"), Decimal("2.301030"))
    assert second.latitude == Decimal("48.754931")  # rounded to the 6 decimals kept
    assert first.purposes == ["public_buildings"]


def test_utf8_with_bom():
    member = make_member()
    data = codecs.BOM_UTF8 + native([camera_row(1, site="Hôtel de ville")], ";").encode()
    plan, _result = do_import(data, member)
    assert (plan.encoding, plan.delimiter, plan.file_format) == ("utf-8-sig", ";", "native")
    site = cameras_of(member)[0].site
    assert site is not None and site.name == "Hôtel de ville"


def test_utf16_unicode_text_from_excel(genetec):
    member = make_member()
    data = codecs.BOM_UTF16_LE + genetec.decode().encode("utf-16-le")
    plan, result = do_import(data, member)
    assert plan.encoding == "utf-16" and result.created == 100


def test_native_reimport_is_unchanged_and_empty_cells_keep_values():
    member = make_member()
    rows = [camera_row(n) for n in range(1, 4)]
    do_import(native(rows).encode(), member)
    _, result = do_import(native(rows).encode(), member)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    # A spreadsheet with blanked cells does not erase what Vigie knows.
    blanked = [camera_row(1, model="", rtsp_main="", retention_days="")]
    _, result = do_import(native(blanked).encode(), member)
    assert result.unchanged == 1
    camera = Camera.objects.unrestricted().get(member=member, name="CAM-001")
    assert camera.model == "Axis P1465-LE" and camera.rtsp_main


def test_update_keeps_an_enabled_camera_enabled():
    member = make_member()
    camera = make_camera(
        member, name="CAM-001", mac_address="00:40:8C:00:00:01", rtsp_main="rtsp://127.0.0.1:8554/x"
    )
    make_authorisation(member, [camera])
    with as_system():
        camera.enabled = True
        camera.save()
    do_import(native([camera_row(1)]).encode(), member)
    camera.refresh_from_db()
    assert camera.enabled and camera.ip_address == "10.1.0.1"


def test_name_matching_only_for_lines_without_addresses():
    member = make_member()
    make_camera(member, name="CAM-001", mac_address=None, ip_address=None)
    plan, result = do_import(b"name,model\nCAM-001,Bosch\n", member)
    assert plan.rows[0].matched_by == "name" and result.updated == 1
    plan = plan_import(native([camera_row(1)]).encode(), member, SYSTEM)
    assert [(e.line, e.field) for e in plan.errors] == [(2, "name")]


# --------------------------------------------------------------------------- bad lines


BAD_LINES = {
    "bad IP": ({"ip_address": "10.1.0.300"}, "ip_address"),
    "bad MAC": ({"mac_address": "00:40:8C:00:00"}, "mac_address"),
    "multicast MAC": ({"mac_address": "01:00:5E:00:00:01"}, "mac_address"),
    "unknown purpose": ({"purposes": "crime_prevention|reconnaissance_faciale"}, "purposes"),
    "retention over 30": ({"retention_days": "31"}, "retention_days"),
    "retention not a number": ({"retention_days": "deux"}, "retention_days"),
    "duplicate MAC": ({"mac_address": "00:40:8C:00:00:01"}, "mac_address"),
    "duplicate IP": ({"ip_address": "10.1.0.1"}, "ip_address"),
    "duplicate name": ({"name": "CAM-001"}, "name"),
    "unknown status": ({"status": "cassée"}, "status"),
    "unknown type": ({"camera_type": "thermique"}, "camera_type"),
    "bad latitude": ({"latitude": "91"}, "latitude"),
    "latitude not a number": ({"latitude": "48°45'"}, "latitude"),
    "bad stream URL": ({"rtsp_main": "http://127.0.0.1/x"}, "rtsp_main"),
    "unknown transport link": ({"transport_link": "nowhere"}, "transport_link"),
    "over-long name": ({"name": "N" * 151}, "name"),
    "over-long site": ({"site": "S" * 201}, "site"),
    "hostile long cell": ({"notes": "<script>" * 400}, "notes"),
    "missing name": ({"name": ""}, "name"),
    "bad boolean": ({"close_up": "peut-être"}, "close_up"),
}


@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_one_bad_line_imports_nothing_and_names_the_line(kind):
    member = make_member()
    changes, field = BAD_LINES[kind]
    rows = [camera_row(n) for n in range(1, 6)]
    rows[3] = camera_row(4, **changes)  # file line 5
    plan = plan_import(native(rows).encode(), member, SYSTEM)
    assert not plan.ok
    assert {(e.line, e.field) for e in plan.errors} == {(5, field)}, [str(e) for e in plan.errors]
    assert "line 5" in str(plan.errors[0])
    journal_before = JournalEntry.objects.count()
    with pytest.raises(ImportRefused) as refused:
        apply_import(plan, member, SYSTEM)
    assert refused.value.errors == plan.errors
    assert cameras_of(member) == []
    assert not Site.objects.unrestricted().filter(member=member).exists()
    assert JournalEntry.objects.count() == journal_before


@pytest.mark.parametrize(
    ("line", "count"),
    [("CAM-9,Axis,10.0.0.9", 3), ("CAM-9,Axis,10.0.0.9,00:40:8C:00:00:09,extra,cells", 6)],
)
def test_wrong_number_of_columns(line, count):
    member = make_member()
    data = f"name,model,ip_address,mac_address\nCAM-1,Axis,10.0.0.1,00:40:8C:00:00:01\n{line}\n"
    plan = plan_import(data.encode(), member, SYSTEM)
    assert [str(e) for e in plan.errors] == [f"line 3: {count} columns where the header has 4."]


def test_all_errors_are_reported_not_only_the_first():
    member = make_member()
    rows = [camera_row(n) for n in range(1, 6)]
    rows[0]["ip_address"] = "x"
    rows[2]["retention_days"] = "60"
    rows[4]["mac_address"] = rows[1]["mac_address"]
    plan = plan_import(native(rows).encode(), member, SYSTEM)
    assert [e.line for e in plan.errors] == [2, 4, 6]


def test_apply_revalidates_against_the_database():
    member = make_member()
    plan = plan_import(native([camera_row(1), camera_row(2)]).encode(), member, SYSTEM)
    assert plan.ok
    # Someone adds a camera with the same MAC between the preview and the import.
    make_camera(member, name="OTHER", mac_address="00:40:8C:00:00:02")
    with pytest.raises(ImportRefused) as refused:
        apply_import(plan, member, SYSTEM)
    assert [e.line for e in refused.value.errors] == [3]
    assert [c.name for c in cameras_of(member)] == ["OTHER"]
    assert not Site.objects.unrestricted().filter(member=member, name="Gare").exists()


def test_a_plan_is_for_one_member():
    a, b = make_member(), make_member()
    plan = plan_import(native([camera_row(1)]).encode(), a, SYSTEM)
    with pytest.raises(ImportRefused):
        apply_import(plan, b, SYSTEM)
    assert not Camera.objects.unrestricted().exists()


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"  \r\n\r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"\x7fELF\x02\x01\x01\x00", "binary"),
        (b"foo,bar\n1,2\n", "No known header"),
        (b"name,model\n", "no camera lines"),
        (b"Statut\tMod\xc3\xa8le\tAdresse IP\tAdresse MAC\n", "no camera lines"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(data, expected):
    member = make_member()
    plan = plan_import(data, member, SYSTEM)
    assert not plan.ok
    assert expected in plan.errors[0].message
    with pytest.raises(ImportRefused):
        apply_import(plan, member, SYSTEM)


def test_unknown_and_refused_columns_are_header_errors():
    member = make_member()
    plan = plan_import(b"name,colour,enabled\nCAM-1,red,yes\n", member, SYSTEM)
    assert [(e.line, e.field) for e in plan.errors] == [(1, "colour"), (1, "enabled")]
    assert "never enable" in plan.errors[1].message


def test_file_size_and_line_count_are_bounded(monkeypatch):
    member = make_member()
    monkeypatch.setattr(import_formats, "MAX_BYTES", 100)
    plan = plan_import(native([camera_row(n) for n in range(1, 4)]).encode(), member, SYSTEM)
    assert "larger than" in plan.errors[0].message
    monkeypatch.setattr(import_formats, "MAX_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(import_formats, "MAX_ROWS", 2)
    plan = plan_import(native([camera_row(n) for n in range(1, 4)]).encode(), member, SYSTEM)
    assert [e.line for e in plan.errors] == [4]
    assert "More than 2 lines" in plan.errors[0].message


# --------------------------------------------------------------------------- who may import


def test_a_user_of_member_a_cannot_import_into_member_b(genetec):
    a, b = make_member(), make_member()
    admin_a = make_user(role="syndicate_admin", members=[a])
    with pytest.raises(PermissionDenied):
        plan_import(genetec, b, admin_a)
    plan = plan_import(genetec, b, SYSTEM)
    with pytest.raises(PermissionDenied):
        apply_import(plan, b, admin_a)
    assert not Camera.objects.unrestricted().filter(member=b).exists()
    # Within their own member, the import acts as them.
    plan, result = do_import(genetec, a, admin_a)
    assert result.created == 100
    entry = JournalEntry.objects.filter(action="inventory.camera.import").get()
    assert entry.actor_name == admin_a.username and entry.member_id == a.pk
    assert entry.details["created"] == 100


def test_a_viewer_cannot_import_and_a_technician_cannot_add(genetec):
    a = make_member()
    with pytest.raises(PermissionDenied):
        plan_import(genetec, a, make_user(role="town_viewer", members=[a]))
    technician = make_user(role="technician", members=[a])
    make_camera(
        a,
        name="IPCAM001",
        mac_address="00:0C:29:00:00:01",
        ip_address="192.168.1.1",
        status="degraded",
    )
    plan = plan_import(genetec, a, technician)
    # Technicians configure existing devices: the one known camera updates, the rest may not.
    assert len(plan.errors) == 99
    assert plan.errors[0].message == "You may not add cameras to this member."
    one_line = b"".join(genetec.splitlines(keepends=True)[:2])
    plan, result = do_import(one_line, a, technician)
    assert result.updated == 1


def test_a_person_without_the_right_to_add_sites_gets_unknown_site():
    a = make_member()
    technician = make_user(role="technician", members=[a])
    make_camera(a, name="CAM-001", mac_address="00:40:8C:00:00:01")
    plan = plan_import(native([camera_row(1, site="Nouveau site")]).encode(), a, technician)
    assert [(e.line, e.field) for e in plan.errors] == [(2, "site")]
    assert plan.sites_to_create == []


def test_nobody_acting_cannot_import(genetec):
    member = make_member()
    with pytest.raises(PermissionDenied):
        plan_import(genetec, member, None)


# --------------------------------------------------------------------------- more shapes


def test_genetec_saved_by_excel(genetec):
    member = make_member()
    data = genetec.decode().replace("\t", ";").replace("\n", "\r\n").encode("cp1252")
    plan, result = do_import(data, member)
    assert (plan.file_format, plan.encoding, plan.delimiter) == ("genetec", "cp1252", ";")
    assert result.created == 100


def test_trailing_empty_columns_are_ignored_but_not_values_under_them():
    member = make_member()
    do_import(b"name;model;;\nCAM-1;Axis;;\n", member)
    plan = plan_import(b"name;model;;\nCAM-2;Axis;;oops\n", member, SYSTEM)
    assert [(e.line, e.message) for e in plan.errors] == [
        (2, "A value under a column without a header.")
    ]


def test_ambiguous_or_double_matches_are_line_errors():
    member = make_member()
    make_camera(member, name="A", mac_address="00:40:8C:00:00:0A", ip_address="10.0.0.1")
    make_camera(member, name="B", mac_address="00:40:8C:00:00:0B", ip_address="10.0.0.1")
    make_camera(member, name="C", mac_address="00:40:8C:00:00:0C", ip_address="10.0.0.3")
    data = (
        "name,ip_address,mac_address\n"
        "X,10.0.0.1,00:40:8C:00:00:99\n"  # its MAC is new and two cameras have its IP
        "C,10.0.0.33,00:40:8C:00:00:0C\n"  # C, by its MAC, moves to another address
        "D,10.0.0.3,00:40:8C:00:00:98\n"  # would match C by its old IP a second time
    )
    plan = plan_import(data.encode(), member, SYSTEM)
    assert [(e.line, e.field) for e in plan.errors] == [(2, "ip_address"), (4, "")]
    assert "A, B" in plan.errors[0].message
    assert plan.errors[1].message == "Same camera as line 3 (C)."
