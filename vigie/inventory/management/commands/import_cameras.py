"""``vigie import-cameras FILE --member SLUG [--dry-run]``: import a camera inventory.

Accepts the Genetec status extract, the native CSV and French Excel CSV (see
docs/import-format.md). Any error: every line at fault on stderr, exit 1, nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.inventory.import_formats import MAX_BYTES
from vigie.inventory.imports import ImportPlan, ImportRefused, apply_import, plan_import

FORMAT_NAMES = {"genetec": "Genetec status extract", "native": "Vigie CSV", "unknown": "unknown"}
DELIMITER_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma"}


class Command(VigieCommand):
    help = "Import cameras from a Genetec extract or a CSV file into one member."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to import, or - for stdin")
        parser.add_argument("--member", required=True, metavar="SLUG", help="the owning member")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        member = self.member_by_slug(options["member"])
        name, data = self.read(options["file"])
        who = actors.current()
        plan = plan_import(data, member, who)
        if not plan.ok:
            self.fail(name, plan.errors)
        self.summary(name, plan)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing written")
            return
        try:
            result = apply_import(plan, member, who)
        except ImportRefused as refused:
            self.fail(name, refused.errors)
        self.stdout.write(
            f"imported into {member.slug}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.sites_created} sites created"
        )

    def read(self, path: str) -> tuple[str, bytes]:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
            name = "<stdin>"
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"{path}: no such file")
            if file.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path}: larger than {MAX_BYTES >> 20} MiB")
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from exc
            name = path
        return name, data

    def summary(self, name: str, plan: ImportPlan) -> None:
        delimiter = DELIMITER_NAMES.get(plan.delimiter, repr(plan.delimiter))
        self.stdout.write(
            f"{name}: {FORMAT_NAMES[plan.file_format]}, {plan.encoding}, {delimiter}-separated, "
            f"{len(plan.rows)} cameras: {plan.count('create')} to create, "
            f"{plan.count('update')} to update, {plan.count('unchanged')} unchanged"
        )
        if plan.sites_to_create:
            self.stdout.write(f"sites to create: {', '.join(plan.sites_to_create)}")
        for row in plan.rows:
            if row.action == "update":
                fields = ", ".join(sorted(row.changes))
                self.stdout.write(
                    f"  line {row.line}: update {row.values.get('name', '')} "
                    f"(matched by {row.matched_by}): {fields}"
                )

    def fail(self, name: str, errors: list[Any]) -> None:
        for error in errors:
            where = f"{name}:{error.line}" if error.line else name
            column = f" {error.field}:" if error.field else ""
            self.stderr.write(f"{where}:{column} {error.message}")
        count = len(errors)
        raise CommandError(
            f"{count} error{'s' if count > 1 else ''} in {name}; nothing was imported"
        )
