"""The API's shared machinery: authentication, the actor, errors, pagination, the schema."""

import pytest
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.core.api_testing import list_url, listed_ids, token_client
from vigie.core.testing import (
    as_system,
    make_authorisation,
    make_camera,
    make_member,
    make_site,
    make_user,
)
from vigie.inventory.models import RecorderNode, Site, StoragePool, TransportLink

pytestmark = pytest.mark.django_db


def test_token_authentication_works_and_acts_as_the_user():
    a = make_member()
    admin = make_user(role="syndicate_admin", members=[a])
    client = token_client(admin)
    response = client.post(list_url("site"), {"member": a.slug, "name": "Gare"}, format="json")
    assert response.status_code == 201, response.content
    entry = JournalEntry.objects.filter(action="inventory.site.create").get()
    assert entry.actor_name == admin.username
    assert entry.actor_user_id == admin.pk
    assert not entry.actor_system
    # The previous actor (the tests' system party) is back once the request is over.
    current = actors.current()
    assert current is not None and current.system


@pytest.mark.parametrize(
    "header", ["Token 0123456789abcdef0123456789abcdef01234567", "Token ", "Token a b"]
)
def test_forged_or_unknown_token_is_401(header):
    make_camera(make_member())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(list_url("camera"))
    assert response.status_code == 401
    assert response.json()["detail"]


def test_no_credentials_is_401():
    response = APIClient().get(list_url("camera"))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_obtain_token_with_username_and_password():
    a = make_member()
    viewer = make_user("maire", role="town_viewer", members=[a], password="Phrase-longue-2025")
    cam = make_camera(a)
    client = APIClient()
    url = reverse("v1:auth-token")
    bad = client.post(url, {"username": "maire", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    assert "token" not in bad.json()
    good = client.post(url, {"username": "maire", "password": "Phrase-longue-2025"}, format="json")
    assert good.status_code == 200
    key = good.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert listed_ids(client.get(list_url("camera"))) == {cam.pk}
    assert JournalEntry.objects.filter(action="tenancy.user.token", actor_user_id=viewer.pk)


def test_session_authentication_works_and_writes_need_csrf():
    a = make_member()
    admin = make_user(role="syndicate_admin", members=[a])
    site = make_site(a)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin)
    assert listed_ids(client.get(list_url("site"))) == {site.pk}
    response = client.post(list_url("site"), {"member": a.slug, "name": "X"}, format="json")
    assert response.status_code == 403
    assert not Site.objects.unrestricted().filter(name="X").exists()


def test_me_returns_roles_and_members():
    a, b = make_member("antony"), make_member("sceaux")
    user = make_user("adjoint", role="town_viewer", members=[a, b], first_name="Léa")
    body = token_client(user).get(reverse("v1:me")).json()
    assert body["username"] == "adjoint"
    assert body["first_name"] == "Léa"
    assert body["roles"] == [
        {"role": "town_viewer", "members": ["antony", "sceaux"], "all_members": False}
    ]
    assert "password" not in body


def test_pagination_limit_offset():
    a = make_member()
    for n in range(7):
        make_site(a, name=f"Site {n}")
    client = token_client(make_user(role="town_viewer", members=[a]))
    body = client.get(list_url("site"), {"limit": "3", "offset": "2", "ordering": "name"}).json()
    assert body["count"] == 7
    assert [row["name"] for row in body["results"]] == ["Site 2", "Site 3", "Site 4"]
    assert "offset=5" in body["next"] and body["previous"]
    huge = client.get(list_url("site"), {"limit": str(10**9), "offset": str(10**30)})
    assert huge.status_code == 200
    assert huge.json()["results"] == []


def test_filters_on_cameras():
    a, b = make_member("antony"), make_member("sceaux")
    site = make_site(a)
    dome = make_camera(a, name="Dôme gare", camera_type="ptz", site=site, purposes=["terrorism"])
    fixed = make_camera(a, name="Fixe mairie", purposes=["crime_prevention"])
    other = make_camera(b, name="Dôme sceaux", camera_type="ptz")
    client = token_client(make_user(role="town_viewer", members=[a, b]))

    def ids(**params):
        response = client.get(list_url("camera"), params)
        assert response.status_code == 200, response.content
        return listed_ids(response)

    assert ids(member="antony") == {dome.pk, fixed.pk}
    assert ids(camera_type="ptz") == {dome.pk, other.pk}
    assert ids(q="dôme", member="antony") == {dome.pk}
    assert ids(purpose="crime_prevention") == {fixed.pk}
    assert ids(site=site.pk) == {dome.pk}
    assert ids(mac_address=fixed.mac_address.lower()) == {fixed.pk}
    assert ids(enabled="false") == {dome.pk, fixed.pk, other.pk}


def test_filter_on_a_member_one_may_not_see_is_refused():
    a, b = make_member("antony"), make_member("sceaux")
    make_camera(b)
    client = token_client(make_user(role="town_viewer", members=[a]))
    response = client.get(list_url("camera"), {"member": "sceaux"})
    assert response.status_code == 400
    assert "member" in response.json()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x\x00y"},
        {"member": "\x00"},
        {"camera_type": "<script>"},
        {"q": "é" * 5000},
        {"ordering": "member__syndicate__name';--"},
        {"site": "abc"},
        {"limit": "-1", "offset": "x"},
    ],
)
def test_hostile_query_strings_never_500(params):
    a = make_member()
    make_camera(a)
    client = token_client(make_user(role="town_viewer", members=[a]))
    response = client.get(list_url("camera"), params)
    assert response.status_code in (200, 400), response.content
    response.json()


