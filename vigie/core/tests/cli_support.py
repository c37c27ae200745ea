"""Run the real ``vigie`` console script in a subprocess, against a database of its own.

A subprocess cannot see the test database of pytest-django (its rows live in an
uncommitted transaction), so each environment gets a fresh one: a new PostgreSQL
database next to the one ``VIGIE_DATABASE_URL`` names when the suite runs on
PostgreSQL, else the embedded SQLite database of a temporary data directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

VIGIE = Path(sys.executable).with_name("vigie")


@dataclass
class CliEnv:
    env: dict[str, str]
    cwd: Path

    @property
    def data_dir(self) -> Path:
        return Path(self.env["VIGIE_DATA_DIR"])

    def run(
        self, *args: str, input: str | None = None, timeout: int = 180, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        assert VIGIE.is_file(), f"the console script is missing: {VIGIE}"
        return subprocess.run(
            [str(VIGIE), *args],
            env={**self.env, **extra},
            cwd=self.cwd,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_bytes(
        self, *args: str, data: bytes, timeout: int = 180
    ) -> subprocess.CompletedProcess[bytes]:
        """Like run(), with raw bytes on stdin (a file in some encoding)."""
        return subprocess.run(
            [str(VIGIE), *args],
            env=self.env,
            cwd=self.cwd,
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


@contextmanager
def cli_env(data_dir: Path, label: str) -> Iterator[CliEnv]:
    """An environment with its own data directory and database, migrated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Messages in English (the CLI speaks French only when the locale asks for it).
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        env.pop(name, None)
    env["LANG"] = "C.UTF-8"
    env["VIGIE_DATA_DIR"] = str(data_dir)
    url = os.environ.get("VIGIE_DATABASE_URL", "")
    database = ""
    if url.startswith("postgres"):
        database = f"vigie_{label}_{uuid.uuid4().hex[:10]}"
        with _admin_connection(url) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        env["VIGIE_DATABASE_URL"] = _with_database(url, database)
    try:
        cli = CliEnv(env=env, cwd=data_dir)
        migrated = cli.run("migrate", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        yield cli
    finally:
        if database:
            with _admin_connection(url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
