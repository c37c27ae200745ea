"""Slow down password guessing on the login page and the API token endpoint.

Failures are counted per (username, source address) and per source address alone, in
the shared cache (a folder under DATA_DIR: every gunicorn worker sees the same counts).
Past the limit, attempts are refused with 429 until the window has passed, even with
the right password: a guesser learns nothing. Blocks are journaled once per window.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 30


def _keys(username: str, address: str) -> tuple[str, str]:
    account = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()
    return f"login-fail:acct:{account}", f"login-fail:addr:{address}"


def blocked(username: str, address: str) -> bool:
    account, per_address = _keys(username, address)
    return (cache.get(account, 0) >= PER_ACCOUNT) or (cache.get(per_address, 0) >= PER_ADDRESS)


def _bump(key: str) -> int:
    if cache.add(key, 1, WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def failed(username: str, address: str) -> None:
    account, per_address = _keys(username, address)
    count = _bump(account)
    _bump(per_address)
    if count == PER_ACCOUNT:
        from vigie.audit.services import journal
        from vigie.core import actors

        journal(
            "auth.login_blocked",
            actor=actors.Actor(name="auth", system=True, source_address=address),
            details={"username": username[:150], "window_seconds": WINDOW_SECONDS},
        )


def succeeded(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])
