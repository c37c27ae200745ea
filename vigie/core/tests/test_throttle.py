"""Password guessing is slowed down on the login page and the token endpoint."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from vigie.audit.models import JournalEntry
from vigie.core import throttle
from vigie.core.testing import make_user

pytestmark = pytest.mark.django_db
RIGHT = "correct-horse-battery"


def login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_login_page_blocks_after_repeated_failures() -> None:
    make_user("sophie")
    client = Client()
    for _ in range(throttle.PER_ACCOUNT):
        assert login(client, "sophie", "wrong") == 200  # the form again, with its error
    # Blocked: even the right password is refused, the guesser learns nothing.
    assert login(client, "sophie", RIGHT) == 429
    assert not client.session.get("_auth_user_id")
    entries = JournalEntry.objects.filter(action="auth.login_blocked")
    assert entries.count() == 1
    assert entries.get().details["username"] == "sophie"


def test_other_accounts_and_success_reset() -> None:
    make_user("sophie")
    make_user("jean")
    client = Client()
    for _ in range(throttle.PER_ACCOUNT - 1):
        login(client, "sophie", "wrong")
    assert login(client, "sophie", RIGHT) == 302  # success clears the account's count
    client.logout()
    for _ in range(throttle.PER_ACCOUNT - 1):
        login(client, "sophie", "wrong")
    assert login(client, "sophie", "wrong") == 200
    assert login(client, "jean", RIGHT) == 302  # another account is not blocked


def test_token_endpoint_blocks_too() -> None:
    make_user("karim")
    client = APIClient()
    url = "/api/v1/auth/token/"
    for _ in range(throttle.PER_ACCOUNT):
        assert client.post(url, {"username": "karim", "password": "x"}).status_code == 400
    response = client.post(url, {"username": "karim", "password": RIGHT})
    assert response.status_code == 429
    assert "token" not in response.json()


def test_one_address_spraying_many_accounts_is_blocked() -> None:
    client = Client()
    for n in range(throttle.PER_ADDRESS):
        login(client, f"guess{n}", "wrong")
    make_user("nadia")
    assert login(client, "nadia", RIGHT) == 429
