"""Charts drawn on the server as inline SVG (no JavaScript library): a bar per member,
and a line of the daily availability. Each chart has a title and a description for
screen readers; the pages also show the figures as tables."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
BAR_HEIGHT = 26
LABEL_WIDTH = 180


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


def bars(title: str, items: Sequence[tuple[str, float | None]]) -> SafeString:
    """Horizontal bars, one per item, for rates between 0 and 1."""
    height = BAR_HEIGHT * len(items) + 10
    span = WIDTH - LABEL_WIDTH - 90
    rows = []
    for index, (label, value) in enumerate(items):
        y = 5 + index * BAR_HEIGHT
        length = 0 if value is None else max(1, round(span * value))
        rows.append(
            (
                LABEL_WIDTH - 8,
                y + 17,
                label[:28],
                LABEL_WIDTH,
                y + 4,
                length,
                LABEL_WIDTH + length + 6,
                y + 17,
                _pct(value),
            )
        )
    body = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="18" class="chart-bar"></rect>'
        '<text x="{}" y="{}">{}</text>',
        rows,
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        WIDTH,
        height,
        title,
        title,
        body,
    )


def line(title: str, points: Sequence[tuple[str, float | None]], floor: float = 0.9) -> SafeString:
    """A line of rates (0–1) over days; the axis starts at ``floor`` (or lower if needed)."""
    known = [v for _, v in points if v is not None]
    low = min([floor, *known]) if known else floor
    low = max(0.0, low - 0.005)
    height, left, bottom, right = 220, 60, 30, 20
    plot_w, plot_h = WIDTH - left - right, height - bottom - 10
    step = plot_w / max(1, len(points) - 1)
    coords = []
    for index, (_, value) in enumerate(points):
        if value is None:
            continue
        y = 10 + plot_h * (1 - (value - low) / (1 - low or 1))
        coords.append(f"{left + index * step:.1f},{y:.1f}")
    axis = format_html(
        '<line x1="{}" y1="10" x2="{}" y2="{}" class="chart-axis"></line>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="chart-axis"></line>'
        '<text x="{}" y="18" text-anchor="end">100 %</text>'
        '<text x="{}" y="{}" text-anchor="end">{}</text>',
        left,
        left,
        10 + plot_h,
        left,
        10 + plot_h,
        WIDTH - right,
        10 + plot_h,
        left - 6,
        left - 6,
        10 + plot_h,
        f"{low * 100:.1f} %",
    )
    labels = ""
    if points:
        labels = format_html(
            '<text x="{}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>',
            left,
            height - 8,
            points[0][0],
            WIDTH - right,
            height - 8,
            points[-1][0],
        )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" aria-label="{}">'
        '<title>{}</title>{}{}<polyline points="{}" class="chart-line" fill="none"></polyline>'
        "</svg>",
        WIDTH,
        height,
        title,
        title,
        axis,
        labels,
        " ".join(coords),
    )
