"""The map of positions: the projection (pure functions) and the page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from vigie.core.testing import make_camera
from vigie.inventory.tests.ui_world import World
from vigie.inventory.views.camera_map import (
    HEIGHT,
    MARGINS,
    MAX_HEIGHT,
    MIN_HEIGHT,
    WIDTH,
    drawing_height,
    fit,
    scale_bar,
    shape_path,
)

LEFT, TOP, RIGHT, BOTTOM = MARGINS


def test_no_point_no_frame() -> None:
    assert fit([]) is None


@pytest.mark.parametrize(
    "points",
    [
        [(48.75, 2.29), (48.78, 2.31)],
        [(48.75, 2.29), (48.75, 2.40)],  # all on one parallel
        [(43.70, 7.25), (43.71, 7.25), (43.69, 7.26)],
        [(-21.1, 55.5), (-21.3, 55.7)],  # La Réunion: southern hemisphere
    ],
)
def test_every_point_lands_inside_the_drawing(points: list[tuple[float, float]]) -> None:
    frame = fit(points)
    assert frame is not None
    for lat, lon in points:
        x, y = frame.project(lat, lon)
        assert LEFT - 0.1 <= x <= WIDTH - RIGHT + 0.1
        assert TOP - 0.1 <= y <= HEIGHT - BOTTOM + 0.1


def test_north_is_up_and_east_is_right() -> None:
    frame = fit([(48.70, 2.20), (48.80, 2.40)])
    assert frame is not None
    x_west, y_south = frame.project(48.70, 2.20)
    x_east, y_north = frame.project(48.80, 2.40)
    assert x_east > x_west
    assert y_north < y_south


def test_proportions_follow_the_latitude() -> None:
    # At 60° north a degree of longitude is half a degree of latitude on the ground.
    frame = fit([(60.0, 10.0), (60.1, 10.2)])
    assert frame is not None
    x0, y0 = frame.project(60.0, 10.0)
    x1, y1 = frame.project(60.1, 10.2)
    assert abs(x1 - x0) == pytest.approx(abs(y1 - y0), rel=0.01)


def test_a_single_camera_sits_in_the_middle() -> None:
    frame = fit([(48.75, 2.30)])
    assert frame is not None
    x, y = frame.project(48.75, 2.30)
    assert x == pytest.approx(LEFT + (WIDTH - LEFT - RIGHT) / 2, abs=0.1)
    assert y == pytest.approx(TOP + (HEIGHT - TOP - BOTTOM) / 2, abs=0.1)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([], HEIGHT),
        ([(48.70, 2.30), (48.80, 2.31)], MAX_HEIGHT),  # north-south street: tall, capped
        ([(48.75, 2.00), (48.751, 2.50)], MIN_HEIGHT),  # east-west road: flat, floored
    ],
)
def test_drawing_height_follows_the_spread(
    points: list[tuple[float, float]], expected: float
) -> None:
    assert drawing_height(points) == expected


def test_drawing_height_keeps_proportions_in_between() -> None:
    points = [(48.70, 2.20), (48.78, 2.40)]
    height = drawing_height(points)
    assert MIN_HEIGHT < height < MAX_HEIGHT
    frame = fit(points, height=height)
    assert frame is not None
    x0, y0 = frame.project(48.70, 2.20)
    x1, y1 = frame.project(48.78, 2.40)
    # Both extents touch the inner box: the box has the data's own shape.
    assert x1 - x0 == pytest.approx(WIDTH - LEFT - RIGHT, abs=1)
    assert y0 - y1 == pytest.approx(height - TOP - BOTTOM, abs=1)


def test_scale_bar_is_a_round_distance() -> None:
    frame = fit([(48.70, 2.20), (48.80, 2.40)])
    assert frame is not None
    length, label = scale_bar(frame)
    assert re.fullmatch(r"\d+(\.\d+)? k?m", label)
    assert 0 < length < WIDTH / 2


@pytest.mark.parametrize("shape", ["circle", "triangle", "square", "diamond", "ring"])
def test_shapes_are_svg_paths_with_a_dot_decimal(shape: str) -> None:
    path = shape_path(shape, 100.0, 50.0)
    assert path.startswith("M") and path.endswith("Z")
    assert re.fullmatch(r"[MLHVaZ0-9., \-]+", path)
    # Coordinates are written with a decimal point (the comma separates x from y).
    assert re.search(r"\d+\.\d,\d+\.\d", path)


@pytest.mark.django_db
def test_map_page_draws_own_cameras_only(client: Any, world: World) -> None:
    make_camera(world.a, name="ANT-NOPOS")
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="ANT-001 Parvis, En service"' in html
    assert f'href="{reverse("camera_detail", args=[world.cam_a.pk])}"' in html
    assert "SCX-001" not in html
    unplaced = [c.name for c in response.context["unplaced"]]
    assert unplaced == ["ANT-NOPOS"]
    # SVG needs a decimal point whatever the language of the page.
    for x in re.findall(r'<text x="([^"]+)"', html):
        assert "," not in x


@pytest.mark.django_db
def test_map_follows_the_list_filters(client: Any, world: World) -> None:
    make_camera(world.a, name="ANT-HS", latitude="48.76", longitude="2.30", status="out_of_order")
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_map"), {"status": "out_of_order"})
    assert [m["camera"].name for m in response.context["markers"]] == ["ANT-HS"]
    assert response.context["markers"][0]["shape"] == "square"


@pytest.mark.django_db
def test_map_without_positions_says_so(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_map"), {"q": "nothing-like-this"})
    assert "markers" not in response.context
    assert "Aucune caméra positionnée ne correspond." in response.content.decode()


def test_anonymous_is_sent_to_login(client: Any, db: Any) -> None:
    response = client.get(reverse("camera_map"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_other_member_sees_none_of_ours_on_the_map(client: Any, world: World) -> None:
    client.force_login(world.viewer_b)
    html = client.get(reverse("camera_map"), {"member": world.a.slug}).content.decode()
    assert "ANT-001" not in html
