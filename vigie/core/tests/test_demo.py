"""The demo syndicate (vigie/demo.py) and ``vigie demo`` / ``vigie serve``."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from vigie import demo
from vigie.core import actors, legal
from vigie.core.tests.cli_support import VIGIE, CliEnv, cli_env, free_port
from vigie.inventory.models import Authorisation, Camera, RecorderNode, Site, StoragePool
from vigie.tenancy.models import Member, RoleAssignment, Syndicate, User
from vigie.tenancy.roles import Role

MODELS = (
    Syndicate,
    Member,
    Site,
    Camera,
    Authorisation,
    RecorderNode,
    StoragePool,
    User,
    RoleAssignment,
)


def counts() -> dict[str, int]:
    def manager(model):
        return getattr(model.objects, "unrestricted", model.objects.all)()

    return {model.__name__: manager(model).count() for model in MODELS}


# --------------------------------------------------------------------------- seeding


@pytest.mark.django_db
def test_seed_is_idempotent():
    first = demo.seed()
    assert first.created["cameras"] == len(demo.CAMERAS)
    after_first = counts()
    second = demo.seed()
    assert second.total() == 0
    assert counts() == after_first
    assert after_first["Member"] == 3 and after_first["User"] == len(demo.ACCOUNTS)


@pytest.mark.django_db
def test_seed_content():
    demo.seed()
    towns = {m.slug: m for m in Member.objects.unrestricted()}
    assert {(m.name, m.insee_code) for m in towns.values()} == {
        ("Antony", "92002"),
        ("Sceaux", "92071"),
        ("Bourg-la-Reine", "92014"),
    }
    assert all(m.population and m.syndicate.slug == "smv-bievre" for m in towns.values())
    assert (
        towns["antony"].subscribes_supervision
        and not towns["bourg-la-reine"].subscribes_supervision
    )
    for slug, member in towns.items():
        cameras = Camera.objects.unrestricted().filter(member=member)
        assert cameras.count() >= 2, slug
        assert all(c.rtsp_main.startswith("rtsp://127.0.0.1:") for c in cameras)
        assert all(c.site and c.site.latitude and c.site.longitude for c in cameras)
        assert all(c.ip_address.startswith("127.") for c in cameras)
    today = timezone.localdate()
    authorisations = list(Authorisation.objects.unrestricted())
    assert any(a.expires_soon(today) for a in authorisations)
    assert any(a.expires_on < today for a in authorisations)
    assert all(
        a.expires_on <= a.issued_on.replace(year=a.issued_on.year + 5) for a in authorisations
    )
    # Enabled cameras are exactly those with a stream URL and a valid authorisation.
    for camera in Camera.objects.unrestricted():
        assert camera.enabled == camera.valid_authorisations().exists(), camera.name
    pool = StoragePool.objects.unrestricted().get()
    assert Path(pool.path).is_relative_to(settings.DATA_DIR) and Path(pool.path).is_dir()
    assert max(c.retention_days for c in Camera.objects.unrestricted()) <= legal.MAX_RETENTION_DAYS


@pytest.mark.django_db
def test_one_account_per_role_and_isolation_between_towns():
    demo.seed()
    roles = set(RoleAssignment.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for account in demo.ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(demo.DEMO_PASSWORD), account.username
    viewer = User.objects.get(username="mairie-sceaux")
    with actors.acting_as(viewer):
        assert {c.member.slug for c in Camera.objects.all()} == {"sceaux"}
    operator = User.objects.get(username="operateur")
    # Antony delegates viewing to the centre at all hours, Sceaux at night and at weekends,
    # Bourg-la-Reine not at all.
    paris = ZoneInfo("Europe/Paris")
    for when, expected in [
        (datetime(2026, 11, 24, 10, 0, tzinfo=paris), {"antony"}),  # a Tuesday morning
        (datetime(2026, 11, 24, 22, 0, tzinfo=paris), {"antony", "sceaux"}),
        (datetime(2026, 11, 29, 10, 0, tzinfo=paris), {"antony", "sceaux"}),  # a Sunday
    ]:
        with patch("vigie.tenancy.habilitations.timezone.now", return_value=when):
            seen = {c.member.slug for c in Camera.objects.restrict(operator, "view_live")}
        assert seen == expected, when


# --------------------------------------------------------------------------- the commands


@pytest.fixture(scope="module")
def demo_cli(tmp_path_factory) -> Iterator[CliEnv]:
    with cli_env(tmp_path_factory.mktemp("vigie-demo"), "demo") as env:
        yield env


def test_vigie_demo_no_serve_twice(demo_cli):
    first = demo_cli.run("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "demo data created" in first.stdout
    for account in demo.ACCOUNTS:
        assert re.search(rf"^  {re.escape(account.username)}\s+{account.role}", first.stdout, re.M)
    assert demo.DEMO_PASSWORD in first.stdout and "http://127.0.0.1:" in first.stdout
    before = demo_cli.run("camera", "list", "--json").stdout
    second = demo_cli.run("demo", "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "already present" in second.stdout
    assert demo_cli.run("camera", "list", "--json").stdout == before
    expiring = demo_cli.run("authorisation", "list", "--expiring")
    assert "expiring" in expiring.stdout
    assert (demo_cli.data_dir / "static").is_dir()


def _wait_for(url: str, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1
                return int(response.status)
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _log_in(base: str, username: str, password: str) -> str:
    """Log in through the login form; return the path the browser lands on."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page[:500]
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(base + "login/", data=form, headers={"Referer": base})  # noqa: S310
    with opener.open(request, timeout=10) as response:
        return urllib.parse.urlsplit(response.url).path


def test_vigie_demo_serves_and_the_accounts_log_in(demo_cli, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(VIGIE), "demo", "--no-cameras", "--bind", f"127.0.0.1:{port}"],
            env=demo_cli.env,
            cwd=demo_cli.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _wait_for(base + "login/") == 200
        assert _log_in(base, "mairie-antony", demo.DEMO_PASSWORD) != "/login/"
        assert _log_in(base, "mairie-antony", "wrong-password") == "/login/"
    finally:
        process.terminate()
        process.wait(timeout=30)
    printed = log.read_text()
    assert f"Vigie demo: {base}" in printed
    assert printed.index("mairie-antony") < printed.index("Listening at")


def test_vigie_serve_answers_and_stops(demo_cli, tmp_path):
    port = free_port()
    with (tmp_path / "serve.log").open("w") as out:
        process = subprocess.Popen(
            [str(VIGIE), "serve"],
            env={**demo_cli.env, "VIGIE_BIND": f"127.0.0.1:{port}"},
            cwd=demo_cli.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/login/") == 200
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def test_vigie_serve_refuses_an_unmigrated_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATA_DIR=str(tmp_path), LANG="C.UTF-8")
    result = subprocess.run(
        [str(VIGIE), "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "vigie migrate" in result.stderr and "Traceback" not in result.stderr
