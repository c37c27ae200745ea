"""Map of camera positions, drawn on the server as SVG.

The centre often has no Internet access, so there are no map tiles: markers are
placed with an equirectangular projection fitted to the cameras' bounding box, which
is accurate enough at the scale of a town. Each marker is a link (keyboard and screen
reader reachable) named after its camera; cameras without coordinates are listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from vigie.core.views import ObjectView, object_url, tune_filter_form
from vigie.inventory.choices import CameraStatus
from vigie.inventory.models import Camera
from vigie.inventory.views.cameras import CameraListFilter, CameraListView

WIDTH, HEIGHT = 1000.0, 640.0
# The drawing's height follows the cameras' spread (a town stretched north-south
# gets a tall map), within these bounds.
MIN_HEIGHT, MAX_HEIGHT = 360.0, 1000.0
# Left, top, right, bottom: room for the labels written right of the markers, and for
# the scale bar at the bottom.
MARGINS = (40.0, 40.0, 190.0, 60.0)
MARKER_RADIUS = 13.0
METRES_PER_DEGREE = 111_320.0
# Below this span (about 100 m) the box is widened, so one camera sits in the middle.
MIN_SPAN_DEGREES = 0.001
MAX_MARKERS = 5000

# Shape as well as colour, so that status does not rest on colour alone.
STATUS_STYLE: dict[str, str] = {
    CameraStatus.IN_SERVICE: "circle",
    CameraStatus.DEGRADED: "triangle",
    CameraStatus.OUT_OF_ORDER: "square",
    CameraStatus.PLANNED: "diamond",
    CameraStatus.DECOMMISSIONED: "ring",
}


@dataclass(frozen=True)
class Frame:
    """The fitted projection: degrees in, SVG user units out."""

    min_lon: float
    max_lat: float
    kx: float  # cos(mean latitude): a degree of longitude is shorter than one of latitude
    scale: float  # SVG units per degree of latitude
    offset_x: float
    offset_y: float

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.offset_x + (lon - self.min_lon) * self.kx * self.scale
        y = self.offset_y + (self.max_lat - lat) * self.scale
        return round(x, 1), round(y, 1)

    def metres_per_unit(self) -> float:
        return METRES_PER_DEGREE / self.scale


def fit(
    points: Sequence[tuple[float, float]],
    width: float = WIDTH,
    height: float = HEIGHT,
    margins: tuple[float, float, float, float] = MARGINS,
) -> Frame | None:
    """Fit (lat, lon) points into the drawing, keeping their proportions; None if none."""
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    min_lat, max_lat = _widen(min(lats), max(lats))
    min_lon, max_lon = _widen(min(lons), max(lons))
    kx = max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.01)
    span_x = (max_lon - min_lon) * kx
    span_y = max_lat - min_lat
    left, top, right, bottom = margins
    inner_w, inner_h = width - left - right, height - top - bottom
    scale = min(inner_w / span_x, inner_h / span_y)
    # Centred within the inner box.
    offset_x = left + (inner_w - span_x * scale) / 2
    offset_y = top + (inner_h - span_y * scale) / 2
    return Frame(min_lon, max_lat, kx, scale, offset_x, offset_y)


def drawing_height(
    points: Sequence[tuple[float, float]],
    width: float = WIDTH,
    margins: tuple[float, float, float, float] = MARGINS,
) -> float:
    """A height that gives the points' bounding box its own proportions."""
    if not points:
        return HEIGHT
    min_lat, max_lat = _widen(min(p[0] for p in points), max(p[0] for p in points))
    min_lon, max_lon = _widen(min(p[1] for p in points), max(p[1] for p in points))
    kx = max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.01)
    left, top, right, bottom = margins
    inner_h = (width - left - right) * (max_lat - min_lat) / ((max_lon - min_lon) * kx)
    return round(min(max(inner_h + top + bottom, MIN_HEIGHT), MAX_HEIGHT))


