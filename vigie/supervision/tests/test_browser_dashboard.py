"""The availability dashboard in a real headless Chromium: charts drawn, figures right,
another town's cameras absent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from vigie.core.testing import make_member, make_user
from vigie.inventory.tests.test_browser import browser, log_in, shot
from vigie.supervision.models import HealthState
from vigie.supervision.tests.support import make_health

__all__ = ["browser"]  # the fixture used below
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_charts_and_scope(browser: WebDriver, live_server: Any) -> None:
    town, other = make_member(name="Antony"), make_member(name="Sceaux")
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=1)
    for _ in range(3):
        make_health(town, HealthState.OK, since=start)
    make_health(town, HealthState.DOWN, since=start, name="CAM-PANNE")
    make_health(other, HealthState.DOWN, since=start, name="CAM-SCEAUX")
    make_user("tech-a", role="technician", members=[town])
    log_in(browser, live_server, "tech-a")
    browser.get(live_server.url + reverse("supervision_dashboard"))
    main = browser.find_element(By.ID, "main").text
    assert "75.00 %" in main and "3 OK" in main
    assert "Antony" in main and "Sceaux" not in main
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2 and charts[0].size["height"] > 20
    shot(browser, "supervision-dashboard")
    browser.get(live_server.url + reverse("camerahealth_list") + "?state=down")
    listing = browser.find_element(By.ID, "main").text
    assert "CAM-PANNE" in listing and "CAM-SCEAUX" not in listing
    shot(browser, "supervision-health")
