"""Validated deployment settings, read from ``VIGIE_*`` environment variables.

Every variable that starts with ``VIGIE_`` must be known here: a misspelt key is an
error at start-up rather than a setting silently ignored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A deployment setting is unknown or out of range."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {raw!r}")


def _int_range(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value}")
        return value

    return parse


def _csv(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _database_url(raw: str) -> str:
    if not raw.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ValueError("only postgresql:// and sqlite:// URLs are supported")
    return raw


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw

    return parse


@dataclass(frozen=True)
class Option:
    parse: Callable[[str], Any]
    default: Any
    help: str


OPTIONS: dict[str, Option] = {
    "DATA_DIR": Option(Path, Path("var"), "where the embedded database and files live"),
    "DATABASE_URL": Option(_database_url, "", "PostgreSQL URL; empty means embedded SQLite"),
    "SECRET_KEY": Option(str, "", "Django secret key; generated into DATA_DIR when empty"),
    "DEBUG": Option(_bool, False, "Django debug mode (never in production)"),
    "ALLOWED_HOSTS": Option(_csv, ["127.0.0.1", "localhost"], "host names served"),
    "LOG_LEVEL": Option(_choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "log level"),
    "BIND": Option(str, "127.0.0.1:8000", "address:port that `vigie serve` listens on"),
    "PAGE_SIZE": Option(_int_range(1, 1000), 50, "default page size of lists and the API"),
    "BASE_URL": Option(str, "", "public address of this Vigie, for links in e-mails"),
    "EMAIL_HOST": Option(str, "", "SMTP server; empty: e-mails are written to DATA_DIR/mail"),
    "EMAIL_PORT": Option(_int_range(1, 65535), 25, "SMTP port"),
    "EMAIL_FROM": Option(str, "vigie@localhost", "sender of Vigie's e-mails"),
    "ESCALATION_L2": Option(_csv, [], "e-mail addresses told of level-2 escalations"),
    "ESCALATION_L3": Option(_csv, [], "e-mail addresses told of level-3 escalations"),
    "TICKET_AFTER_S": Option(
        _int_range(60, 7 * 86400), 900, "a camera down this long opens a ticket (seconds)"
    ),
    "REQUISITION_DEADLINE_DAYS": Option(
        _int_range(1, 365), 15, "days a requisition is due after its receipt"
    ),
    "METRICS_TOKEN": Option(str, "", "bearer token for /metrics; empty: loopback only"),
    "SHARED_DATA": Option(str, "", "folder of the sample footage used by tests and the demo"),
}


@dataclass(frozen=True)
class Config:
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the ``VIGIE_*`` variables; raise ConfigError on any problem."""
    env = os.environ if environ is None else environ
    unknown = sorted(
        key for key in env if key.startswith("VIGIE_") and key[len("VIGIE_") :] not in OPTIONS
    )
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; known: "
            + ", ".join(f"VIGIE_{k}" for k in OPTIONS)
        )
    values: dict[str, Any] = {}
    for key, option in OPTIONS.items():
        raw = env.get(f"VIGIE_{key}")
        if raw is None:
            values[key] = option.default
            continue
        try:
            values[key] = option.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"VIGIE_{key}: {exc}") from exc
    values["DATA_DIR"] = Path(values["DATA_DIR"]).resolve()
    return Config(values)
