"""``vigie user add|list|token|deactivate|reactivate|role``: the people who use Vigie,
their roles and API tokens. Every change goes through ``vigie.tenancy.services``, which
checks the acting party may manage the person in every member their roles reach."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.core.models import IsolationError
from vigie.tenancy import services
from vigie.tenancy.api.serializers import UserSerializer
from vigie.tenancy.models import Member, RoleAssignment, User
from vigie.tenancy.roles import Role


class Command(VigieCommand):
    help = "Add, list, deactivate or reactivate people, change their roles, give API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{add,list,token,deactivate,reactivate,role}",
        )
        add = actions.add_parser("add", help="add a person with one role")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument(
            "--member",
            dest="members",
            action="append",
            default=[],
            metavar="SLUG",
            help="a member the role applies to (repeat for several)",
        )
        add.add_argument(
            "--all-members", action="store_true", help="the role applies to every member"
        )
        add.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin "
            "(default: no password, the person uses an API token)",
        )
        add.add_argument("--email", default="")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        listing = actions.add_parser("list", help="list the people you may see")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")
        token = actions.add_parser("token", help="print the person's API token (created once)")
        token.add_argument("username")
        deactivate = actions.add_parser(
            "deactivate", help="stop the person from logging in; deletes their API token"
        )
        deactivate.add_argument("username")
        reactivate = actions.add_parser("reactivate", help="let a deactivated person log in")
        reactivate.add_argument("username")
        self.add_role_arguments(actions.add_parser("role", help="add or remove a role"))

    def add_role_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="{add,remove}")
        add = verbs.add_parser("add", help="give the person one more role")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument(
            "--member",
            dest="members",
            action="append",
            default=[],
            metavar="SLUG",
            help="a member the role applies to (repeat for several)",
        )
        add.add_argument(
            "--all-members", action="store_true", help="the role applies to every member"
        )
        remove = verbs.add_parser("remove", help="remove every assignment of this role")
        remove.add_argument("username")
        remove.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"])(options)

    def person(self, username: str) -> User:
        """A person the acting party may see; the services check what they may do."""
        user = User.objects.restrict(actors.current(), "view").filter(username=username).first()
        if user is None:
            raise CommandError(f"no person named {username!r}")
        return user

    def deactivate(self, options: dict[str, Any]) -> None:
        user = services.deactivate_user(self.person(options["username"]))
        self.stdout.write(f"person {user.username} deactivated (API token deleted)")

    def reactivate(self, options: dict[str, Any]) -> None:
        user = services.reactivate_user(self.person(options["username"]))
        self.stdout.write(f"person {user.username} reactivated")

    def role(self, options: dict[str, Any]) -> None:
        user = self.person(options["username"])
        role = options["role"]
        if options["verb"] == "add":
            members = self.role_members(options)
            services.add_role(user, role, members, all_members=options["all_members"])
            scope = "every member" if options["all_members"] else ", ".join(m.slug for m in members)
            self.stdout.write(f"person {user.username}: {role} of {scope} added")
            return
        assignments = list(RoleAssignment.objects.filter(user=user, role=role).order_by("pk"))
        if not assignments:
            raise CommandError(f"{user.username} holds no {role} role")
        # One transaction: either every assignment of the role goes, or none does.
        with transaction.atomic():
            for assignment in assignments:
                services.revoke_role(assignment)
        self.stdout.write(f"person {user.username}: {role} removed ({len(assignments)})")

    def role_members(self, options: dict[str, Any]) -> list[Member]:
        if options["all_members"] and options["members"]:
            raise CommandError("give either --member or --all-members, not both")
        if not options["all_members"] and not options["members"]:
            raise CommandError("give --member SLUG (repeatable) or --all-members")
        return [self.member_by_slug(slug) for slug in dict.fromkeys(options["members"])]

    def add(self, options: dict[str, Any]) -> None:
        if options["all_members"] and options["members"]:
            raise CommandError("give either --member or --all-members, not both")
        if not options["all_members"] and not options["members"]:
            raise CommandError("give --member SLUG (repeatable) or --all-members")
        if User.objects.filter(username=options["username"]).exists():
            raise CommandError(f"a person named {options['username']!r} exists already")
        members = [self.member_by_slug(slug) for slug in dict.fromkeys(options["members"])]
        password = self.read_password() if options["password_stdin"] else None
        user = services.create_user(
            options["username"],
            password,
            role=options["role"],
            members=members,
            all_members=options["all_members"],
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        scope = "every member" if options["all_members"] else ", ".join(m.slug for m in members)
        self.stdout.write(f"person {user.username} added: {options['role']} of {scope}")

    def read_password(self) -> str:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CommandError("--password-stdin: no password on stdin")
        return line

    def list(self, options: dict[str, Any]) -> None:
        people = User.objects.restrict(actors.current(), "view").prefetch_related(
            "role_assignments__members"
        )
        if options["json"]:
            self.emit_json(UserSerializer(people, many=True).data)
            return
        visible = set(
            Member.objects.restrict(actors.current(), "view").values_list("pk", flat=True)
        )
        self.emit_table(
            people,
            [
                ("USERNAME", lambda u: u.username),
                ("NAME", lambda u: u.get_full_name()),
                ("ACTIVE", lambda u: u.is_active),
                ("ROLES", lambda u: [_role(a, visible) for a in u.role_assignments.all()]),
            ],
        )

    def token(self, options: dict[str, Any]) -> None:
        actor = actors.current()
        username = options["username"]
        # A person may read their own token; anyone else needs the right to change people.
        if actor is not None and actor.user is not None and actor.user.username == username:
            user = actor.user
        else:
            user = User.objects.restrict(actor, "view").filter(username=username).first()
            if user is None:
                raise CommandError(f"no person named {username!r}")
            if not User.objects.restrict(actor, "change").filter(pk=user.pk).exists():
                raise IsolationError("you may not read this person's token")
        with transaction.atomic():
            token, created = Token.objects.get_or_create(user=user)
            journal(
                "tenancy.user.token", objects=[user], details={"created": created, "source": "cli"}
            )
        self.stdout.write(token.key)


def _role(assignment: Any, visible: set[int]) -> str:
    if assignment.all_members:
        return f"{assignment.role}@*"
    slugs = sorted(m.slug for m in assignment.members.all() if m.pk in visible)
    return f"{assignment.role}@{'+'.join(slugs) or '?'}"
