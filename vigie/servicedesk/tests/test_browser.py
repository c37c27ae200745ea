"""The town's ticket form in a real headless Chromium: pick the member, its cameras
follow (HTMX), describe, send; the ticket page shows its deadlines."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from vigie.core.testing import make_camera, make_member, make_user
from vigie.inventory.tests.test_browser import browser, htmx_loaded, log_in, shot, wait
from vigie.servicedesk.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # the module-scoped fixture, shared with the inventory's tests


def test_town_user_opens_a_ticket(browser: WebDriver, live_server: Any) -> None:
    a, b = make_member(name="Antony"), make_member(name="Sceaux")
    make_camera(a, name="ANT-001 Parvis")
    make_camera(b, name="SCX-007 Marché")
    make_user("mairie", role="town_viewer", members=[a, b])
    log_in(browser, live_server, "mairie")
    browser.get(live_server.url + reverse("ticket_add"))
    assert htmx_loaded(browser)
    Select(browser.find_element(By.ID, "id_member")).select_by_visible_text("Sceaux")
    # The camera choices follow the member without a page load.
    wait(browser, lambda d: "SCX-007 Marché" in d.find_element(By.ID, "id_camera").text)
    assert "ANT-001" not in browser.find_element(By.ID, "id_camera").text
    Select(browser.find_element(By.ID, "id_camera")).select_by_visible_text("SCX-007 Marché")
    Select(browser.find_element(By.ID, "id_category")).select_by_value("camera")
    browser.find_element(By.ID, "id_title").send_keys("Image noire")
    browser.find_element(By.ID, "id_description").send_keys("Depuis ce matin.")
    Select(browser.find_element(By.ID, "id_impact")).select_by_value("2")
    Select(browser.find_element(By.ID, "id_urgency")).select_by_value("1")
    shot(browser, "ticket_add")
    browser.find_element(By.CSS_SELECTOR, ".form-actions button[type=submit]").click()
    wait(browser, lambda d: "/tickets/" in d.current_url and "/add/" not in d.current_url)
    ticket = Ticket.objects.unrestricted().get(title="Image noire")
    assert ticket.member_id == b.pk and ticket.priority == 2 and not ticket.qualified
    text = browser.find_element(By.ID, "main").text
    assert "Image noire" in text and "Sceaux" in text
    # The time left, in business hours (French once the lead merges the translations).
    assert "(heures ouvrées)" in text or "(business hours)" in text
    shot(browser, "ticket_detail")
