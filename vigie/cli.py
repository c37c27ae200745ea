"""The ``vigie`` console script: a thin front over Vigie's Django management commands.

Each ``vigie <command>`` runs one management command found in the apps
(``vigie/<app>/management/commands/``); ``vigie manage ...`` reaches any other Django
command. Configuration comes from the ``VIGIE_*`` environment variables (see
vigie/config.py): a wrong one is reported in one line, before anything starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# public name -> (management command, one-line help); None: any Django command.
COMMANDS: dict[str, tuple[str | None, str]] = {
    "demo": ("demo", "migrate, seed the demo syndicate, print the accounts and serve"),
    "serve": ("serve", "serve Vigie with gunicorn on VIGIE_BIND"),
    "migrate": ("migrate", "create or update the database tables"),
    "check": ("vigie_check", "check the VIGIE_* settings, Django's checks and the database"),
    "member": ("member", "member add SLUG --name NAME [...] | member list [--json]"),
    "user": (
        "user",
        "user add USERNAME --role ROLE --member SLUG [...] | list | token | deactivate"
        " | reactivate | role add|remove",
    ),
    "habilitation": (
        "habilitation",
        "habilitation designate|withdraw|approval|delegate|undelegate|list|check|remind",
    ),
    "site": ("site", "site list [--member SLUG] [--json]"),
    "camera": ("camera", "camera list [--member SLUG] [--json]"),
    "authorisation": ("authorisation", "authorisation list [--expiring] [--json]"),
    "import-cameras": ("import_cameras", "import-cameras FILE --member SLUG [--dry-run]"),
    "simulate-cameras": ("simulate_cameras", "simulate-cameras --count N --port P [--footage DIR]"),
    "recorder": ("recorder", "recorder [--node NAME]: record this node's cameras until SIGTERM"),
    "retention": ("retention", "retention run [--dry-run] [--json] | loop --interval S"),
    "hold": (
        "hold",
        "hold add --member SLUG --camera NAME... --from ISO --until ISO --reason TEXT"
        " --reference REF | release ID --reason TEXT | list [--member SLUG] [--active]",
    ),
    "segments": ("segments", "segments --camera NAME [--member SLUG] [--json]"),
    "audit": ("audit", "audit verify [--file F] [--json] | checkpoint [--every S] | export"),
    "supervise": (
        "supervise",
        "supervise [--interval S] [--once] [--json]: probe the cameras, keep their health,"
        " open automatic tickets",
    ),
    "servicedesk": (
        "servicedesk",
        "servicedesk escalate [--once] [--interval S] | list [--member SLUG] [--open] [--json]"
        " | report --month YYYY-MM [--member SLUG] [--csv OUT | --pdf OUT]",
    ),
    "subject-request": (
        "subject_request",
        "subject-request add --member SLUG --name N --contact C --place P --from ISO --until ISO"
        " [--camera NAME...] | status ID --to S | close ID | copy ID --camera NAME --reason T"
        " | list [--json]",
    ),
    "requisition": (
        "requisition",
        "requisition add --member SLUG --service S --officer NAME --procedure N --facts TEXT"
        " --camera NAME --from ISO --until ISO [...] | list [--member SLUG] [--late] [--json]"
        " | step ID STATUS --reason TEXT | close ID --reason TEXT",
    ),
    "export": (
        "export",
        "export --requisition ID --out DIR [--iso] [--reason TEXT] | --cancel JOB",
    ),
    "export-worker": (
        "export_worker",
        "export-worker [--once] [--interval S]: make queued evidence packages until SIGTERM",
    ),
    "mask-live": (
        "mask_live",
        "mask-live --camera ID [--dir PATH]: masked live encoder of one camera (the web starts it)",
    ),
    "evidence": ("evidence", "evidence verify PATH [--key PUB.pem] [--json]"),
    "stats": ("stats", "stats [--year Y] [--member SLUG] [--json|--csv]"),
    "manage": (None, "any Django management command, e.g. manage createsuperuser"),
}
# Commands built on vigie.core.management.base.VigieCommand (they take --as).
ACTING_COMMANDS = {
    "demo",
    "serve",
    "check",
    "member",
    "user",
    "site",
    "camera",
    "authorisation",
    "import-cameras",
    "hold",
    "segments",
    "habilitation",
    "servicedesk",
    "subject-request",
    "requisition",
    "export",
    "stats",
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: vigie [--as USERNAME] COMMAND [ARGS...]",
        "",
        "Vigie: a shared video-protection supervision centre for several towns.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()),
        "",
        "options:",
        "  --as USERNAME   act with this person's rights (default: the CLI party, full reach)",
        "  -h, --help      this list; `vigie COMMAND --help` for one command",
        "",
        "environment: VIGIE_DATA_DIR (default ./var), VIGIE_DATABASE_URL (PostgreSQL),",
        "VIGIE_BIND and the other VIGIE_* settings of the README.",
    ]
    return "\n".join(lines)


def split_acting_as(args: list[str]) -> tuple[str | None, list[str]]:
    """Take ``--as USERNAME`` (or ``--as=USERNAME``) out of the arguments, wherever it is."""
    rest: list[str] = []
    username: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--as":
            username, i = (args[i + 1] if i + 1 < len(args) else ""), i + 2
            continue
        if arg.startswith("--as="):
            username = arg[len("--as=") :]
        else:
            rest.append(arg)
        i += 1
    return username, rest


def _setup() -> str | None:
    """Load the settings and Django; return an error message instead of raising."""
    from vigie import config

    try:
        config.load()
    except config.ConfigError as exc:
        return f"configuration error: {exc}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigie.settings"
    import django

    try:
        django.setup()
    except OSError as exc:
        return f"cannot use the data directory: {exc}"
    return None


def _run(name: str, command_name: str | None, args: list[str]) -> int:
    from django.core.management import execute_from_command_line, get_commands, load_command_class

    if command_name is None:
        # Any other command (shell, data fixes…) still acts as the named CLI party, so
        # its reads are not empty and its writes are journaled with an actor.
        from vigie.core import actors
        from vigie.core.management.base import cli_party_name

        with actors.acting_as(actors.system(cli_party_name())):
            execute_from_command_line(["vigie manage", *args])
        return 0
    command = load_command_class(get_commands()[command_name], command_name)
    command.run_from_argv(["vigie", name, *args])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    acting_as, args = split_acting_as(args)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"vigie: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if acting_as is not None:
        if not acting_as or acting_as.startswith("-"):
            print("vigie: --as needs a USERNAME", file=sys.stderr)
            return 2
        if name not in ACTING_COMMANDS:
            print(f"vigie {name}: --as does not apply to this command", file=sys.stderr)
            return 2
        rest = ["--as", acting_as, *rest]
    problem = _setup()
    if problem:
        print(f"vigie: {problem}", file=sys.stderr)
        return 2
    from django.db import DatabaseError

    try:
        return _run(name, COMMANDS[name][0], rest)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except DatabaseError as exc:
        from vigie.core.management.base import database_message

        print(f"vigie {name}: {database_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`vigie camera list | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
