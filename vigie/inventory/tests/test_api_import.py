"""``POST /api/v1/cameras/import/``: preview, apply, refuse with line numbers, isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigie.core.api_testing import token_client
from vigie.core.shared_data import shared_data
from vigie.core.testing import make_member, make_user
from vigie.inventory.models import Camera

pytestmark = pytest.mark.django_db

GENETEC = shared_data("genetec_extract_antony.tsv")
URL = "/api/v1/cameras/import/"
SMALL = (
    "Statut\tModèle\tAdresse IP\tAdresse MAC\n"
    "OK\tIPCAM001\t10.0.0.1\t00:0C:29:00:00:01\n"
    "OK\tIPCAM002\t10.0.0.2\t00:0C:29:00:00:02\n"
).encode()


@pytest.fixture
def genetec() -> bytes:
    assert GENETEC.is_file(), f"the shared Genetec extract is missing: {GENETEC}"
    return GENETEC.read_bytes()


@pytest.fixture
def town():
    a = make_member("antony")
    return a, token_client(make_user(role="syndicate_admin", members=[a]))


def post(client, data: bytes, member: str, *, dry_run: bool = False, name: str = "cams.tsv"):
    upload = SimpleUploadedFile(name, data, content_type="text/tab-separated-values")
    body = {"file": upload, "member": member, "dry_run": "true" if dry_run else "false"}
    return client.post(URL, body, format="multipart")


def test_url_is_the_routed_action():
    assert reverse("v1:camera-import-file") == URL


def test_dry_run_previews_the_genetec_extract_and_writes_nothing(town, genetec):
    a, client = town
    response = post(client, genetec, a.slug, dry_run=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["file_format"], body["dry_run"], body["applied"]) == ("genetec", True, False)
    assert body["counts"] == {"create": 100, "update": 0, "unchanged": 0, "errors": 0}
    assert len(body["rows"]) == 100
    assert body["rows"][0]["line"] == 2 and body["rows"][0]["action"] == "create"
    assert body["result"] is None
    assert not Camera.objects.unrestricted().exists()


def test_import_then_reimport_keeps_100_cameras(town, genetec):
    a, client = town
    first = post(client, genetec, a.slug)
    assert first.status_code == 200, first.content
    assert first.json()["applied"] is True
    assert first.json()["result"]["created"] == 100
    assert Camera.objects.unrestricted().filter(member=a, enabled=False).count() == 100
    again = post(client, genetec, a.slug)
    assert again.status_code == 200
    assert again.json()["counts"]["unchanged"] == 100
    assert again.json()["result"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 100,
        "sites_created": 0,
    }
    assert Camera.objects.unrestricted().count() == 100


def test_one_bad_line_refuses_the_whole_file_and_names_the_line(town, genetec):
    a, client = town
    bad = genetec.replace(b"\t192.168.1.50\t", b"\t192.168.1.500\t")
    response = post(client, bad, a.slug)
    assert response.status_code == 400
    body = response.json()
    assert body["applied"] is False
    assert body["counts"]["errors"] >= 1
    assert [e["line"] for e in body["errors"]] == [51]
    assert body["errors"][0]["message"]
    assert not Camera.objects.unrestricted().exists()


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02binary\xff\xfe" * 50, b"just one line\n", "Statut\tMod\u00e8le\n".encode()],
)
def test_unreadable_files_are_400_and_write_nothing(town, data):
    a, client = town
    response = post(client, data, a.slug)
    assert response.status_code == 400, response.content
    assert response.json()
    assert not Camera.objects.unrestricted().exists()


def test_too_big_file_is_400(town):
    a, client = town
    response = post(client, SMALL + b"#" * (5 * 1024 * 1024), a.slug)
    assert response.status_code == 400
    assert "file" in response.json()


def test_missing_fields_are_400(town):
    a, client = town
    assert client.post(URL, {"member": a.slug}, format="multipart").status_code == 400
    upload = SimpleUploadedFile("c.tsv", SMALL)
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "member" in response.json()


def test_importing_into_another_member_is_refused():
    a, b = make_member("antony"), make_member("sceaux")
    client = token_client(make_user(role="syndicate_admin", members=[a]))
    response = post(client, SMALL, b.slug)
    assert response.status_code == 400
    assert "member" in response.json()
    assert not Camera.objects.unrestricted().exists()


def test_viewer_may_not_import_even_as_a_preview():
    a = make_member("antony")
    client = token_client(make_user(role="town_viewer", members=[a]))
    for dry_run in (True, False):
        response = post(client, SMALL, a.slug, dry_run=dry_run)
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
    assert not Camera.objects.unrestricted().exists()


def test_technician_may_preview_updates():
    a = make_member("antony")
    admin = token_client(make_user(role="syndicate_admin", members=[a]))
    assert post(admin, SMALL, a.slug).status_code == 200
    technician = token_client(make_user(role="technician", members=[a]))
    changed = SMALL.replace(b"IPCAM002", b"IPCAM002-bis")
    response = post(technician, changed, a.slug, dry_run=True)
    assert response.status_code == 200, response.content
    assert response.json()["counts"] == {"create": 0, "update": 1, "unchanged": 1, "errors": 0}
    row = response.json()["rows"][1]
    assert (row["matched_by"], row["action"]) == ("mac", "update")
    assert row["changes"]["name"] == ["IPCAM002", "IPCAM002-bis"]
