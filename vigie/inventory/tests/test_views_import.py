"""The camera import pages: upload, preview, confirm or cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from vigie.inventory.models import Camera
from vigie.inventory.tests.ui_world import World, build_world
from vigie.inventory.views.imports import SESSION_KEY
from vigie.tenancy.models import RoleAssignment

pytestmark = pytest.mark.django_db

GENETEC = (
    "Statut\tModèle\tAdresse IP\tAdresse MAC\n"
    "OK\tIPCAM201\t10.30.0.1\t00:0C:29:20:00:01\n"
    "Hors ligne\tIPCAM202\t10.30.0.2\t00:0C:29:20:00:02\n"
)
BAD_LINE = "OK\tIPCAM203\t10.30.0.300\t00:0C:29:20:00:03\n"


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.DATA_DIR = tmp_path
    return build_world()


def upload(text: str | bytes, name: str = "extrait.tsv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/tab-separated-values")


def start(client: Any, world: World, text: str | bytes = GENETEC, **kw: Any) -> Any:
    return client.post(reverse("camera_import"), {"member": world.a.pk, "file": upload(text)}, **kw)


def token_of(response: Any) -> str:
    return str(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def pending_files(world: World, tmp_path: Path) -> list[Path]:
    folder = tmp_path / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def imported() -> int:
    return Camera.objects.unrestricted().filter(name__startswith="IPCAM").count()


def test_anonymous_is_sent_to_login(client: Any, world: World) -> None:
    for url in (
        reverse("camera_import"),
        reverse("camera_import_preview", args=["x" * 32]),
    ):
        assert client.get(url).status_code == 302
    response = client.post(reverse("camera_import_confirm", args=["x" * 32]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_may_not_import(client: Any, world: World) -> None:
    client.force_login(world.viewer_a)
    assert client.get(reverse("camera_import")).status_code == 403
    assert start(client, world).status_code == 403
    assert imported() == 0


def test_member_choices_are_where_the_user_may_add_cameras(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    form = client.get(reverse("camera_import")).context["form"]
    assert list(form.fields["member"].queryset) == [world.a]
    client.force_login(world.superadmin)
    form = client.get(reverse("camera_import")).context["form"]
    assert set(form.fields["member"].queryset) == {world.a, world.b}


def test_importing_into_another_member_is_refused(
    client: Any, world: World, tmp_path: Path
) -> None:
    client.force_login(world.admin_a)
    response = client.post(
        reverse("camera_import"), {"member": world.b.pk, "file": upload(GENETEC)}
    )
    assert response.status_code == 400
    assert "member" in response.context["form"].errors
    assert pending_files(world, tmp_path) == []


def test_preview_then_confirm(client: Any, world: World, tmp_path: Path) -> None:
    client.force_login(world.admin_a)
    response = start(client, world)
    assert response.status_code == 302
    token = token_of(response)
    assert [p.name for p in pending_files(world, tmp_path)] == [token]
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["counts"] == {"create": 2, "update": 0, "unchanged": 0}
    html = preview.content.decode()
    assert "IPCAM202" in html and "Confirmer l’import" in html
    assert imported() == 0  # a preview writes nothing

    response = client.post(reverse("camera_import_confirm", args=[token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("camera_list") + "?member=antony"
    cameras = Camera.objects.unrestricted().filter(name__startswith="IPCAM")
    assert {c.name for c in cameras} == {"IPCAM201", "IPCAM202"}
    assert all(c.member == world.a and not c.enabled for c in cameras)
    assert pending_files(world, tmp_path) == []
    assert token not in client.session[SESSION_KEY]
    page = client.get(response["Location"]).content.decode()
    assert "2 créées" in page
    # The token is spent.
    assert client.post(reverse("camera_import_confirm", args=[token])).status_code == 404


def test_reimport_is_unchanged_and_updates_show_their_changes(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    client.post(reverse("camera_import_confirm", args=[token_of(start(client, world))]))
    preview = client.get(reverse("camera_import_preview", args=[token_of(start(client, world))]))
    assert preview.context["counts"] == {"create": 0, "update": 0, "unchanged": 2}
    changed = GENETEC.replace("10.30.0.2\t", "10.30.0.22\t")
    preview = client.get(
        reverse("camera_import_preview", args=[token_of(start(client, world, changed))])
    )
    assert preview.context["counts"] == {"create": 0, "update": 1, "unchanged": 1}
    row = next(r for r in preview.context["rows"] if r["action"] == "update")
    assert row["line"] == 3
    assert row["matched_by"] == "mac"
    assert ("Adresse IP", "10.30.0.2", "10.30.0.22") in row["changes"]
    assert imported() == 2


def test_a_file_with_errors_cannot_be_confirmed(client: Any, world: World, tmp_path: Path) -> None:
    client.force_login(world.admin_a)
    token = token_of(start(client, world, GENETEC + BAD_LINE))
    preview = client.get(reverse("camera_import_preview", args=[token]))
    errors = preview.context["errors"]
    assert [e.line for e in errors] == [4]
    html = preview.content.decode()
    assert "Confirmer l’import" not in html
    assert "10.30.0.300" in html
    response = client.post(reverse("camera_import_confirm", args=[token]))
    assert response.status_code == 400
    assert imported() == 0
    # Cancelling removes the file.
    response = client.post(reverse("camera_import_cancel", args=[token]))
    assert response["Location"] == reverse("camera_import")
    assert pending_files(world, tmp_path) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier soumis est vide."),
        (b"x" * (5 * 1024 * 1024 + 1), "Le fichier dépasse 5 Mo."),
    ],
)
def test_empty_or_huge_files_are_form_errors(
    client: Any, world: World, tmp_path: Path, content: bytes, message: str
) -> None:
    client.force_login(world.admin_a)
    response = start(client, world, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert pending_files(world, tmp_path) == []


def test_binary_or_unknown_files_show_their_error(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    for content in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "colonne;autre\n1;2\n"):
        token = token_of(start(client, world, content))
        preview = client.get(reverse("camera_import_preview", args=[token]))
        assert preview.status_code == 200
        assert preview.context["errors"]
        assert "Confirmer l’import" not in preview.content.decode()


def test_another_session_cannot_use_the_token(client: Any, world: World) -> None:
    from django.test import Client

    client.force_login(world.admin_a)
    token = token_of(start(client, world))
    other = Client()
    other.force_login(world.superadmin)
    assert other.get(reverse("camera_import_preview", args=[token])).status_code == 404
    assert other.post(reverse("camera_import_confirm", args=[token])).status_code == 404
    assert imported() == 0


@pytest.mark.parametrize("token", ["../../secret_key", "short", "a" * 100, "bad token with spaces"])
def test_malformed_tokens_are_404(client: Any, world: World, token: str) -> None:
    client.force_login(world.admin_a)
    response = client.get(f"/cameras/import/{token}/")
    assert response.status_code == 404


def test_confirm_and_cancel_are_post_only(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    token = token_of(start(client, world))
    assert client.get(reverse("camera_import_confirm", args=[token])).status_code == 405
    assert client.get(reverse("camera_import_cancel", args=[token])).status_code == 405


def test_losing_the_right_between_preview_and_confirm(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    token = token_of(start(client, world))
    RoleAssignment.objects.filter(user=world.admin_a).update(role="town_viewer")
    response = client.post(reverse("camera_import_confirm", args=[token]))
    assert response.status_code == 403
    assert imported() == 0


def test_htmx_upload_shows_the_preview_in_place(client: Any, world: World) -> None:
    client.force_login(world.admin_a)
    response = start(client, world, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Push-Url"].startswith("/cameras/import/")
    assert 'id="import-preview"' in response.content.decode()
    response = client.post(
        reverse("camera_import"), {"member": world.a.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # HTMX only swaps 2xx: the form shows its errors
    assert "file" in response.context["form"].errors
