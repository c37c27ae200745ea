"""``vigie check``: the deployment settings, Django's system checks, the database."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from vigie import config
from vigie.core.management.base import VigieCommand
from vigie.core.management.commands.serve import pending_migrations


class Command(VigieCommand):
    help = "Check the configuration (VIGIE_*), Django's system checks and the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deploy", action="store_true", help="add Django's deployment checks")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config.load()
        except config.ConfigError as exc:
            raise CommandError(f"configuration: {exc}") from exc
        database = connections[DEFAULT_DB_ALIAS]
        self.stdout.write(
            f"configuration: ok (data directory {settings.DATA_DIR}, "
            f"database {database.vendor}, bind {settings.VIGIE_BIND})"
        )
        data_dir = settings.DATA_DIR
        if not data_dir.is_dir():
            raise CommandError(f"data directory {data_dir} does not exist")
        # Raises SystemCheckError (a CommandError) on any error-level message.
        call_command("check", deploy=options["deploy"], verbosity=0)
        self.stdout.write("django checks: ok")
        try:
            database.ensure_connection()
            pending = pending_migrations()
        except DatabaseError as exc:
            raise CommandError(f"database unreachable: {exc}") from exc
        if pending:
            raise CommandError(f"database: {pending} migration(s) to apply: run `vigie migrate`")
        self.stdout.write("database: ok (migrations applied)")
