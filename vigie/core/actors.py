"""Who is acting: a person, or a named job or CLI user.

The acting party lives in a context variable set by the web middleware, the API
authentication, the CLI and background jobs. Default querysets read it, so code that
forgets to pass a user is restricted rather than unrestricted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vigie.core.grants import GrantTable


@dataclass
class Actor:
    """A person (``user`` set) or a named system party (``system`` True: a job, the CLI)."""

    name: str
    user: Any = None
    system: bool = False
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    source_address: str = ""
    _grants: GrantTable | None = field(default=None, repr=False)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def grants(self) -> GrantTable:
        if self._grants is None:
            from vigie.core.grants import grant_table_for

            self._grants = grant_table_for(self.user)
        return self._grants

    def forget_grants(self) -> None:
        """Re-read permissions on next use (after roles or permissions changed)."""
        self._grants = None


def person(user: Any, *, source_address: str = "", request_id: str = "") -> Actor:
    actor = Actor(name=user.get_username(), user=user, source_address=source_address)
    if request_id:
        actor.request_id = request_id
    return actor


def system(name: str) -> Actor:
    """A job or CLI party with unrestricted reach. Grep for ``system(`` to find every use."""
    return Actor(name=name, system=True)


_current: ContextVar[Actor | None] = ContextVar("vigie_actor", default=None)


def current() -> Actor | None:
    return _current.get()


def as_actor(who: Any) -> Actor | None:
    """Accept an Actor, a user (anonymous users count as nobody) or None."""
    if who is None or isinstance(who, Actor):
        return who
    if not getattr(who, "is_authenticated", False):
        return None
    cur = _current.get()
    if cur is not None and cur.user_id == who.pk:
        return cur
    return person(who)


@contextmanager
def acting_as(who: Any) -> Iterator[Actor | None]:
    actor = as_actor(who)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
