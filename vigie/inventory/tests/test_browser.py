"""The web UI in a real headless Chromium (Debian's chromium and chromium-driver).

Set UI_SCREENSHOTS=/some/dir to keep a PNG of the pages visited.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from vigie.inventory.models import Camera
from vigie.inventory.tests.ui_world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed for the browser tests")
    profile = tempfile.mkdtemp(prefix="vigie-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1600,1100",
        "--lang=fr-FR",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # A French browser, as in the centre: Django follows the browser's languages.
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver: WebDriver, condition: Any, timeout: float = 10) -> Any:
    # HTMX swaps the results while the condition reads them: a stale element only
    # means "not yet", so look again.
    return WebDriverWait(
        driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition)


def shot(driver: WebDriver, name: str) -> None:
    folder = os.environ.get("UI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1600, max(1100, min(int(height), 4000)))
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))
        driver.set_window_size(1600, 1100)


def log_in(driver: WebDriver, live_server: Any, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(live_server.url + reverse("login"))
    shot(driver, "login")
    driver.find_element(By.ID, "id_username").send_keys(username)
    password = driver.find_element(By.ID, "id_password")
    password.send_keys(PASSWORD)
    password.send_keys(Keys.ENTER)
    wait(driver, EC.url_to_be(live_server.url + reverse("home")))


def htmx_loaded(driver: WebDriver) -> bool:
    return bool(driver.execute_script("return typeof window.htmx === 'object'"))


def test_log_in_see_the_dashboard_then_log_out(
    browser: WebDriver, live_server: Any, world: World
) -> None:
    log_in(browser, live_server, "viewer-a")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    main = browser.find_element(By.ID, "main").text
    assert "Tableau de bord" in main
    assert "1 autorisation expire dans les 4 mois" in main
    shot(browser, "home")
    browser.find_element(By.CSS_SELECTOR, ".session button").click()
    wait(browser, EC.url_contains(reverse("login")))


def test_filter_the_camera_list_and_open_a_camera(
    browser: WebDriver, live_server: Any, world: World
) -> None:
    from vigie.core.testing import make_camera

    make_camera(world.a, name="ANT-002 Gare RER", status="out_of_order")
    log_in(browser, live_server, "viewer-a")
    browser.get(live_server.url + reverse("camera_list"))
    assert htmx_loaded(browser), "htmx is served from node_modules (run npm ci)"
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) == 2
    assert "SCX-001" not in browser.page_source
    shot(browser, "camera_list")
    search = browser.find_element(By.ID, "id_q")
    search.send_keys("gare")
    # HTMX replaces only the results, without a page load.
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 1)
    assert "ANT-002 Gare RER" in browser.find_element(By.ID, "results").text
    assert "q=gare" in browser.current_url  # the filtered list has its own address
    assert browser.find_element(By.ID, "live-status").text.startswith("1 ")
    # The status checkboxes filter too.
    search.clear()
    search.send_keys(Keys.BACKSPACE)
    browser.find_element(By.CSS_SELECTOR, "input[name=status][value=in_service]").click()
    wait(browser, lambda d: "ANT-001 Parvis" in d.find_element(By.ID, "results").text)
    wait(browser, lambda d: "ANT-002" not in d.find_element(By.ID, "results").text)
    browser.find_element(By.LINK_TEXT, "ANT-001 Parvis").click()
    wait(browser, EC.title_contains("ANT-001 Parvis"))
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert "ANT-001 Parvis" in heading
    assert "AUT-ANT-2021" in browser.page_source
    shot(browser, "camera_detail")


def test_map_shows_focusable_markers(browser: WebDriver, live_server: Any, world: World) -> None:
    from vigie.core.testing import make_camera

    make_camera(
        world.a, name="ANT-003 Marché", latitude="48.757", longitude="2.301", status="degraded"
    )
    make_camera(world.a, name="ANT-004 Sans position")
    log_in(browser, live_server, "viewer-a")
    browser.get(live_server.url + reverse("camera_map"))
    markers = browser.find_elements(By.CSS_SELECTOR, "svg a.marker")
    names = sorted(str(m.get_attribute("aria-label")) for m in markers)
    assert names == ["ANT-001 Parvis, En service", "ANT-003 Marché, Dégradé"]
    for m in markers:
        box = m.rect
        assert box["width"] > 0 and box["height"] > 0  # drawn, not merely present
    unplaced = browser.find_element(By.CSS_SELECTOR, "aside.unplaced").text
    assert "ANT-004 Sans position" in unplaced
    # Keyboard: markers are reachable with Tab and open their camera with Enter.
    browser.execute_script("arguments[0].focus()", markers[0])
    active = browser.switch_to.active_element
    assert active.get_attribute("aria-label") == markers[0].get_attribute("aria-label")
    shot(browser, "camera_map")
    active.send_keys(Keys.ENTER)
    wait(browser, EC.url_contains("/cameras/"))
    assert "Caméra" in browser.find_element(By.TAG_NAME, "h1").text


def test_authorisations_due_for_renewal_are_highlighted(
    browser: WebDriver, live_server: Any, world: World
) -> None:
    from datetime import date, timedelta

    from vigie.core.testing import make_authorisation

    make_authorisation(
        world.a, number="AUT-ANT-2024", expires_on=date.today() + timedelta(days=900)
    )
    log_in(browser, live_server, "viewer-a")
    browser.get(live_server.url + reverse("authorisation_list"))
    due = browser.find_elements(By.CSS_SELECTOR, "tr.row-expiring")
    assert len(due) == 1
    assert "AUT-ANT-2021" in due[0].text
    assert "Expire bientôt" in due[0].text
    other = [r for r in browser.find_elements(By.CSS_SELECTOR, "#results tbody tr") if r not in due]
    assert other and "AUT-ANT-2024" in other[0].text
    highlight = due[0].value_of_css_property("background-color")
    assert highlight != other[0].value_of_css_property("background-color")
    shot(browser, "authorisation_list")


GENETEC = (
    "Statut\tModèle\tAdresse IP\tAdresse MAC\n"
    "OK\tIPCAM101\t10.20.0.1\t00:0C:29:10:00:01\n"
    "Hors ligne\tIPCAM102\t10.20.0.2\t00:0C:29:10:00:02\n"
    "OK\tIPCAM103\t10.20.0.3\t00:0C:29:10:00:03\n"
)


def test_import_preview_then_confirm(
    browser: WebDriver, live_server: Any, world: World, tmp_path: Path
) -> None:
    source = tmp_path / "extrait.tsv"
    source.write_text(GENETEC, encoding="utf-8")
    log_in(browser, live_server, "admin-a")
    browser.get(live_server.url + reverse("camera_import"))
    shot(browser, "import_form")
    browser.find_element(By.ID, "id_file").send_keys(str(source))
    browser.find_element(By.CSS_SELECTOR, "#import-area button[type=submit]").click()
    wait(browser, EC.presence_of_element_located((By.ID, "import-preview")))
    preview = browser.find_element(By.ID, "import-preview").text
    assert "3\nà créer" in preview
    assert "IPCAM102" in preview
    assert "/cameras/import/" in browser.current_url  # the preview has its own address
    assert not Camera.objects.unrestricted().filter(name="IPCAM101").exists()
    shot(browser, "import_preview")
    browser.find_element(By.XPATH, "//button[starts-with(normalize-space(), 'Confirmer')]").click()
    wait(browser, EC.url_contains(reverse("camera_list")))
    assert "3 créées" in browser.find_element(By.CSS_SELECTOR, ".messages").text
    assert (
        Camera.objects.unrestricted().filter(member=world.a, name__startswith="IPCAM").count() == 3
    )
    shot(browser, "import_done")


def test_import_with_errors_cannot_be_confirmed(
    browser: WebDriver, live_server: Any, world: World, tmp_path: Path
) -> None:
    source = tmp_path / "mauvais.tsv"
    source.write_text(GENETEC + "OK\tIPCAM104\t10.20.0.999\t00:0C:29:10:00:04\n", encoding="utf-8")
    log_in(browser, live_server, "admin-a")
    browser.get(live_server.url + reverse("camera_import"))
    browser.find_element(By.ID, "id_file").send_keys(str(source))
    browser.find_element(By.CSS_SELECTOR, "#import-area button[type=submit]").click()
    wait(browser, EC.presence_of_element_located((By.ID, "import-preview")))
    errors = browser.find_element(By.CSS_SELECTOR, "#import-preview .error-summary").text
    assert "5" in errors  # the line number of the bad line
    assert not browser.find_elements(
        By.XPATH, "//button[starts-with(normalize-space(), 'Confirmer')]"
    )
    shot(browser, "import_errors")
    browser.find_element(By.XPATH, "//button[normalize-space()='Annuler']").click()
    wait(browser, EC.url_to_be(live_server.url + reverse("camera_import")))
    assert not Camera.objects.unrestricted().filter(name__startswith="IPCAM").exists()


def test_keyboard_skip_link_and_member_scoped_choices(
    browser: WebDriver, live_server: Any, world: World
) -> None:
    log_in(browser, live_server, "dsi")
    browser.get(live_server.url + reverse("authorisation_add"))
    # The first Tab reaches the skip link, which is shown when focused.
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link"
    assert skip.is_displayed() and skip.rect["y"] >= 0
    # No member chosen yet: no camera to pick. Choosing one brings its cameras only.
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=cameras]")
    Select(browser.find_element(By.ID, "id_member")).select_by_visible_text("Sceaux")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "input[name=cameras]"))
    scoped = browser.find_element(By.ID, "member-scoped").text
    assert "SCX-001 Jardin" in scoped and "ANT-001" not in scoped
    shot(browser, "authorisation_add")
