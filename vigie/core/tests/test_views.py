"""Log in and out, the dashboard, the generic list machinery, error pages, French."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

from vigie.core.testing import make_authorisation, make_camera, make_user
from vigie.core.views import Column, format_value, initial_from_query
from vigie.inventory.forms import CameraForm
from vigie.inventory.models import Camera
from vigie.inventory.tests.ui_world import World

pytestmark = pytest.mark.django_db


def test_login_page_is_french_and_accessible(client: Any) -> None:
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="fr">' in html
    assert '<label for="id_username">Nom d’utilisateur</label>' in html
    assert '<label for="id_password">Mot de passe</label>' in html
    assert 'href="#main"' in html and '<main id="main"' in html


def test_log_in_and_out(client: Any, settings: Any) -> None:
    make_user("marie", password="un-mot-de-passe-long")
    response = client.post(reverse("login"), {"username": "marie", "password": "mauvais"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    response = client.post(
        reverse("login"), {"username": "marie", "password": "un-mot-de-passe-long"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_login_next_must_stay_on_this_site(client: Any, settings: Any) -> None:
    make_user("marie", password="un-mot-de-passe-long")
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "marie", "password": "un-mot-de-passe-long"},
    )
    assert response["Location"] == reverse("home")


def test_dashboard_counts_renewals_and_unauthorised_cameras(client: Any, world: World) -> None:
    make_camera(world.a, name="SANS-AUTORISATION")
    make_authorisation(world.a, number="LATE", expires_on=date.today() + timedelta(days=100))
    client.force_login(world.viewer_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tableau de bord" in html
    assert "2 autorisations expirent dans les 4 mois" in html
    assert "AUT-ANT-2021" in html and "LATE" in html
    assert "SANS-AUTORISATION" in html
    assert "AUT-SCX-2022" not in html  # Sceaux's, not ours
    assert "SCX-001" not in html


def test_dashboard_of_a_user_without_roles(client: Any, world: World) -> None:
    client.force_login(make_user("nobody"))
    html = client.get(reverse("home")).content.decode()
    assert "Rien à afficher" in html
    assert "ANT-001" not in html


def test_menu_shows_only_what_the_user_may_view(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    html = client.get(reverse("home")).content.decode()
    assert reverse("camera_list") in html
    assert reverse("recordernode_list") not in html
    assert reverse("camera_import") not in html
    client.force_login(world.admin_a)
    html = client.get(reverse("home")).content.decode()
    assert reverse("recordernode_list") in html
    assert reverse("camera_import") in html


def test_list_filters_sort_and_htmx_results(client: Any, world: World) -> None:
    make_camera(world.a, name="ANT-002 Gare", status="out_of_order")
    client.force_login(world.viewer_a)
    url = reverse("camera_list")
    response = client.get(url, {"status": "out_of_order"})
    assert [r["object"].name for r in response.context["rows"]] == ["ANT-002 Gare"]
    response = client.get(url, {"q": "parvis"})
    assert [r["object"].name for r in response.context["rows"]] == ["ANT-001 Parvis"]
    response = client.get(url, {"sort": "-name"})
    assert [r["object"].name for r in response.context["rows"]] == [
        "ANT-002 Gare",
        "ANT-001 Parvis",
    ]
    response = client.get(url, {"sort": "password"})  # not a column: ignored
    assert response.status_code == 200
    response = client.get(
        url, {"q": "gare"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "ANT-002 Gare" in html and "ANT-001" not in html
    assert "<header" not in html


def test_an_invalid_filter_shows_its_error_and_no_rows(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_list"), {"status": "exploded"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["filter_form"].errors["status"]


def test_pagination(client: Any, world: World, settings: Any) -> None:
    settings.VIGIE_PAGE_SIZE = 2
    for n in range(3):
        make_camera(world.a, name=f"PAGE-{n}")
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_list"), {"q": "PAGE"})
    assert len(response.context["rows"]) == 2
    assert "page=2" in response.content.decode()
    response = client.get(reverse("camera_list"), {"q": "PAGE", "page": "99"})
    assert len(response.context["rows"]) == 1
    response = client.get(reverse("camera_list"), {"q": "PAGE", "page": "x"})
    assert response.status_code == 200


def test_error_pages_are_french_and_not_500(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    response = client.get(reverse("camera_detail", args=[999999]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    response = client.get(reverse("camera_edit", args=[world.cam_a.pk]))
    assert response.status_code == 403
    assert "Action non autorisée" in response.content.decode()


def test_language_can_be_switched_to_english(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("camera_list")).content.decode()
    assert '<html lang="en">' in html
    assert "Skip to main content" in html


def test_initial_from_query_keeps_only_form_fields() -> None:
    query = QueryDict("member=3&name=x&purposes=a&purposes=b&password=p&csrfmiddlewaretoken=t")
    initial = initial_from_query(query, CameraForm)
    assert initial == {"member": "3", "name": "x", "purposes": ["a", "b"]}


@translation.override("fr")
def test_columns_format_values(world: World) -> None:
    assert format_value(None) == "—"
    assert format_value(True) == "Oui"
    column = Column("site", link=False)
    cell = column.cell(world.cam_a)
    assert reverse("site_detail", args=[world.site_a.pk]) in cell
    assert Column("camera_type").cell(world.cam_a) == "Fixe"
    assert Column("name").header(Camera) == "Nom"
    assert Column("site.city").sort_key(Camera) == "site__city"
