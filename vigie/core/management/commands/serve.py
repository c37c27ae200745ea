"""``vigie serve``: run Vigie with gunicorn on ``VIGIE_BIND`` (2 workers of 8 threads by
default)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from vigie.core.management.base import VigieCommand


def pending_migrations() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def public_url(bind: str) -> str:
    """The URL to print for a bind address (a wildcard host is reached via 127.0.0.1)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 - only read, to print a URL
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


# Threads per worker: an image wall polls many live playlists at once, and an evidence
# package (gigabytes) or a playback takes minutes to send. A sync worker busy sending
# for longer than the timeout is killed mid-download; a threaded worker's main loop
# tells gunicorn it is alive while its threads send.
THREADS = 8
TIMEOUT_S = 60


def gunicorn_argv(
    bind: str, workers: int, *, app: str = "vigie.wsgi:application", timeout_s: int = TIMEOUT_S
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--access-logfile",
        "-",
        "--timeout",
        str(timeout_s),
        # gunicorn's control socket defaults to one path in $HOME, shared by every instance.
        "--no-control-socket",
    ]


def serve(bind: str, workers: int) -> None:
    """Replace this process by gunicorn (signals then reach it directly)."""
    connections.close_all()
    argv = gunicorn_argv(bind, workers)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)  # noqa: S606 - fixed argv, no shell


class Command(VigieCommand):
    help = "Serve Vigie with gunicorn (the database must be migrated: vigie migrate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", help="address:port (default: VIGIE_BIND)")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            choices=range(1, 33),
            metavar="N",
            help="gunicorn workers (default: 2)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if pending_migrations():
            raise CommandError("the database is not up to date: run `vigie migrate` first")
        # Static files live under the data dir; copying them is quick once done.
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = options.get("bind") or settings.VIGIE_BIND
        self.stdout.write(f"Vigie serves on {public_url(bind)} (Ctrl-C stops it)")
        serve(bind, options["workers"])
