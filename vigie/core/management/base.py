"""What every ``vigie`` management command shares.

- It acts as the CLI party ``cli:<os user>`` (a system party with full reach), or as a
  person with ``--as USERNAME``, whose roles and isolation then apply.
- Errors from the model layer (validation, isolation, database) become one clear line on
  stderr and a non-zero exit, never a traceback.
- ``--json`` prints a JSON array of objects with the API serializers' field names; the
  text form is a plain table.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    handle_default_options,
)
from django.db import DatabaseError, connections
from django.utils import translation
from rest_framework.utils.encoders import JSONEncoder

from vigie.core import actors

EXIT_ERROR = 1
EXIT_USAGE = 2


def cli_party_name() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        who = str(os.getuid())
    return f"cli:{who}"


def resolve_actor(username: str | None) -> actors.Actor:
    """The CLI party, or the active person named ``username``."""
    if not username:
        return actors.system(cli_party_name())
    from vigie.tenancy.models import User

    # The User manager is unrestricted by design: nobody acts yet.
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--as: no active person named {username!r}")
    return actors.person(user, source_address="cli")


def cli_language() -> str:
    """The language of messages: French if the locale asks for it (LANG=fr_FR...), else
    English, the language of the code and of scripts that parse the output."""
    from django.conf import settings

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            code = value[:2].lower()
            return code if code in dict(settings.LANGUAGES) else "en"
    return "en"


def database_message(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:300]
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"database error: {text} (run `vigie migrate` first)"
    return f"database error: {text}"


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, messages in exc.message_dict.items():
            text = " ".join(messages)
            parts.append(text if name == "__all__" else f"{name}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)


class VigieCommand(BaseCommand):
    """Base of the ``vigie`` commands: actor, clean errors, JSON and table output."""

    # `vigie check` runs the system checks explicitly; other commands start fast.
    requires_system_checks: Sequence[str] = []  # type: ignore[assignment]

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--as",
            dest="acting_as",
            metavar="USERNAME",
            help="act as this person, with their rights (default: the CLI party, full reach)",
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            with translation.override(cli_language()):
                actor = resolve_actor(options.get("acting_as"))
                with actors.acting_as(actor):
                    return super().execute(*args, **options)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc) or "permission denied") from exc
        except DatabaseError as exc:
            raise CommandError(database_message(exc)) from exc

    def run_from_argv(self, argv: list[str]) -> None:
        """Like Django's, but errors read ``vigie <command>: error: ...``."""
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        options = parser.parse_args(argv[2:])
        cmd_options = vars(options)
        args = cmd_options.pop("args", ())
        handle_default_options(options)
        try:
            self.execute(*args, **cmd_options)
        except CommandError as exc:
            if options.traceback:
                raise
            self.stderr.write(f"{parser.prog}: error: {exc}")
            sys.exit(exc.returncode)
        finally:
            connections.close_all()

    # ------------------------------------------------------------------ output

    def emit_json(self, data: Any) -> None:
        # DRF's encoder, so numbers, dates and decimals read exactly as in the API.
        self.stdout.write(json.dumps(data, cls=JSONEncoder, ensure_ascii=False, indent=2))

    def emit_table(
        self,
        rows: Iterable[Any],
        columns: Sequence[tuple[str, Callable[[Any], Any]]],
    ) -> None:
        table = [[header for header, _ in columns]]
        for row in rows:
            table.append([_cell(getter(row)) for _, getter in columns])
        widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
        for line in table:
            self.stdout.write(
                "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            )
        if len(table) == 1:
            self.stderr.write("(none)")

    def member_by_slug(self, slug: str) -> Any:
        """A member the acting party may see, or a CommandError."""
        from vigie.tenancy.models import Member

        member = Member.objects.restrict(actors.current(), "view").filter(slug=slug).first()
        if member is None:
            raise CommandError(f"unknown member {slug!r}")
        return member


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return str(value)
