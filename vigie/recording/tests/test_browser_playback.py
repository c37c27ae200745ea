"""Playback in a real headless Chromium: hls.js plays recorded footage after a reason."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from vigie.audit.models import JournalEntry
from vigie.inventory.tests.test_browser import CHROMEDRIVER, CHROMIUM, log_in, shot, wait
from vigie.recording.tests.test_playback_fixtures import Footage, clip, cut_segments, footage

__all__ = ["clip", "cut_segments", "footage"]  # fixtures used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1400,1000",
)


@pytest.fixture
def player_browser() -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are needed for the browser tests")
    profile = tempfile.mkdtemp(prefix="vigie-chromium-playback-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def current_time(driver: WebDriver) -> float:
    return float(
        driver.execute_script("return document.querySelector('#player video').currentTime")
    )


def test_reason_then_recorded_footage_plays(
    player_browser: WebDriver, live_server: Any, footage: Footage
) -> None:
    driver = player_browser
    log_in(driver, live_server, "viewer-a")
    driver.get(live_server.url + reverse("camera_recording", kwargs={"pk": footage.camera.pk}))
    spans = driver.find_elements(By.CSS_SELECTOR, "svg.timeline a.timeline-span")
    assert len(spans) == 2  # two recorded spans around the stall
    shot(driver, "recording_reason")
    driver.find_element(By.ID, "id_reason").send_keys("Réquisition PN 2025/042")
    driver.find_element(By.CSS_SELECTOR, ".reason-form button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#player video"))
    assert driver.execute_script("return typeof window.Hls === 'function'"), "npm ci: hls.js"
    wait(driver, lambda d: current_time(d) > 1.5, timeout=40)
    clock = driver.find_element(By.ID, "player-clock").text
    assert clock and clock != "—"  # wall-clock time of the images, from the playlist
    shot(driver, "recording_playing")
    entry = JournalEntry.objects.filter(action="recording.playback").latest("id")
    assert entry.reason == "Réquisition PN 2025/042"
    # Keyboard: a timeline span is a link; Enter seeks there without a reload.
    before = len(JournalEntry.objects.filter(action="recording.playback"))
    spans = driver.find_elements(By.CSS_SELECTOR, "svg.timeline a.timeline-span")
    driver.execute_script("arguments[0].focus()", spans[1])
    driver.switch_to.active_element.send_keys("\n")
    wait(
        driver, lambda d: JournalEntry.objects.filter(action="recording.playback").count() > before
    )
    seek = JournalEntry.objects.filter(action="recording.playback").latest("id")
    assert seek.details["start"] > entry.details["start"]  # from the second span
    after_seek = current_time(driver)
    wait(driver, lambda d: current_time(d) > after_seek + 1.0, timeout=40)
