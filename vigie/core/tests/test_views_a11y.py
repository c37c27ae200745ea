"""Accessibility checks on every page: labels, landmarks, headings, tables, contrast."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from vigie.inventory.tests.ui_world import World

LABELLED_INPUTS = {
    "text",
    "search",
    "password",
    "number",
    "email",
    "url",
    "date",
    "file",
    "checkbox",
    "radio",
    "tel",
}


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.ids: Counter[str] = Counter()
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.html_lang = ""
        self.tables = 0
        self.table_headers = 0
        self.in_label = 0
        self.wrapped_controls = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] += 1
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag == "table":
            self.tables += 1
        if tag == "th":
            self.table_headers += 1
        is_control = tag in {"select", "textarea"} or (
            tag == "input" and a.get("type", "text") in LABELLED_INPUTS
        )
        if is_control:
            a["_wrapped"] = "1" if self.in_label else ""
            self.controls.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def audit(html: str) -> PageAudit:
    page = PageAudit()
    page.feed(html)
    return page


def assert_accessible(html: str, url: str, menu: bool = True) -> None:
    page = audit(html)
    assert page.html_lang == "fr", url
    assert page.tags["main"] == 1 and page.tags["footer"] == 1, url
    assert page.tags["nav"] >= 1 or not menu, url
    assert page.tags["h1"] == 1, f"{url}: {page.tags['h1']} h1"
    assert 'class="skip-link" href="#main"' in html, url
    duplicates = [i for i, n in page.ids.items() if n > 1]
    assert not duplicates, f"{url}: duplicate ids {duplicates}"
    for control in page.controls:
        named = (
            control.get("id") in page.label_for
            or control.get("_wrapped")
            or control.get("aria-label")
            or control.get("aria-labelledby")
        )
        assert named, f"{url}: unlabelled control {control}"
    if page.tables:
        assert page.table_headers >= page.tables, url


@pytest.mark.django_db
def test_every_page_passes_the_audit(client: Any, world: World) -> None:
    client.force_login(world.superadmin)
    urls = [
        reverse(n) for n in ("home", "camera_map", "camera_import", "member_list", "member_add")
    ]
    urls.append(reverse("member_detail", args=[world.a.pk]))
    urls.append(reverse("member_edit", args=[world.a.pk]))
    for model, obj in world.objects_of("a").items():
        if model == "member":
            continue
        urls += [
            reverse(f"{model}_list"),
            reverse(f"{model}_add"),
            reverse(f"{model}_detail", args=[obj.pk]),
            reverse(f"{model}_edit", args=[obj.pk]),
            reverse(f"{model}_delete", args=[obj.pk]),
        ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_accessible(response.content.decode(), url)


@pytest.mark.django_db
def test_pages_with_errors_pass_the_audit(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = client.post(reverse("camera_add"), {"member": world.a.pk, "retention_days": "99"})
    html = response.content.decode()
    assert_accessible(html, "camera_add (errors)")
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_retention_days_helptext id_retention_days_error"' in html
    assert 'href="#id_retention_days"' in html  # the summary links to the field
    client.logout()
    response = client.get(reverse("login"))
    assert_accessible(response.content.decode(), "login", menu=False)


# -- contrast of the stylesheet's colour pairs ------------------------------

CSS = Path(settings.BASE_DIR) / "static" / "vigie" / "vigie.css"
PAIRS = [
    ("text", "bg"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("muted", "surface-2"),
    ("link", "bg"),
    ("link", "surface"),
    ("link", "surface-2"),
    ("danger", "bg"),
    ("primary-text", "primary"),
    ("ok-fg", "ok-bg"),
    ("warn-fg", "warn-bg"),
    ("bad-fg", "bad-bg"),
    ("info-fg", "info-bg"),
    ("muted-fg", "muted-bg"),
    ("text", "row-expiring"),
    ("link", "row-expiring"),
    ("text", "row-expired"),
    ("link", "row-expired"),
    ("text", "map-bg"),
]
NON_TEXT = [("focus", "bg"), ("border", "bg")] + [
    (f"m-{s}", "map-bg")
    for s in ("in_service", "degraded", "out_of_order", "planned", "decommissioned")
]


def _luminance(colour: str) -> float:
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _themes() -> dict[str, dict[str, str]]:
    css = CSS.read_text()
    light = css.split("@media (prefers-color-scheme: dark)")[0]
    dark = css.split("@media (prefers-color-scheme: dark)")[1].split("\n}\n")[0]
    parse = lambda block: dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))  # noqa: E731
    base = parse(light)
    return {"light": base, "dark": {**base, **parse(dark)}}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast_is_at_least_4_5(theme: str) -> None:
    colours = _themes()[theme]
    for fg, bg in PAIRS:
        ratio = contrast(colours[fg], colours[bg])
        assert ratio >= 4.5, f"{theme}: {fg} on {bg} is {ratio:.2f}:1"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_focus_borders_and_markers_contrast_is_at_least_3(theme: str) -> None:
    colours = _themes()[theme]
    for fg, bg in NON_TEXT:
        ratio = contrast(colours[fg], colours[bg])
        assert ratio >= 3, f"{theme}: {fg} on {bg} is {ratio:.2f}:1"
