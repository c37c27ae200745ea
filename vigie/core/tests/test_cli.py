"""The real ``vigie`` console script, in a subprocess, on a database of its own."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest

from vigie.core.shared_data import shared_data
from vigie.core.tests.cli_support import CliEnv, cli_env
from vigie.inventory.api.serializers import CameraSerializer
from vigie.tenancy.api.serializers import MemberSerializer, UserSerializer

GENETEC = shared_data("genetec_extract_antony.tsv")


def readable_fields(serializer_class) -> set[str]:
    return {name for name, f in serializer_class().fields.items() if not f.write_only}


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Iterator[CliEnv]:
    with cli_env(tmp_path_factory.mktemp("vigie-cli"), "cli") as env:
        yield env


def ok(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def refused(result, message: str) -> str:
    assert result.returncode != 0, result.stdout
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


# --------------------------------------------------------------------------- front door


@pytest.mark.parametrize("args", [(), ("--help",), ("-h",)])
def test_help_lists_the_commands(cli, args):
    out = ok(cli.run(*args))
    for command in (
        "demo",
        "serve",
        "migrate",
        "member",
        "import-cameras",
        "camera",
        "user",
        "site",
        "authorisation",
        "check",
    ):
        assert re.search(rf"^  {re.escape(command)} ", out, re.M), command


def test_unknown_command_and_bad_usage(cli):
    assert cli.run("frobnicate").returncode == 2
    refused(cli.run("camera", "list", "--as"), "--as needs a USERNAME")
    refused(cli.run("migrate", "--as", "someone"), "--as does not apply")
    result = cli.run("member", "add", "x")  # --name missing
    assert result.returncode == 2
    assert "--name" in result.stderr


def test_unknown_setting_is_one_clean_line(cli):
    result = cli.run("member", "list", VIGIE_DATABSE_URL="postgresql://x/y")
    refused(result, "unknown setting(s) VIGIE_DATABSE_URL")
    assert len(result.stderr.strip().splitlines()) == 1
    refused(cli.run("member", "list", VIGIE_PAGE_SIZE="0"), "VIGIE_PAGE_SIZE")


def test_check(cli):
    out = ok(cli.run("check"))
    assert "configuration: ok" in out and "database: ok" in out


# --------------------------------------------------------------------------- members, people


def test_member_add_and_list_json_with_the_api_fields(cli):
    ok(
        cli.run(
            "member",
            "add",
            "sceaux",
            "--name",
            "Sceaux",
            "--insee",
            "92071",
            "--population",
            "19560",
            "--departement",
            "92",
            "--services",
            "recording,supervision",
        )
    )
    members = json.loads(ok(cli.run("member", "list", "--json")))
    assert isinstance(members, list)
    sceaux = next(m for m in members if m["slug"] == "sceaux")
    assert set(sceaux) == readable_fields(MemberSerializer)
    assert (sceaux["insee_code"], sceaux["population"]) == ("92071", 19560)
    assert sceaux["subscribes_supervision"] and not sceaux["subscribes_vigik"]
    assert "Sceaux" in ok(cli.run("member", "list"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--insee", "ABCDE"), "insee_code"),
        (("--services", "recording,teleportation"), "unknown service(s) teleportation"),
        (("--population", "-3"), "population"),
    ],
)
def test_member_add_refuses_bad_values(cli, args, message):
    refused(cli.run("member", "add", "bad-town", "--name", "Bad", *args), message)
    assert "bad-town" not in ok(cli.run("member", "list"))


def test_member_add_twice_is_refused(cli):
    ok(cli.run("member", "add", "twice", "--name", "Twice"))
    refused(cli.run("member", "add", "twice", "--name", "Twice"), "exists already")


def test_user_add_token_and_acting_as(cli):
    ok(cli.run("member", "add", "fresnes", "--name", "Fresnes"))
    ok(cli.run("member", "add", "wissous", "--name", "Wissous"))
    ok(
        cli.run(
            "user",
            "add",
            "admin-fresnes",
            "--role",
            "syndicate_admin",
            "--member",
            "fresnes",
            "--password-stdin",
            "--email",
            "dsi@fresnes.example",
            input="Longue-phrase-42\n",
        )
    )
    people = json.loads(ok(cli.run("user", "list", "--json")))
    person = next(p for p in people if p["username"] == "admin-fresnes")
    assert set(person) == readable_fields(UserSerializer)
    assert person["roles"] == [
        {"role": "syndicate_admin", "members": ["fresnes"], "all_members": False}
    ]
    token = ok(cli.run("user", "token", "admin-fresnes")).strip()
    assert re.fullmatch(r"[0-9a-f]{40}", token)
    assert ok(cli.run("user", "token", "admin-fresnes")).strip() == token  # the same one

    # Acting as that person: their member only; the other member does not exist for them.
    members = json.loads(ok(cli.run("--as", "admin-fresnes", "member", "list", "--json")))
    assert [m["slug"] for m in members] == ["fresnes"]
    refused(
        cli.run("import-cameras", str(GENETEC), "--member", "wissous", "--as", "admin-fresnes"),
        "unknown member 'wissous'",
    )
    refused(cli.run("--as", "nobody", "camera", "list"), "no active person named 'nobody'")
    refused(
        cli.run(
            "user",
            "add",
            "x",
            "--role",
            "auditor",
            "--member",
            "fresnes",
            "--password-stdin",
            input="password\n",
        ),
        "too common",
    )


def test_user_add_needs_members(cli):
    refused(cli.run("user", "add", "lost", "--role", "auditor"), "--all-members")
    refused(
        cli.run("user", "add", "lost", "--role", "auditor", "--member", "nowhere"),
        "unknown member 'nowhere'",
    )
    result = cli.run("user", "add", "lost", "--role", "emperor", "--all-members")
    assert result.returncode == 2


# --------------------------------------------------------------------------- import, lists


def test_import_genetec_dry_run_then_import_then_reimport(cli):
    assert GENETEC.is_file(), GENETEC
    ok(cli.run("member", "add", "antony", "--name", "Antony", "--insee", "92002"))
    out = ok(cli.run("import-cameras", str(GENETEC), "--member", "antony", "--dry-run"))
    assert "100 to create" in out and "dry run: nothing written" in out
    assert json.loads(ok(cli.run("camera", "list", "--member", "antony", "--json"))) == []

    out = ok(cli.run("import-cameras", str(GENETEC), "--member", "antony"))
    assert "100 created" in out
    cameras = json.loads(ok(cli.run("camera", "list", "--member", "antony", "--json")))
    assert len(cameras) == 100
    assert set(cameras[0]) == readable_fields(CameraSerializer)
    assert {c["enabled"] for c in cameras} == {False}

    out = ok(cli.run("import-cameras", str(GENETEC), "--member", "antony"))
    assert "0 created, 0 updated, 100 unchanged" in out
    assert len(json.loads(ok(cli.run("camera", "list", "--json", "--member", "antony")))) == 100


def test_import_with_a_bad_line_writes_nothing_and_names_the_line(cli, tmp_path):
    ok(cli.run("member", "add", "bagneux", "--name", "Bagneux"))
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(
        GENETEC.read_bytes()
        .replace(b"\t192.168.1.50\t", b"\t192.168.1.500\t")
        .replace(b"\t00:0C:29:00:00:20", b"\t00:0C:29:00:00:1F")
    )
    err = refused(
        cli.run("import-cameras", str(bad), "--member", "bagneux"), "nothing was imported"
    )
    assert f"{bad}:33: Adresse MAC: Same value as line 32." in err
    assert f"{bad}:51: Adresse IP:" in err
    assert json.loads(ok(cli.run("camera", "list", "--member", "bagneux", "--json"))) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        (b"a,b,c\n1,2,3\n", "No known header"),
    ],
)
def test_import_of_a_bad_file(cli, tmp_path, content, message):
    slug = f"town-{uuid.uuid4().hex[:8]}"
    ok(cli.run("member", "add", slug, "--name", "Châtillon"))
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    refused(cli.run("import-cameras", str(path), "--member", slug), message)


def test_import_of_a_missing_file_or_unknown_member(cli):
    refused(cli.run("import-cameras", "/nonexistent.csv", "--member", "antony"), "no such file")
    refused(
        cli.run("import-cameras", str(GENETEC), "--member", "atlantis"), "unknown member 'atlantis'"
    )


def test_import_from_stdin_excel_csv(cli):
    ok(cli.run("member", "add", "malakoff", "--name", "Malakoff"))
    text = (
        "nom;modèle;adresse IP;adresse MAC;site;latitude;longitude\r\n"
        "MLK-1;Axis;10.9.0.1;00:40:8C:00:09:01;Hôtel de ville;48,8169;2,2995\r\n"
    )
    result = cli.run("import-cameras", "-", "--member", "malakoff")
    assert result.returncode != 0  # nothing on stdin: an empty file
    done = cli.run_bytes("import-cameras", "-", "--member", "malakoff", data=text.encode("cp1252"))
    assert done.returncode == 0, done.stderr
    sites = json.loads(ok(cli.run("site", "list", "--member", "malakoff", "--json")))
    assert [(s["name"], s["member"]) for s in sites] == [("Hôtel de ville", "malakoff")]
    camera = json.loads(ok(cli.run("camera", "list", "--member", "malakoff", "--json")))[0]
    assert camera["latitude"] == 48.8169 and camera["site"] == sites[0]["id"]


def test_authorisation_list_when_empty(cli):
    assert json.loads(ok(cli.run("authorisation", "list", "--expiring", "--json"))) == []
    result = ok(cli.run("authorisation", "list"))
    assert result.startswith("ID")
