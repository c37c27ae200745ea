"""``vigie user deactivate|reactivate|role add|role remove``: in-process (call_command) on
the test database, and once through the real console script on a database of its own."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from vigie.audit.models import JournalEntry
from vigie.core.testing import make_member, make_user
from vigie.core.tests.cli_support import CliEnv, cli_env
from vigie.tenancy import services
from vigie.tenancy.models import RoleAssignment, User
from vigie.tenancy.roles import Role


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch) -> None:
    """The CLI speaks the locale's language; the messages matched below are English."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("user", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def roles_of(user: User) -> list[tuple[str, list[str], bool]]:
    return [
        (a.role, sorted(a.members.values_list("slug", flat=True)), a.all_members)
        for a in RoleAssignment.objects.filter(user=user).order_by("pk")
    ]


@pytest.fixture
def town(db):
    a, b = make_member("antony"), make_member("sceaux")
    person = make_user("pm", role=Role.TOWN_VIEWER, members=[a])
    make_user("admin-a", role=Role.SYNDICATE_ADMIN, members=[a])
    make_user("auditor-a", role=Role.AUDITOR, members=[a])
    make_user("admin-b", role=Role.SYNDICATE_ADMIN, members=[b])
    return a, b, person


def test_deactivate_and_reactivate(town):
    _a, _b, person = town
    Token.objects.create(user=person)
    assert "deactivated" in run("deactivate", "pm", acting_as="admin-a")
    person.refresh_from_db()
    assert not person.is_active and not Token.objects.filter(user=person).exists()
    with pytest.raises(CommandError, match="already deactivated"):
        run("deactivate", "pm", acting_as="admin-a")
    assert "reactivated" in run("reactivate", "pm", acting_as="admin-a")
    assert User.objects.get(pk=person.pk).is_active
    entry = JournalEntry.objects.filter(action="tenancy.user.reactivate").get()
    assert entry.actor_name == "admin-a"


@pytest.mark.usefixtures("town")
def test_deactivate_refusals_change_nothing():
    with pytest.raises(CommandError, match="no person named 'pm'"):
        run("deactivate", "pm", acting_as="admin-b")  # another member's person
    with pytest.raises(CommandError, match="do not let you manage people"):
        run("deactivate", "pm", acting_as="auditor-a")  # may only view people
    with pytest.raises(CommandError, match="yourself"):
        run("deactivate", "admin-a", acting_as="admin-a")
    with pytest.raises(CommandError, match="no person named 'ghost'"):
        run("deactivate", "ghost")
    assert User.objects.filter(is_active=False).count() == 0
    assert not JournalEntry.objects.filter(action="tenancy.user.deactivate").exists()


def test_role_add_and_remove(town):
    _a, _b, person = town
    out = run(
        "role", "add", "pm", "--role", "technician", "--member", "antony", acting_as="admin-a"
    )
    assert "technician of antony added" in out
    run("role", "add", "pm", "--role", "auditor", "--member", "antony", "--member", "sceaux")
    run("role", "add", "pm", "--role", "csu_operator", "--all-members")
    assert roles_of(person) == [
        ("town_viewer", ["antony"], False),
        ("technician", ["antony"], False),
        ("auditor", ["antony", "sceaux"], False),
        ("csu_operator", [], True),
    ]
    assert "removed (1)" in run("role", "remove", "pm", "--role", "csu_operator")
    assert "removed (1)" in run("role", "remove", "pm", "--role", "auditor")
    run("role", "remove", "pm", "--role", "technician", acting_as="admin-a")
    assert roles_of(person) == [("town_viewer", ["antony"], False)]


