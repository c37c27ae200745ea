"""``vigie member add|list``: the syndicate's member towns, EPCI and départements."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from vigie.core import actors
from vigie.core.management.base import VigieCommand
from vigie.tenancy import services
from vigie.tenancy.api.serializers import MemberSerializer
from vigie.tenancy.models import Member, MemberKind, Syndicate

# --services names -> Member fields.
SERVICES = {
    "recording": "subscribes_recording",
    "supervision": "subscribes_supervision",
    "analytics": "subscribes_analytics",
    "servicedesk": "subscribes_servicedesk",
    "service-desk": "subscribes_servicedesk",
    "vigik": "subscribes_vigik",
}
DEFAULT_SYNDICATE = ("syndicat", "Syndicat")


def parse_services(raw: str) -> dict[str, bool]:
    chosen = [s.strip().lower() for s in raw.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        known = ", ".join(k for k in SERVICES if k != "service-desk")
        raise CommandError(f"unknown service(s) {', '.join(unknown)}; known: {known}")
    flags = dict.fromkeys(SERVICES.values(), False)
    flags.update({SERVICES[s]: True for s in chosen})
    return flags


class Command(VigieCommand):
    help = "Add or list the syndicate's members."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{add,list}")
        add = actions.add_parser("add", help="add a member")
        add.add_argument("slug", help="short name used in URLs and commands, e.g. antony")
        add.add_argument("--name", required=True, help="e.g. “Ville d'Antony”")
        add.add_argument("--kind", choices=MemberKind.values, default=MemberKind.TOWN)
        add.add_argument("--insee", default="", help="INSEE code (5 characters for a town)")
        add.add_argument("--population", type=int)
        add.add_argument("--departement", default="", help="département code, e.g. 92")
        add.add_argument(
            "--services",
            help="comma-separated: recording,supervision,analytics,servicedesk,vigik "
            "(default: recording only)",
        )
        add.add_argument(
            "--syndicate",
            help="slug of the syndicate (default: the only one; created if there is none)",
        )
        listing = actions.add_parser("list", help="list the members you may see")
        listing.add_argument("--json", action="store_true", help="JSON, with the API's fields")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self.add(options)
        else:
            self.list(options)

    def add(self, options: dict[str, Any]) -> None:
        if Member.objects.unrestricted().filter(slug=options["slug"]).exists():
            raise CommandError(f"a member with the slug {options['slug']!r} exists already")
        member = Member(
            syndicate=self.syndicate(options.get("syndicate")),
            slug=options["slug"],
            name=options["name"],
            kind=options["kind"],
            insee_code=options["insee"],
            departement=options["departement"],
            population=options.get("population"),
        )
        if options.get("services") is not None:
            for name, value in parse_services(options["services"]).items():
                setattr(member, name, value)
        services.save_member(member)
        self.stdout.write(f"member {member.slug} added: {member.name}")

    def syndicate(self, slug: str | None) -> Syndicate:
        if slug:
            found = Syndicate.objects.filter(slug=slug).first()
            if found is not None:
                return found
            if Syndicate.objects.exists():
                raise CommandError(f"unknown syndicate {slug!r}")
            return services.get_or_create_syndicate(slug, slug)
        syndicates = list(Syndicate.objects.all()[:2])
        if len(syndicates) == 1:
            return syndicates[0]
        if syndicates:
            raise CommandError("several syndicates exist: give --syndicate SLUG")
        syndicate = services.get_or_create_syndicate(DEFAULT_SYNDICATE[1], DEFAULT_SYNDICATE[0])
        self.stderr.write(f"created the syndicate {syndicate.slug!r}")
        return syndicate

    def list(self, options: dict[str, Any]) -> None:
        members = Member.objects.restrict(actors.current(), "view").select_related("syndicate")
        if options["json"]:
            self.emit_json(MemberSerializer(members, many=True).data)
            return
        self.emit_table(
            members,
            [
                ("SLUG", lambda m: m.slug),
                ("NAME", lambda m: m.name),
                ("KIND", lambda m: m.kind),
                ("INSEE", lambda m: m.insee_code),
                ("POPULATION", lambda m: m.population),
                (
                    "SERVICES",
                    lambda m: [
                        k for k, f in SERVICES.items() if k != "service-desk" and getattr(m, f)
                    ],
                ),
            ],
        )
