"""``vigie member`` and ``vigie user`` in-process (call_command), on the test database."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from vigie.core.testing import make_member, make_syndicate, make_user
from vigie.tenancy.models import Member, RoleAssignment, Syndicate, User

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_member_add_creates_the_syndicate_when_there_is_none():
    assert not Syndicate.objects.exists()
    run(
        "member",
        "add",
        "antony",
        "--name",
        "Antony",
        "--insee",
        "92002",
        "--population",
        "62760",
        "--departement",
        "92",
        "--services",
        "supervision,vigik",
    )
    member = Member.objects.unrestricted().get(slug="antony")
    assert member.syndicate.slug == "syndicat"
    assert (member.subscribes_recording, member.subscribes_supervision) == (False, True)
    assert member.subscribes_vigik and member.population == 62760
    run("member", "add", "sceaux", "--name", "Sceaux")
    assert Syndicate.objects.count() == 1
    assert Member.objects.unrestricted().get(slug="sceaux").subscribes_recording  # default


def test_member_add_with_several_syndicates_needs_one():
    make_syndicate(slug="one")
    make_syndicate(slug="two", name="Deux")
    with pytest.raises(CommandError, match="--syndicate"):
        run("member", "add", "x", "--name", "X")
    run("member", "add", "x", "--name", "X", "--syndicate", "two")
    assert Member.objects.unrestricted().get(slug="x").syndicate.slug == "two"


def test_member_add_bad_values_write_nothing():
    make_syndicate()
    with pytest.raises(CommandError, match="insee_code"):
        run("member", "add", "x", "--name", "X", "--insee", "1234")
    with pytest.raises(CommandError, match="unknown service"):
        run("member", "add", "x", "--name", "X", "--services", "coffee")
    with pytest.raises(CommandError):
        run("member", "add", "Not A Slug", "--name", "X")
    assert not Member.objects.unrestricted().exists()


def test_member_add_as_a_town_viewer_is_refused():
    a = make_member()
    viewer = make_user(role="town_viewer", members=[a])
    with pytest.raises(CommandError):
        run("member", "add", "x", "--name", "X", acting_as=viewer.username)
    assert not Member.objects.unrestricted().filter(slug="x").exists()


def test_user_add_list_and_token(monkeypatch):
    make_member("antony")
    make_member("sceaux")
    monkeypatch.setattr("sys.stdin", io.StringIO("Phrase-de-passe-solide\n"))
    run(
        "user",
        "add",
        "marie",
        "--role",
        "town_viewer",
        "--member",
        "antony",
        "--member",
        "sceaux",
        "--password-stdin",
        "--email",
        "marie@antony.example",
    )
    marie = User.objects.get(username="marie")
    assert marie.check_password("Phrase-de-passe-solide") and marie.email == "marie@antony.example"
    assignment = RoleAssignment.objects.get(user=marie)
    assert set(assignment.members.values_list("slug", flat=True)) == {"antony", "sceaux"}
    run("user", "add", "tech", "--role", "technician", "--all-members")
    tech = User.objects.get(username="tech")
    assert not tech.has_usable_password()
    people = json.loads(run("user", "list", "--json"))
    assert {p["username"] for p in people} == {"marie", "tech"}
    key = run("user", "token", "tech").strip()
    assert Token.objects.get(user=tech).key == key
    # A person may read their own token, not another's without the right to change people.
    assert (
        run("user", "token", "marie", acting_as="marie").strip()
        == Token.objects.get(user=marie).key
    )
    with pytest.raises(CommandError):
        run("user", "token", "tech", acting_as="marie")


def test_user_add_refusals_write_nothing(monkeypatch):
    a, b = make_member(), make_member()
    admin_a = make_user("admin-a", role="syndicate_admin", members=[a])
    with pytest.raises(CommandError, match="unknown member"):
        run(
            "user",
            "add",
            "eve",
            "--role",
            "town_viewer",
            "--member",
            b.slug,
            acting_as=admin_a.username,
        )
    with pytest.raises(CommandError):
        run("user", "add", "eve", "--role", "auditor", "--all-members", acting_as="admin-a")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(CommandError, match="no password"):
        run("user", "add", "eve", "--role", "auditor", "--all-members", "--password-stdin")
    with pytest.raises(CommandError, match="exists already"):
        run("user", "add", "admin-a", "--role", "auditor", "--all-members")
    assert not User.objects.filter(username="eve").exists()
