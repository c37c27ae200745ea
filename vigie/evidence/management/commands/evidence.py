"""``vigie evidence verify PATH [--key PUB.pem] [--json]``: check an evidence package.

PATH is a package directory, its ``.zip`` or its ``.iso``. Exits 0 only when every
hash, both signatures and the key hold; 1 naming each problem otherwise (stderr, or
the JSON report on stdout); 2 when the key given cannot be read. Needs no database.
See docs/evidence-package.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from vigie.core.management.base import EXIT_ERROR, EXIT_USAGE, VigieCommand
from vigie.evidence import signing
from vigie.evidence.verify import verify_package


class Command(VigieCommand):
    help = "Verify an evidence package (directory, .zip or .iso)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify}")
        verify = actions.add_parser("verify", help="check every hash, the signature and the key")
        verify.add_argument("path", type=Path, metavar="PATH", help="package directory, .zip, .iso")
        verify.add_argument(
            "--key",
            type=Path,
            metavar="PUB.pem",
            help="the syndicate's public key (default: this installation's signing key)",
        )
        verify.add_argument("--json", action="store_true", help="the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options.get("key")
        if key is not None:
            try:
                signing.read_public_key_file(key)
            except signing.SigningKeyError as exc:
                self.stderr.write(f"vigie evidence verify: --key: {exc}")
                sys.exit(EXIT_USAGE)
        report = verify_package(options["path"], public_key=key)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            for line in report.checked:
                self.stdout.write(f"ok: {line}")
            for line in report.problems:
                self.stderr.write(f"FAILED: {line}")
            verdict = "package intact" if report.ok else f"{len(report.problems)} problem(s)"
            self.stdout.write(f"{options['path']}: {verdict}")
        if not report.ok:
            sys.exit(EXIT_ERROR)
