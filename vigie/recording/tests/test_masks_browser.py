"""Privacy masks in a real headless Chromium: a polygon drawn with clicks and the
keyboard is saved; a masked camera's recorded footage plays (whole masked segments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from vigie.core.testing import as_system, habilitate, make_user
from vigie.inventory.models import Camera
from vigie.inventory.tests.test_browser import log_in, shot, wait
from vigie.recording.models import PrivacyMask
from vigie.recording.tests.test_browser_playback import current_time, player_browser
from vigie.recording.tests.test_playback_fixtures import Footage, clip, cut_segments, footage
from vigie.tenancy.models import ObjectPermission

__all__ = ["clip", "cut_segments", "footage", "player_browser"]  # fixtures used below

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_draw_a_polygon_and_save_it(
    player_browser: WebDriver, live_server: Any, footage: Footage
) -> None:
    camera = footage.camera
    tech = make_user("tech-masks", role="technician", members=[camera.member])
    habilitate(tech, "town_viewer", [camera.member])
    with as_system():
        permission = ObjectPermission.objects.create(name="tech-live", actions=["view_live"])
        permission.object_types.add(ContentType.objects.get_for_model(Camera))
        permission.members.add(camera.member)
        permission.users.add(tech)
    driver = player_browser
    log_in(driver, live_server, "tech-masks")
    driver.get(live_server.url + reverse("camera_masks", kwargs={"pk": camera.pk}))
    image = driver.find_element(By.CSS_SELECTOR, ".mask-stage img")
    wait(driver, lambda d: d.execute_script("return arguments[0].naturalWidth", image) > 0)
    overlay = driver.find_element(By.CSS_SELECTOR, "svg.mask-overlay")
    driver.set_window_size(1400, 1400)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", overlay)
    width, height = overlay.size["width"], overlay.size["height"]
    for fx, fy in ((0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)):
        # Offsets from the element's centre (Selenium 4).
        x, y = int((fx - 0.5) * width), int((fy - 0.5) * height)
        ActionChains(driver).move_to_element_with_offset(overlay, x, y).click().perform()
    overlay.send_keys(Keys.ENTER)
    status = driver.find_element(By.ID, "mask-status").text
    assert "1" in status
    driver.find_element(By.ID, "id_label").send_keys("Façade no. 12")
    shot(driver, "masks_editor")
    driver.find_element(By.CSS_SELECTOR, "#mask-form button[type=submit]").click()
    wait(driver, lambda d: PrivacyMask.objects.unrestricted().filter(camera=camera).exists())
    mask = PrivacyMask.objects.unrestricted().get(camera=camera)
    assert mask.label == "Façade no. 12"
    (polygon,) = mask.polygons
    assert len(polygon) == 4
    assert polygon[0] == pytest.approx([0.1, 0.1], abs=0.02)
    assert polygon[2] == pytest.approx([0.4, 0.4], abs=0.02)


def test_masked_recording_plays(
    player_browser: WebDriver, live_server: Any, footage: Footage, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    with as_system():
        PrivacyMask.objects.create(
            camera=footage.camera,
            label="Façade",
            polygons=[[[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]],
        )
    driver = player_browser
    log_in(driver, live_server, "viewer-a")
    driver.get(live_server.url + reverse("camera_recording", kwargs={"pk": footage.camera.pk}))
    driver.find_element(By.ID, "id_reason").send_keys("Réquisition PN 2025/042")
    driver.find_element(By.CSS_SELECTOR, ".reason-form button[type=submit]").click()
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#player[data-masked] video"))
    wait(driver, lambda d: current_time(d) > 1.5, timeout=90)
    shot(driver, "masks_playback")
