"""Argument types of the ``vigie`` commands: dates and times as people type them."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time

from django.utils import timezone


def parse_when(text: str) -> datetime:
    """An ISO 8601 date and time; without an offset, in the server's time zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO date and time: {text!r} (e.g. 2026-11-20T08:00)"
        ) from exc
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r} (e.g. 2026-11-21)") from exc


def parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (e.g. 18:00)") from exc
