"""People and members through the API: creation with a role, bad input, filters."""

import pytest
from django.urls import reverse

from vigie.core.api_testing import list_url, listed_ids, token_client
from vigie.core.testing import make_member, make_user
from vigie.tenancy.models import Member, User

pytestmark = pytest.mark.django_db

PASSWORD = "Une-phrase-de-passe-longue-2025"


@pytest.fixture
def town():
    a = make_member("antony")
    return a, token_client(make_user("dsi", role="syndicate_admin", members=[a]))


def test_create_person_with_a_role_then_they_get_a_token(town):
    _a, client = town
    body = {
        "username": "pm.martin",
        "password": PASSWORD,
        "last_name": "Martin",
        "email": "pm@antony.example",
        "role": "town_viewer",
        "members": ["antony"],
    }
    response = client.post(list_url("user"), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["roles"] == [{"role": "town_viewer", "members": ["antony"], "all_members": False}]
    assert "password" not in data
    user = User.objects.get(username="pm.martin")
    assert user.check_password(PASSWORD)
    token = client.post(
        reverse("v1:auth-token"), {"username": "pm.martin", "password": PASSWORD}, format="json"
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"password": "1234"}, "password"),
        ({"password": "pm.martin"}, "password"),
        ({"username": "dsi"}, "username"),
        ({"username": "<script>"}, "username"),
        ({"username": "u" * 151}, "username"),
        ({"username": "nul\x00"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "emperor"}, "role"),
        ({"members": ["nowhere"]}, "members"),
        ({"role": None, "members": ["antony"]}, "role"),
    ],
)
def test_bad_people_are_400_and_nothing_written(town, changes, key):
    _a, client = town
    body = {
        "username": "pm.martin",
        "password": PASSWORD,
        "role": "town_viewer",
        "members": ["antony"],
        **changes,
    }
    body = {k: v for k, v in body.items() if v is not None}
    before = User.objects.count()
    response = client.post(list_url("user"), body, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert User.objects.count() == before


def test_a_role_needs_members(town):
    _a, client = town
    body = {"username": "x1", "password": PASSWORD, "role": "town_viewer"}
    response = client.post(list_url("user"), body, format="json")
    assert response.status_code == 400
    assert "members" in response.json()
    assert not User.objects.filter(username="x1").exists()


def test_a_member_admin_cannot_make_a_syndicate_wide_role(town):
    _a, client = town
    body = {"username": "x2", "password": PASSWORD, "role": "auditor", "all_members": True}
    response = client.post(list_url("user"), body, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="x2").exists()


def test_people_are_patched_not_replaced(town):
    """PATCH changes the profile (test_api_people_manage.py); PUT would mean rewriting
    the username and roles too, which the API does not do."""
    a, client = town
    person = make_user(role="town_viewer", members=[a])
    url = reverse("v1:user-detail", kwargs={"pk": person.pk})
    body = {"username": person.username, "first_name": "X"}
    assert client.put(url, body, format="json").status_code == 405
    assert User.objects.filter(pk=person.pk, first_name="").exists()


def test_roles_show_only_members_the_reader_may_see():
    a, b = make_member("antony"), make_member("sceaux")
    both = make_user("both", role="town_viewer", members=[a, b])
    auditor_a = token_client(make_user(role="auditor", members=[a]))
    row = auditor_a.get(reverse("v1:user-detail", kwargs={"pk": both.pk})).json()
    assert row["roles"] == [{"role": "town_viewer", "members": ["antony"], "all_members": False}]
    assert "sceaux" not in str(auditor_a.get(list_url("user")).content)


def test_user_filters():
    a, b = make_member("antony"), make_member("sceaux")
    viewer = make_user("v", role="town_viewer", members=[a])
    tech = make_user("t", role="technician", members=[a, b])
    make_user("other", role="town_viewer", members=[b])
    client = token_client(make_user("root", role="syndicate_admin", all_members=True))

    def ids(**params):
        response = client.get(list_url("user"), params)
        assert response.status_code == 200, response.content
        return listed_ids(response)

    assert ids(member="antony") == {viewer.pk, tech.pk}
    assert ids(role="technician") == {tech.pk}
    assert ids(q="oth") == {User.objects.get(username="other").pk}


def test_member_creation_defaults_to_the_only_syndicate_and_filters():
    make_member("antony", kind="town")
    root = token_client(make_user(role="syndicate_admin", all_members=True))
    body = {"name": "Département", "slug": "cd92", "kind": "departement", "departement": "92"}
    response = root.post(list_url("member"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["syndicate"] == "smo-test"
    kinds = root.get(list_url("member"), {"kind": "departement"})
    assert listed_ids(kinds) == {Member.objects.unrestricted().get(slug="cd92").pk}
    bad = root.post(list_url("member"), {**body, "slug": "bad slug!"}, format="json")
    assert bad.status_code == 400 and "slug" in bad.json()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x" * 10_000, "password": "y"},
        {"username": "nul\x00", "password": "y"},
        {"username": "", "password": ""},
        {},
    ],
)
def test_token_endpoint_refuses_bad_input_cleanly(body):
    make_user("agent")
    response = token_client(make_user()).post(reverse("v1:auth-token"), body, format="json")
    assert response.status_code == 400
    assert response.json()


def test_options_and_head_answer(town):
    _a, client = town
    assert client.options(list_url("camera")).status_code == 200
    assert client.head(list_url("camera")).status_code == 200