def test_role_remove_takes_every_assignment_of_the_role_or_none(town):
    a, _b, person = town
    services.assign_role(person, Role.TOWN_VIEWER, [a])
    assert "removed (2)" in run("role", "remove", "pm", "--role", "town_viewer")
    assert roles_of(person) == []
    admin = User.objects.get(username="admin-a")
    services.assign_role(admin, Role.SYNDICATE_ADMIN, [a])
    # Removing both would leave admin-a without an administrator role: neither goes.
    with pytest.raises(CommandError, match="last administrator"):
        run("role", "remove", "admin-a", "--role", "syndicate_admin", acting_as="admin-a")
    assert len(roles_of(admin)) == 2


def test_role_refusals_write_nothing(town):
    _a, _b, person = town
    before = roles_of(person)
    no_right = "do not let you"
    cases = [
        (("role", "add", "pm", "--role", "auditor", "--member", "sceaux"), "admin-a", "unknown"),
        (("role", "add", "pm", "--role", "auditor", "--all-members"), "admin-a", "manage"),
        (("role", "add", "pm", "--role", "auditor"), None, "--all-members"),
        (("role", "add", "pm", "--role", "auditor", "--member", "x", "--all-members"), None, "not"),
        (("role", "add", "pm", "--role", "town_viewer", "--member", "antony"), None, "already"),
        (("role", "add", "pm", "--role", "auditor", "--member", "antony"), "admin-b", "no person"),
        (("role", "add", "pm", "--role", "auditor", "--member", "antony"), "auditor-a", no_right),
        (("role", "remove", "pm", "--role", "auditor"), None, "holds no auditor role"),
        (("role", "remove", "pm", "--role", "town_viewer"), "admin-b", "no person"),
        (("role", "remove", "pm", "--role", "town_viewer"), "auditor-a", no_right),
    ]
    for args, acting_as, message in cases:
        with pytest.raises(CommandError, match=message):
            run(*args, acting_as=acting_as)
    with pytest.raises(CommandError):
        run("role", "add", "pm", "--role", "emperor", "--member", "antony")
    assert roles_of(person) == before


# --------------------------------------------------------------------------- real script


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Iterator[CliEnv]:
    with cli_env(tmp_path_factory.mktemp("vigie-people-cli"), "people") as env:
        yield env


def ok(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_console_script_manages_people(cli):
    ok(cli.run("member", "add", "fresnes", "--name", "Fresnes"))
    ok(cli.run("member", "add", "wissous", "--name", "Wissous"))
    ok(cli.run("user", "add", "dsi-f", "--role", "syndicate_admin", "--member", "fresnes"))
    ok(cli.run("user", "add", "agent", "--role", "town_viewer", "--member", "fresnes"))
    ok(
        cli.run(
            "--as",
            "dsi-f",
            "user",
            "role",
            "add",
            "agent",
            "--role",
            "technician",
            "--member",
            "fresnes",
        )
    )
    refused = cli.run(
        "--as",
        "dsi-f",
        "user",
        "role",
        "add",
        "agent",
        "--role",
        "technician",
        "--member",
        "wissous",
    )
    assert refused.returncode == 1 and "unknown member 'wissous'" in refused.stderr
    assert "Traceback" not in refused.stderr
    ok(cli.run("user", "deactivate", "agent", "--as", "dsi-f"))
    people = {p["username"]: p for p in json.loads(ok(cli.run("user", "list", "--json")))}
    assert people["agent"]["is_active"] is False
    assert [r["role"] for r in people["agent"]["roles"]] == ["town_viewer", "technician"]
    refused = cli.run("--as", "dsi-f", "user", "deactivate", "dsi-f")
    assert refused.returncode == 1 and "yourself" in refused.stderr
    ok(cli.run("user", "reactivate", "agent"))
    ok(cli.run("user", "role", "remove", "agent", "--role", "technician"))
    people = {p["username"]: p for p in json.loads(ok(cli.run("user", "list", "--json")))}
    assert people["agent"]["is_active"] is True
    assert [r["role"] for r in people["agent"]["roles"]] == ["town_viewer"]
    assert "role add|remove" in ok(cli.run("--help"))
