"""Live view in a real headless Chromium: hls.js plays the PyAV ingest's byte-range
window of a camera being recorded, a few seconds behind the camera."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from vigie.inventory.tests.test_browser import log_in, shot, wait
from vigie.inventory.tests.ui_world import World
from vigie.recording.tests.test_browser_playback import current_time, player_browser
from vigie.recording.tests.test_live_window import recording_live

__all__ = ["player_browser", "recording_live"]  # fixtures used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def latency(driver: WebDriver) -> float | None:
    """Seconds between now and the wall-clock time of the image shown."""
    shown = driver.execute_script(
        "var h = window.vigieHls; return h && h.playingDate ? h.playingDate.getTime() : null"
    )
    return None if shown is None else time.time() - shown / 1000


def test_live_plays_within_a_few_seconds(
    player_browser: WebDriver, live_server: Any, recording_live: World
) -> None:
    driver, world = player_browser, recording_live
    log_in(driver, live_server, "viewer-a")
    url = reverse("camera_recording", kwargs={"pk": world.cam_a.pk}) + "?mode=live"
    time.sleep(6)  # a few parts in the window
    driver.get(live_server.url + url)
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#player video"))
    wait(driver, lambda d: current_time(d) > 3.0, timeout=40)
    lag = latency(driver)
    assert lag is not None and lag < 10, lag
    print(f"live latency: {lag:.1f} s")  # shown with pytest -s
    clock = driver.find_element(By.ID, "player-clock").text
    assert clock and clock != "—"
    shot(driver, "live_playing")
