"""The critical storage alarm on every page: shown (role="alert") to those who may see
storage alarms, within their members, in one query; never to anonymous users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vigie.core.testing import as_system, make_member, make_user
from vigie.recording import services
from vigie.recording.models import AlarmSeverity, StorageAlarm
from vigie.recording.tests.retention_support import make_pool

pytestmark = pytest.mark.django_db

MESSAGE = "Disque plein : rien ne peut être supprimé"
BANNER = 'class="notice notice-bad storage-alarms" role="alert"'
# Pages of several apps: the banner is in base.html, not in one page.
PAGES = ("home", "camera_list", "member_list", "legalhold_list")


def raise_alarm(pool: Any, message: str = MESSAGE, **kw: Any) -> StorageAlarm:
    with as_system():
        alarm, created = services.raise_storage_alarm(pool, message, **kw)
    assert created and alarm is not None
    return alarm


def page(user: Any, name: str = "camera_list") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code in (200, 403), name
    return response.content.decode()


@pytest.fixture
def towns(tmp_path: Path) -> dict[str, Any]:
    a, b = make_member(), make_member()
    pool_a = make_pool(tmp_path / "a", member=a)
    raise_alarm(pool_a)
    return {"a": a, "b": b, "pool_a": pool_a}


# ------------------------------------------------------------------ with permission


@pytest.mark.parametrize("role", ["syndicate_admin", "technician"])
def test_shown_on_every_page_to_those_who_may_see_it(towns: dict[str, Any], role: str) -> None:
    user = make_user(role=role, members=[towns["a"]])
    for name in PAGES:
        html = page(user, name)
        assert BANNER in html and MESSAGE in html, name
        assert "Alarme critique de stockage" in html
        # At the top of the page: before its title.
        assert html.index(BANNER) < html.index("<h1"), name
    assert reverse("storagepool_detail", args=[towns["pool_a"].pk]) in page(user)


def test_the_pool_link_only_for_who_may_open_the_pool(towns: dict[str, Any]) -> None:
    # Operators see storage alarms (the dashboard's grant) but not the pools' pages.
    operator = make_user(role="csu_operator", members=[towns["a"]])
    html = page(operator)
    assert BANNER in html and MESSAGE in html
    assert reverse("storagepool_detail", args=[towns["pool_a"].pk]) not in html


def test_one_query_for_the_banner(towns: dict[str, Any]) -> None:
    client = Client()
    client.force_login(make_user(role="technician", members=[towns["a"]]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("camera_list"))
    assert response.status_code == 200
    table = StorageAlarm._meta.db_table
    assert sum(table in q["sql"] for q in queries.captured_queries) == 1


# ------------------------------------------------------------------ without permission


def test_never_for_anonymous_users(towns: dict[str, Any]) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert BANNER not in response.content.decode()
    assert not any(StorageAlarm._meta.db_table in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("role", ["town_viewer", None])
def test_not_for_people_without_the_grant(towns: dict[str, Any], role: str | None) -> None:
    user = make_user(role=role, members=[towns["a"]]) if role else make_user()
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()
    assert BANNER not in html and MESSAGE not in html
    assert not any(StorageAlarm._meta.db_table in q["sql"] for q in queries.captured_queries)


# ------------------------------------------------------------------ another member


def test_not_for_another_towns_people(towns: dict[str, Any]) -> None:
    for role in ("syndicate_admin", "technician"):
        html = page(make_user(role=role, members=[towns["b"]]))
        assert BANNER not in html and MESSAGE not in html


def test_centre_pool_alarm_only_for_syndicate_wide_grants(tmp_path: Path) -> None:
    a = make_member()
    raise_alarm(make_pool(tmp_path / "centre"), "Baie centrale pleine")
    assert "Baie centrale pleine" in page(make_user(role="technician", all_members=True))
    assert "Baie centrale pleine" not in page(make_user(role="technician", members=[a]))


# ------------------------------------------------------------------ which alarms


def test_cleared_and_warning_alarms_are_not_shown(towns: dict[str, Any], tmp_path: Path) -> None:
    admin = make_user(role="syndicate_admin", members=[towns["a"]])
    with as_system():
        services.clear_storage_alarm(towns["pool_a"], "Disque remplacé")
    raise_alarm(
        make_pool(tmp_path / "w", member=towns["a"]),
        "Presque plein",
        severity=AlarmSeverity.WARNING,
    )
    html = page(admin)
    assert BANNER not in html
    assert MESSAGE not in html and "Presque plein" not in html
