"""In a real headless Chromium: an operator files a requisition, exports its footage
and watches the progress bar fill (htmx polling) until the package can be downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from vigie.evidence import exports
from vigie.evidence.models import ExportJob, Requisition
from vigie.evidence.tests.conftest import ReqWorld, move
from vigie.evidence.tests.export_support import index_footage
from vigie.evidence.tests.package_support import Footage
from vigie.inventory.tests.test_browser import browser, log_in, shot, wait

__all__ = ["browser"]  # fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def set_value(driver: WebDriver, element_id: str, value: str) -> None:
    # datetime-local and date controls take typed text in the browser's locale: set it.
    driver.execute_script(
        "document.getElementById(arguments[0]).value = arguments[1]", element_id, value
    )


def test_file_then_export_with_progress(
    browser: WebDriver,
    live_server: Any,
    rw: ReqWorld,
    footage: Footage,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    log_in(browser, live_server, rw.operator_a.username)
    browser.get(live_server.url + reverse("requisition_add"))
    Select(browser.find_element(By.ID, "id_service")).select_by_value("police_nationale")
    browser.find_element(By.ID, "id_officer_name").send_keys("Brigadier Martin")
    browser.find_element(By.ID, "id_procedure_number").send_keys("PV-2026-900")
    browser.find_element(By.ID, "id_facts").send_keys("Vol à l'arraché")
    browser.find_element(By.CSS_SELECTOR, f"#id_camera_1 option[value='{rw.cam_a.pk}']").click()
    set_value(browser, "id_start_1", "2026-11-20T08:00")
    set_value(browser, "id_end_1", "2026-11-20T08:01")
    shot(browser, "requisition-add")
    browser.find_element(By.CSS_SELECTOR, "form.edit-form button[type=submit]").click()
    req = wait(browser, lambda _d: Requisition.objects.unrestricted().first())
    wait(browser, EC.url_to_be(live_server.url + reverse("requisition_detail", args=[req.pk])))
    assert "ANT-GARE-01" in browser.page_source
    move(req, "under_review", "positive")
    browser.get(live_server.url + reverse("requisition_export", args=[req.pk]))
    browser.find_element(By.ID, "id_reason").send_keys("Réquisition PV-2026-900")
    browser.find_element(By.CSS_SELECTOR, "form.edit-form button[type=submit]").click()
    job = wait(browser, lambda _d: ExportJob.objects.unrestricted().first())
    wait(browser, EC.url_to_be(live_server.url + reverse("exportjob_detail", args=[job.pk])))
    assert browser.find_element(By.CSS_SELECTOR, "#export-progress progress")
    done = exports.run_next()  # the worker, here in the test
    assert done is not None and done.status == "done", done and done.error
    link = wait(
        browser,
        EC.presence_of_element_located((By.CSS_SELECTOR, "#export-progress a.button")),
        timeout=15,
    )
    shot(browser, "export-done")
    assert link.get_attribute("href").endswith(reverse("exportjob_download", args=[job.pk]))
    assert browser.find_element(By.CSS_SELECTOR, "#export-progress progress").get_attribute(
        "value"
    ) in ("1", "1.000")