def _widen(low: float, high: float) -> tuple[float, float]:
    if high - low >= MIN_SPAN_DEGREES:
        return low, high
    middle = (low + high) / 2
    return middle - MIN_SPAN_DEGREES / 2, middle + MIN_SPAN_DEGREES / 2


def scale_bar(frame: Frame, width: float = WIDTH) -> tuple[float, str]:
    """A round distance about a fifth of the drawing wide: (length in units, label)."""
    target = frame.metres_per_unit() * width / 5
    exponent = math.floor(math.log10(target))
    metres = 10.0**exponent
    for step in (1, 2, 5, 10):
        if step * 10**exponent <= target:
            metres = step * 10.0**exponent
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return round(metres / frame.metres_per_unit(), 1), label


def shape_path(shape: str, x: float, y: float, r: float = MARKER_RADIUS) -> str:
    """An SVG path of the marker's shape, centred on (x, y)."""
    if shape == "triangle":
        return (
            f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y + r * 0.8:.1f} L{x - r:.1f},{y + r * 0.8:.1f} Z"
        )
    if shape == "square":
        s = r * 0.85
        return f"M{x - s:.1f},{y - s:.1f} H{x + s:.1f} V{y + s:.1f} H{x - s:.1f} Z"
    if shape == "diamond":
        return (
            f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z"
        )
    # circle and ring: two half arcs
    return f"M{x - r:.1f},{y:.1f} a{r:g},{r:g} 0 1,0 {2 * r:g},0 a{r:g},{r:g} 0 1,0 {-2 * r:g},0 Z"


def marker(camera: Camera, frame: Frame, show_label: bool) -> dict[str, Any]:
    x, y = frame.project(float(camera.latitude or 0), float(camera.longitude or 0))
    shape = STATUS_STYLE.get(camera.status, "circle")
    return {
        "d": shape_path(shape, x, y),
        "camera": camera,
        "url": object_url(camera),
        # Strings: the template would otherwise write "12,5" in French, which SVG rejects.
        "x": f"{x:.1f}",
        "y": f"{y:.1f}",
        "shape": shape,
        "status": camera.status,
        "label": show_label,
        "name": _("%(name)s, %(status)s")
        % {
            "name": camera.name,
            "status": camera.get_status_display(),
        },
    }


class CameraMapView(ObjectView):
    model = Camera
    template_name = "inventory/camera_map.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = CameraListFilter(
            request.GET or None, queryset=self.get_queryset("view"), request=request
        )
        for name in CameraListView.hidden_filters:
            filterset.form.fields.pop(name, None)
        tune_filter_form(filterset.form)
        valid = not filterset.is_bound or filterset.is_valid()
        cameras = filterset.qs if valid else Camera.objects.none()
        placed: list[Camera] = []
        unplaced: list[Camera] = []
        for camera in cameras.order_by("name")[:MAX_MARKERS]:
            has_position = camera.latitude is not None and camera.longitude is not None
            (placed if has_position else unplaced).append(camera)
        points = [(float(c.latitude or 0), float(c.longitude or 0)) for c in placed]
        height = drawing_height(points)
        frame = fit(points, height=height)
        context: dict[str, Any] = {
            **self.base_context(),
            "title": _("Map of cameras"),
            "filter_form": filterset.form,
            "unplaced": unplaced,
            "width": int(WIDTH),
            "height": int(height),
            "legend": [
                (s.value, s.label, STATUS_STYLE[s], shape_path(STATUS_STYLE[s], 12, 12, 9))
                for s in CameraStatus
            ],
            "list_url_query": request.GET.urlencode(),
        }
        if frame is not None:
            show_labels = len(placed) <= 40
            context["markers"] = [marker(c, frame, show_labels) for c in placed]
            length, label = scale_bar(frame)
            context["scale"] = {"label": label, "x2": f"{MARGINS[0] + length:.1f}"}
        return render(request, self.template_name, context)
