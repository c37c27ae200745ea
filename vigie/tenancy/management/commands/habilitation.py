"""``vigie habilitation``: who may see images — designations, approvals, delegations.

    vigie habilitation designate USER --member SLUG [--no-live] [--no-playback] [--export]
        [--from DATE] [--until DATE] [--reference TEXT]
    vigie habilitation withdraw DESIGNATION_ID
    vigie habilitation approval add USER --number N --departement 92 --granted DATE --expires DATE
    vigie habilitation approval suspend|reinstate|withdraw APPROVAL_ID
    vigie habilitation delegate --member SLUG [--days 1-5] [--from 18:00 --until 08:00]
        [--no-live] [--no-playback] [--no-export]
    vigie habilitation undelegate DELEGATION_ID
    vigie habilitation list [--user USER] [--member SLUG] [--json]
    vigie habilitation check USER --camera NAME --member SLUG   (what the person may do now)
    vigie habilitation remind   (e-mail approvals and authorisations nearing expiry)

Changes take effect on the person's next request: an open live view stops.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core import services as core
from vigie.core.management.base import VigieCommand
from vigie.core.management.parsing import parse_date, parse_time
from vigie.inventory.models import Camera
from vigie.tenancy import habilitation_services as services
from vigie.tenancy.models import Approval, Designation, OperatorDelegation, User


def parse_days(text: str) -> list[int]:
    """``1-5`` or ``1,3,6-7`` (1 = Monday)."""
    days: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            days += range(int(low), int(high or low) + 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"days like 1-5 or 1,3,6-7, not {text!r}") from exc
    if not days or any(not 1 <= d <= 7 for d in days):
        raise argparse.ArgumentTypeError("days go from 1 (Monday) to 7 (Sunday)")
    return sorted(set(days))


class Command(VigieCommand):
    help = "Designations, prefectoral approvals and delegations to the centre."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        designate = actions.add_parser("designate", help="a member designates a person")
        designate.add_argument("user")
        designate.add_argument("--member", required=True, metavar="SLUG")
        designate.add_argument("--no-live", action="store_true")
        designate.add_argument("--no-playback", action="store_true")
        designate.add_argument("--export", action="store_true")
        designate.add_argument("--from", dest="valid_from", type=parse_date, metavar="DATE")
        designate.add_argument("--until", dest="valid_until", type=parse_date, metavar="DATE")
        designate.add_argument("--reference", default="", help="the designating act")
        withdraw = actions.add_parser("withdraw", help="withdraw a designation at once")
        withdraw.add_argument("id", type=int)
        approval = actions.add_parser("approval", help="prefectoral approvals (agréments)")
        approval.add_argument("verb", choices=["add", "suspend", "reinstate", "withdraw"])
        approval.add_argument("target", help="USER for add, else the approval's number (ID)")
        approval.add_argument("--number")
        approval.add_argument("--departement")
        approval.add_argument("--granted", type=parse_date, metavar="DATE")
        approval.add_argument("--expires", type=parse_date, metavar="DATE")
        delegate = actions.add_parser("delegate", help="a member delegates viewing to operators")
        delegate.add_argument("--member", required=True, metavar="SLUG")
        delegate.add_argument("--days", type=parse_days, default=[1, 2, 3, 4, 5, 6, 7])
        delegate.add_argument("--from", dest="start", type=parse_time, metavar="HH:MM")
        delegate.add_argument("--until", dest="end", type=parse_time, metavar="HH:MM")
        for flag in ("--no-live", "--no-playback", "--no-export"):
            delegate.add_argument(flag, action="store_true")
        undelegate = actions.add_parser("undelegate", help="remove a delegation")
        undelegate.add_argument("id", type=int)
        listing = actions.add_parser("list", help="designations, approvals and delegations")
        listing.add_argument("--user")
        listing.add_argument("--member", metavar="SLUG")
        listing.add_argument("--json", action="store_true")
        check = actions.add_parser("check", help="what a person may do on a camera right now")
        check.add_argument("user")
        check.add_argument("--member", required=True, metavar="SLUG")
        check.add_argument("--camera", required=True, metavar="NAME")
        actions.add_parser("remind", help="e-mail what expires within 4 months")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(options)

    def person(self, username: str) -> User:
        user = User.objects.restrict(actors.current(), "view").filter(username=username).first()
        if user is None:
            raise CommandError(f"unknown person {username!r}")
        return user

    def do_designate(self, options: dict[str, Any]) -> None:
        d = services.designate(
            self.member_by_slug(options["member"]),
            self.person(options["user"]),
            live=not options["no_live"],
            playback=not options["no_playback"],
            export=options["export"],
            valid_from=options["valid_from"],
            valid_until=options["valid_until"],
            reference=options["reference"],
        )
        self.stdout.write(f"designation {d.pk}: {d}")

    def do_withdraw(self, options: dict[str, Any]) -> None:
        d = Designation.objects.restrict(actors.current(), "view").filter(pk=options["id"]).first()
        if d is None:
            raise CommandError(f"unknown designation {options['id']}")
        services.withdraw_designation(d)
        self.stdout.write(f"designation {d.pk} withdrawn")

    def do_approval(self, options: dict[str, Any]) -> None:
        if options["verb"] == "add":
            missing = [k for k in ("number", "departement", "granted", "expires") if not options[k]]
            if missing:
                raise CommandError("approval add needs --" + ", --".join(missing))
            a = services.record_approval(
                self.person(options["target"]),
                options["number"],
                options["departement"],
                options["granted"],
                options["expires"],
            )
            self.stdout.write(f"approval {a.pk}: {a}")
            return
        found = Approval.objects.restrict(actors.current(), "view")
        target = options["target"]
        approval = found.filter(pk=int(target)).first() if target.isdigit() else None
        if approval is None:
            raise CommandError(f"unknown approval {options['target']!r}")
        verb = options["verb"]
        states = {
            "suspend": {"suspended": True},
            "reinstate": {"suspended": False},
            "withdraw": {"withdrawn": True},
        }
        services.set_approval_state(approval, **states[verb])
        self.stdout.write(f"approval {approval.pk}: {verb} done")

    def do_delegate(self, options: dict[str, Any]) -> None:
        d = services.delegate(
            self.member_by_slug(options["member"]),
            weekdays=options["days"],
            start=options["start"],
            end=options["end"] if options["end"] is not None else options["start"],
            live=not options["no_live"],
            playback=not options["no_playback"],
            export=not options["no_export"],
        )
        self.stdout.write(f"delegation {d.pk}: {d}")

    def do_undelegate(self, options: dict[str, Any]) -> None:
        found = OperatorDelegation.objects.restrict(actors.current(), "view")
        d = found.filter(pk=options["id"]).first()
        if d is None:
            raise CommandError(f"unknown delegation {options['id']}")
        core.delete(d)
        self.stdout.write(f"delegation {options['id']} removed")

    def do_list(self, options: dict[str, Any]) -> None:
        who = actors.current()
        designations = Designation.objects.restrict(who, "view").select_related("member", "user")
        approvals = Approval.objects.restrict(who, "view").select_related("user")
        delegations = OperatorDelegation.objects.restrict(who, "view").select_related("member")
        if options["user"]:
            designations = designations.filter(user__username=options["user"])
            approvals = approvals.filter(user__username=options["user"])
        if options["member"]:
            member = self.member_by_slug(options["member"])
            designations = designations.filter(member=member)
            delegations = delegations.filter(member=member)
        rows = [
            {
                "kind": "designation",
                "id": d.pk,
                "user": d.user.username,
                "member": d.member.slug,
                "live": d.view_live,
                "playback": d.view_playback,
                "export": d.export,
                "from": d.valid_from,
                "until": d.valid_until,
                "withdrawn": d.withdrawn,
            }
            for d in designations
        ]
        rows += [
            {
                "kind": "approval",
                "id": a.pk,
                "user": a.user.username,
                "number": a.number,
                "departement": a.departement,
                "from": a.granted_on,
                "until": a.expires_on,
                "suspended": a.suspended,
                "withdrawn": a.withdrawn,
            }
            for a in approvals
        ]
        rows += [
            {
                "kind": "delegation",
                "id": d.pk,
                "member": d.member.slug,
                "days": d.weekdays,
                "from": d.start_time.isoformat("minutes"),
                "until": d.end_time.isoformat("minutes"),
                "live": d.view_live,
                "playback": d.view_playback,
                "export": d.export,
            }
            for d in delegations
        ]
        if options["json"]:
            self.emit_json(rows)
            return
        for row in rows:
            rest = " ".join(f"{k}={v}" for k, v in row.items() if k not in ("kind", "id"))
            self.stdout.write(f"{row['kind']:<11} {row['id']:>5} {rest}")

    def do_check(self, options: dict[str, Any]) -> None:
        user = self.person(options["user"])
        member = self.member_by_slug(options["member"])
        camera = Camera.objects.unrestricted().filter(member=member, name=options["camera"]).first()
        if camera is None:
            raise CommandError(f"unknown camera {options['camera']!r} of {member.slug}")
        target = actors.person(user)
        for action in ("view", "view_live", "view_playback", "export"):
            allowed = Camera.objects.restrict(target, action).filter(pk=camera.pk).exists()
            self.stdout.write(f"{action:<14} {'yes' if allowed else 'no'}")

    def do_remind(self, options: dict[str, Any]) -> None:
        reminder = services.send_expiry_reminder()
        self.stdout.write(
            f"{len(reminder.approvals)} approval(s), {len(reminder.authorisations)} "
            f"authorisation(s) expiring; sent to {len(reminder.recipients)} administrator(s)"
        )
