"""The registers and a request from a person in a real headless Chromium.

Set UI_SCREENSHOTS=/some/dir to keep a PNG of the pages visited.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from vigie.audit.tests.register_support import at, destruction, hold, roles
from vigie.audit.tests.test_subject_requests import make_request
from vigie.inventory.tests.test_browser import browser, log_in, shot, wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["browser"]


def test_registers_journal_and_a_request(browser: WebDriver, live_server: Any, world: Any) -> None:
    people = roles(world)
    destruction(world.a, world.cam_a, at(10, 3))
    hold(world.a, [world.cam_a], at(5), reference="PV-A-1")
    late = make_request(world.a, requester_name="Mme Martin")
    log_in(browser, live_server, people.auditor.username)

    browser.get(live_server.url + reverse("register_index"))
    shot(browser, "registers-index")
    links = browser.find_elements(By.CSS_SELECTOR, "table.data a[href*='/registers/antony/']")
    assert links
    url = reverse("register", args=["antony", "recordings"]) + "?from=2026-03-01&to=2026-03-31"
    browser.get(live_server.url + url)
    main = browser.find_element(By.ID, "main").text
    assert "ANT-001 Parvis" in main and "AUT-ANT-2021" in main
    shot(browser, "register-recordings")
    browser.get(
        live_server.url
        + reverse("register", args=["antony", "holds"])
        + "?from=2026-03-01&to=2026-03-31"
    )
    assert "PV-A-1" in browser.find_element(By.ID, "main").text
    shot(browser, "register-holds")

    browser.get(live_server.url + reverse("journal_register"))
    Select(browser.find_element(By.ID, "id_member")).select_by_value("antony")
    browser.find_element(By.ID, "id_action").send_keys("recording.legalhold")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser, EC.url_contains("member=antony"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert rows and all("recording.legalhold" in r.text for r in rows)
    shot(browser, "journal-register")

    browser.get(live_server.url + reverse("subjectrequest_list"))
    assert late.reference in browser.find_element(By.ID, "main").text
    shot(browser, "subjectrequests")
    browser.get(live_server.url + reverse("subjectrequest_detail", args=[late.pk]))
    assert "Mme Martin" in browser.find_element(By.ID, "main").text
    shot(browser, "subjectrequest-detail")
