"""Factories of the service desk's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vigie.core.testing import as_system
from vigie.servicedesk import services
from vigie.servicedesk.models import Category, DeskSettings, Ticket
from vigie.servicedesk.sla import PARIS


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def make_ticket(member: Any, **kw: Any) -> Ticket:
    with as_system():
        return services.open_ticket(
            member,
            category=kw.pop("category", Category.NETWORK),
            title=kw.pop("title", "Link down"),
            **kw,
        )


def set_auto_resolve(member: Any, value: bool = True, **kw: Any) -> DeskSettings:
    with as_system():
        found = DeskSettings.objects.unrestricted().filter(member=member).first()
        found = found or DeskSettings(member=member)
        found.auto_resolve = value
        for name, v in kw.items():
            setattr(found, name, v)
        found.save()
        return found


class BrokenBackend:
    """A mail backend whose server is always down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("no mail server")