@pytest.mark.parametrize("path", ["cameras/abc/", "cameras/99999999999999999999999/", "nope/"])
def test_unknown_paths_answer_json_404(path):
    a = make_member()
    client = token_client(make_user(role="town_viewer", members=[a]))
    response = client.get(f"/api/v1/{path}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_unique_name_across_members_is_a_clean_400():
    a, b = make_member(), make_member()
    with as_system():
        RecorderNode.objects.create(member=a, name="rec-1")
    client = token_client(make_user(role="syndicate_admin", members=[b]))
    response = client.post(
        list_url("recordernode"), {"member": b.slug, "name": "rec-1"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()
    assert RecorderNode.objects.unrestricted().filter(name="rec-1").count() == 1


def test_deleting_a_site_still_in_use_is_a_clean_400():
    a = make_member()
    site = make_site(a)
    make_camera(a, site=site)
    client = token_client(make_user(role="syndicate_admin", members=[a]))
    response = client.delete(reverse("v1:site-detail", kwargs={"pk": site.pk}))
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert Site.objects.unrestricted().filter(pk=site.pk).exists()


def _schema_collections(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        if "get" in operations and "{" not in path:
            yield path


def _populate(member, tag):
    site = make_site(member, name=f"{tag}-site")
    cam = make_camera(member, name=f"{tag}-camera", site=site, notes=f"{tag}-notes")
    auth = make_authorisation(member, [cam], number=f"{tag}-auth")
    with as_system():
        node = RecorderNode.objects.create(member=member, name=f"{tag}-node")
        StoragePool.objects.create(member=member, name=f"{tag}-pool", node=node, path="/srv/x")
        TransportLink.objects.create(member=member, name=f"{tag}-link", kind="fibre", site=site)
    make_user(f"{tag}-person", role="town_viewer", members=[member])
    return [site, cam, auth]


@pytest.mark.parametrize("role", ["town_viewer", "auditor", "technician", "syndicate_admin"])
def test_every_listed_endpoint_hides_the_other_member(role):
    a, b = make_member("ville-a"), make_member("ville-b", name="Secretville")
    mine = _populate(a, "alpha")
    theirs = _populate(b, "bravo")
    viewer = make_user("alpha-viewer", role=role, members=[a])
    client = token_client(viewer)
    paths = list(_schema_collections(client))
    assert {"/api/v1/cameras/", "/api/v1/sites/", "/api/v1/authorisations/"} <= set(paths)
    assert len(paths) >= 8
    seen_mine = set()
    for path in paths:
        response = client.get(path, {"limit": 1000})
        assert response.status_code in (200, 403), (path, response.status_code)
        text = response.content.decode()
        for secret in ("bravo", "ville-b", "Secretville"):
            assert secret not in text, (path, secret)
        if response.status_code != 200 or "results" not in response.json():
            continue
        model = getattr(getattr(resolve(path).func, "cls", None), "model", None)
        ids = listed_ids(response)
        for obj in theirs:
            assert not (type(obj) is model and obj.pk in ids), (path, obj)
        seen_mine |= {(model, pk) for pk in ids}
    assert {(type(o), o.pk) for o in mine} <= seen_mine


def test_schema_loads_and_lists_every_endpoint():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for expected in (
        "/api/v1/members/",
        "/api/v1/users/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
        "/api/v1/sites/",
        "/api/v1/cameras/",
        "/api/v1/cameras/{id}/enable/",
        "/api/v1/cameras/import/",
        "/api/v1/authorisations/",
        "/api/v1/transport-links/",
        "/api/v1/recorder-nodes/",
        "/api/v1/storage-pools/",
    ):
        assert expected in paths


def test_browsable_api_renders_for_a_session_user():
    a, b = make_member("ville-a"), make_member("ville-b")
    cam = make_camera(a)
    make_authorisation(a, [cam])
    make_site(b, name="bravo-site")
    client = APIClient()
    client.force_login(make_user(role="syndicate_admin", members=[a]))
    for url in (list_url("camera"), reverse("v1:camera-detail", kwargs={"pk": cam.pk})):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert "bravo-site" not in response.content.decode()
        assert "ville-b" not in response.content.decode()
    response = client.get(list_url("authorisation"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200


def test_foreign_key_filters_offer_only_what_the_user_may_see():
    from django.test import RequestFactory

    from vigie.inventory.filters import CameraFilter

    a, b = make_member(), make_member()
    site_a, site_b = make_site(a), make_site(b)
    # A filter set class built while a system party acts (as at import time in a job).
    late = type("LateCameraFilter", (CameraFilter,), {"__module__": __name__})
    request = RequestFactory().get("/")
    request.user = make_user(role="town_viewer", members=[a])
    choices = late(request.GET, request=request).filters["site"].field.queryset
    assert set(choices) == {site_a}
    client = token_client(request.user)
    assert client.get(list_url("camera"), {"site": site_b.pk}).status_code == 400
    assert client.get(list_url("camera"), {"site": site_a.pk}).status_code == 200
