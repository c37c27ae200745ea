from collections.abc import Iterator

import pytest

from vigie.core import actors


@pytest.fixture(autouse=True)
def _fixtures_actor() -> Iterator[None]:
    """Fixtures write as a named test party; isolation tests act as users explicitly."""
    with actors.acting_as(actors.system("tests")):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: pytest.FixtureRequest) -> None:
    """Real hashing costs ~0.3 s per user on this machine; tests create hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True, scope="session")
def _flushes_may_empty_the_journal() -> Iterator[None]:
    """On PostgreSQL the journal refuses TRUNCATE; the flush between transactional tests
    alone may pass (vigie/audit/testing.py, docs/journal.md)."""
    from vigie.audit.testing import flushes_may_empty_the_journal

    with flushes_may_empty_the_journal():
        yield


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Login failures are counted in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
