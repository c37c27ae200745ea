"""The inventory's management commands in-process (call_command), on the test database."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.core.shared_data import shared_data
from vigie.core.testing import (
    make_authorisation,
    make_camera,
    make_member,
    make_site,
    make_user,
)
from vigie.inventory.api.serializers import (
    AuthorisationSerializer,
    CameraSerializer,
    SiteSerializer,
)
from vigie.inventory.models import Camera

pytestmark = pytest.mark.django_db
GENETEC = shared_data("genetec_extract_antony.tsv")


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def as_json(*args: str, **options) -> list[dict]:
    data = json.loads(run(*args, "--json", **options))
    assert isinstance(data, list)
    return data


def readable(serializer_class) -> set[str]:
    return {name for name, f in serializer_class().fields.items() if not f.write_only}


@pytest.mark.parametrize(
    ("command", "serializer", "make"),
    [
        ("camera", CameraSerializer, make_camera),
        ("site", SiteSerializer, make_site),
        ("authorisation", AuthorisationSerializer, make_authorisation),
    ],
)
def test_json_field_names_are_the_api_serializers(command, serializer, make):
    make(make_member())
    rows = as_json(command, "list")
    assert len(rows) == 1
    assert set(rows[0]) == readable(serializer)


def test_lists_follow_the_acting_persons_reach():
    a, b = make_member(), make_member()
    mine, theirs = make_camera(a), make_camera(b)
    viewer = make_user(role="town_viewer", members=[a])
    assert {c["id"] for c in as_json("camera", "list")} == {mine.pk, theirs.pk}
    assert {c["id"] for c in as_json("camera", "list", acting_as=viewer.username)} == {mine.pk}
    with pytest.raises(CommandError, match="unknown member"):
        run("camera", "list", "--member", b.slug, acting_as=viewer.username)
    assert as_json("camera", "list", "--member", b.slug) != []


def test_authorisation_list_expiring():
    member = make_member()
    today = timezone.localdate()
    soon = make_authorisation(member, expires_on=today + timedelta(days=60))
    make_authorisation(member, expires_on=today + timedelta(days=600))
    expired = make_authorisation(
        member, issued_on=today - timedelta(days=900), expires_on=today - timedelta(days=1)
    )
    assert [a["id"] for a in as_json("authorisation", "list", "--expiring")] == [soon.pk]
    table = run("authorisation", "list")
    assert "expiring" in table and "expired" in table and expired.number in table


def test_import_dry_run_writes_nothing():
    member = make_member()
    before = JournalEntry.objects.count()
    out = run("import_cameras", str(GENETEC), "--member", member.slug, "--dry-run")
    assert "100 to create" in out and "nothing written" in out
    assert not Camera.objects.unrestricted().exists()
    assert JournalEntry.objects.count() == before


def test_import_as_a_person_of_another_member_is_refused():
    a, b = make_member(), make_member()
    admin_a = make_user(role="syndicate_admin", members=[a])
    with pytest.raises(CommandError, match="unknown member"):
        run("import_cameras", str(GENETEC), "--member", b.slug, acting_as=admin_a.username)
    auditor = make_user(role="auditor", members=[a])
    with pytest.raises(CommandError, match="may not import"):
        run("import_cameras", str(GENETEC), "--member", a.slug, acting_as=auditor.username)
    assert not Camera.objects.unrestricted().exists()
    out = run("import_cameras", str(GENETEC), "--member", a.slug, acting_as=admin_a.username)
    assert "100 created" in out
    entry = JournalEntry.objects.filter(action="inventory.camera.import").get()
    assert entry.actor_name == admin_a.username


def test_import_errors_list_every_line(tmp_path):
    member = make_member()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,ip_address,retention_days\nA,10.0.0.1,7\nB,10.0.0.300,7\nC,10.0.0.3,45\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 errors"):
        call_command(
            "import_cameras", str(bad), "--member", member.slug, stderr=err, stdout=io.StringIO()
        )
    lines = err.getvalue().splitlines()
    assert lines[0].startswith(f"{bad}:3: ip_address:")
    assert lines[1].startswith(f"{bad}:4: retention_days:") and "30" in lines[1]
    assert not Camera.objects.unrestricted().exists()


def test_cli_acts_as_a_named_system_party():
    member = make_member()
    run("import_cameras", str(GENETEC), "--member", member.slug)
    entry = JournalEntry.objects.filter(action="inventory.camera.create").first()
    assert entry is not None and entry.actor_system and entry.actor_name.startswith("cli:")
