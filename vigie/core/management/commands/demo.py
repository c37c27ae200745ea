"""``vigie demo``: migrate, prepare the static files and translations, seed the demo
syndicate (vigie/demo.py), print the URL and the accounts, then serve."""

from __future__ import annotations

import contextlib
import shutil
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import connections

from vigie import demo
from vigie.core.management.base import VigieCommand
from vigie.core.management.commands.serve import gunicorn_argv, public_url, serve
from vigie.demo_services import demo_services, run_until_stopped


class Command(VigieCommand):
    help = "Set up and serve the demo syndicate (three towns, cameras, one account per role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="set up and seed only")
        parser.add_argument("--bind", help="address:port (default: VIGIE_BIND)")
        parser.add_argument(
            "--footage",
            help="a folder of real video clips for the simulated cameras "
            "(default: a test pattern with a clock)",
        )
        parser.add_argument(
            "--rtsp-port",
            type=int,
            default=demo.RTSP_PORT,
            help="port of the simulated cameras (default %(default)s; the demo cameras' "
            "stream URLs follow it)",
        )
        parser.add_argument(
            "--no-cameras",
            action="store_true",
            help="serve the UI only: no simulated cameras, no recorder",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        self.compile_translations()
        call_command("collectstatic", interactive=False, verbosity=0)
        port = options["rtsp_port"]
        if not 1 <= port <= 65535:
            raise CommandError("--rtsp-port must be between 1 and 65535")
        report = demo.seed(rtsp_port=port)
        if report.total():
            made = ", ".join(f"{n} {kind}" for kind, n in report.created.items())
            self.stdout.write(f"demo data created: {made}")
        else:
            self.stdout.write("demo data already present: nothing to create")
        bind = options.get("bind") or settings.VIGIE_BIND
        self.print_accounts(public_url(bind))
        if options["no_serve"]:
            return
        if options["no_cameras"]:
            serve(bind, 2)
            return
        broken = demo.broken_camera_number()
        with demo_services(
            len(demo.CAMERAS), options.get("footage"), self.stdout, port, broken=broken
        ):
            connections.close_all()
            run_until_stopped(gunicorn_argv(bind, 2))

    def compile_translations(self) -> None:
        locale = settings.BASE_DIR / "locale"
        if not shutil.which("msgfmt") or not locale.is_dir():
            return
        # compilemessages walks the current directory: run it inside the package only.
        try:
            with contextlib.chdir(settings.BASE_DIR):
                call_command("compilemessages", verbosity=0)
        except (CommandError, OSError) as exc:
            self.stderr.write(f"translations not compiled ({exc}); the UI falls back to English")

    def print_accounts(self, url: str) -> None:
        self.stdout.write("")
        self.stdout.write(f"Vigie demo: {url}")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        self.stdout.write(f"Accounts (password for all: {demo.DEMO_PASSWORD}):")
        width = max(len(a.username) for a in demo.ACCOUNTS)
        for account in demo.ACCOUNTS:
            self.stdout.write(
                f"  {account.username.ljust(width)}  {account.role:<16}  {account.scope}"
            )
        self.stdout.write("")
