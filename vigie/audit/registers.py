"""The registers a commission départementale or the CNIL asks to see (rule 5 of the brief).

Per member and period:

- **recordings**: the member's cameras, their prefectoral authorisations and retention,
  and the footage destroyed (by the retention loop, by disk pressure or by a person),
  with dates (``recording.DestructionRecord``);
- **holds**: legal holds placed or released, in force during the period;
- **deliveries**: what was handed to the courts (``evidence.Delivery``: date, officer,
  medium reference, package hash), when the evidence app provides it;

and the **journal**, filtered by person, camera, action, member and period.

Builders here return plain values (``Register``, ``Table``); the views turn them into a
page, a CSV and a PDF, the API into JSON. Who may see a register is the grant ``view``
on the pseudo-object ``audit.register`` (members), and each part of it is read through
its own model's restriction: a part the person may not view says so, never shows less
silently. The journal needs ``view`` on ``audit.journalentry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.audit.models import JournalEntry
from vigie.core import actors
from vigie.inventory.models import Authorisation, Camera
from vigie.recording.models import DestructionRecord, LegalHold, MemberRecordingPolicy
from vigie.tenancy.models import Member

REGISTER_LABEL = "audit.register"
JOURNAL_LABEL = "audit.journalentry"
KINDS = ("recordings", "holds", "deliveries")
KIND_TITLES = {
    "recordings": gettext_lazy("Register of recordings"),
    "holds": gettext_lazy("Register of legal holds"),
    "deliveries": gettext_lazy("Register of deliveries to the courts"),
}
# A PDF of the journal is a printed document: beyond this, narrow the filters or use CSV.
JOURNAL_PDF_MAX_ROWS = 2000
# The API and the page read the journal a page at a time, newest first (keyset on id).
JOURNAL_MAX_PAGE = 500


# ---------------------------------------------------------------- who may see what


def members_granted(who: Any, label: str, action: str = "view") -> frozenset[int] | None:
    """Members where ``who`` holds ``action`` on ``label`` (None: every member)."""
    actor = actors.as_actor(who)
    if actor is None:
        return frozenset()
    if actor.system:
        return None
    return actor.grants().member_ids(label, action)


def may_see_registers(who: Any) -> bool:
    granted = members_granted(who, REGISTER_LABEL)
    return granted is None or bool(granted)


def may_see_journal(who: Any) -> bool:
    granted = members_granted(who, JOURNAL_LABEL)
    return granted is None or bool(granted)


def register_members(who: Any) -> QuerySet[Member]:
    """The members whose registers ``who`` may read."""
    granted = members_granted(who, REGISTER_LABEL)
    members = Member.objects.unrestricted().order_by("name")
    return members if granted is None else members.filter(pk__in=granted)


def member_for_register(who: Any, slug: str) -> Member:
    """The member named ``slug`` if ``who`` may read its registers; else 404 (an
    unknown member and another town's look the same)."""
    member = register_members(who).filter(slug=slug).first()
    if member is None:
        raise Http404(_("No register of this member for you."))
    return member


def _granted_on(who: Any, model: type[models.Model], member: Member) -> bool:
    granted = members_granted(who, model._meta.label_lower)
    return granted is None or member.pk in granted


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Period:
    """Whole days, both included, in the server's zone (Europe/Paris)."""

    start: date
    end: date

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(start=today - timedelta(days=365), end=today)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass
class Table:
    """One table of a register: column keys and labels, rows of plain values by key."""

    key: str
    title: Any
    columns: Sequence[tuple[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Said instead of the rows when this part cannot be shown (no grant, no data source).
    unavailable: str = ""

    def headers(self) -> list[str]:
        return [str(label) for _key, label in self.columns]

    def values(self, row: dict[str, Any]) -> list[Any]:
        return [row.get(key) for key, _label in self.columns]


@dataclass
class Register:
    kind: str
    title: Any
    member: Member
    period: Period
    tables: list[Table]
    # The one rectangular table the CSV carries.
    csv_table: Table

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "member": self.member.slug,
            "member_name": self.member.name,
            **self.period.as_dict(),
            "tables": {
                t.key: {"available": not t.unavailable, "message": t.unavailable, "rows": t.rows}
                for t in self.tables
            },
        }


def _not_granted(table: Table) -> Table:
    table.unavailable = _("Your roles do not let you see this part of the register.")
    return table


# ---------------------------------------------------------------- recordings


CAMERA_COLUMNS = (
    ("camera", gettext_lazy("Camera")),
    ("site", gettext_lazy("Site")),
    ("enabled", gettext_lazy("Enabled")),
    ("retention_days", gettext_lazy("Retention (days)")),
    ("authorisation", gettext_lazy("Authorisation")),
    ("authorisation_issued_on", gettext_lazy("Authorised on")),
    ("authorisation_expires_on", gettext_lazy("Authorisation expires on")),
)
DESTRUCTION_COLUMNS = (
    ("destroyed_at", gettext_lazy("Destroyed at")),
    ("camera", gettext_lazy("Camera")),
    ("footage_from", gettext_lazy("Footage from")),
    ("footage_until", gettext_lazy("Footage until")),
    ("segments", gettext_lazy("Segments")),
    ("bytes", gettext_lazy("Bytes")),
    ("cause", gettext_lazy("Cause")),
)


def _authorisations_by_camera(cameras: list[Camera], period: Period) -> dict[int, list[Any]]:
    """Each camera's authorisations in force at some time in the period, newest first."""
    through = Authorisation.cameras.through.objects.filter(
        camera_id__in=[c.pk for c in cameras],
        authorisation__issued_on__lte=period.end,
        authorisation__expires_on__gte=period.start,
        authorisation__revoked=False,
    ).order_by("-authorisation__expires_on")
    found: dict[int, list[Any]] = {}
    for camera_id, number, issued, expires in through.values_list(
        "camera_id",
        "authorisation__number",
        "authorisation__issued_on",
        "authorisation__expires_on",
    ):
        found.setdefault(camera_id, []).append((number, issued, expires))
    return found


def _camera_rows(who: Any, member: Member, period: Period) -> Table:
    table = Table("cameras", gettext_lazy("Cameras, authorisations and retention"), CAMERA_COLUMNS)
    if not _granted_on(who, Camera, member):
        return _not_granted(table)
    cameras = list(
        Camera.objects.restrict(who, "view")
        .filter(member=member)
        .select_related("site")
        .order_by("name", "pk")
    )
    auths = _authorisations_by_camera(cameras, period)
    for camera in cameras:
        numbers = auths.get(camera.pk, [])
        table.rows.append(
            {
                "camera": camera.name,
                "site": camera.site.name if camera.site else "",
                "enabled": camera.enabled,
                "retention_days": camera.retention_days,
                "authorisation": ", ".join(n for n, _i, _e in numbers),
                "authorisation_issued_on": numbers[0][1] if numbers else None,
                "authorisation_expires_on": numbers[0][2] if numbers else None,
            }
        )
    return table


def _destruction_rows(who: Any, member: Member, period: Period) -> Table:
    table = Table("destructions", gettext_lazy("Footage destroyed"), DESTRUCTION_COLUMNS)
    if not _granted_on(who, DestructionRecord, member):
        return _not_granted(table)
    records = (
        DestructionRecord.objects.restrict(who, "view")
        .filter(member=member, destroyed_at__gte=period.since, destroyed_at__lt=period.until)
        .order_by("destroyed_at", "pk")
    )
    for record in records:
        table.rows.append(
            {
                "destroyed_at": record.destroyed_at,
                "camera": record.camera_name,
                "footage_from": record.period_start,
                "footage_until": record.period_end,
                "segments": record.segment_count,
                "bytes": record.bytes,
                "cause": str(record.get_cause_display()),
            }
        )
    return table


def _recordings_csv(cameras: Table, destructions: Table) -> Table:
    """One rectangular table: each destruction with its camera's retention and
    authorisation, then the cameras that had none in the period."""
    columns = (*CAMERA_COLUMNS, *(c for c in DESTRUCTION_COLUMNS if c[0] != "camera"))
    table = Table("recordings", KIND_TITLES["recordings"], columns)
    by_name = {row["camera"]: row for row in cameras.rows}
    seen: set[str] = set()
    for row in destructions.rows:
        seen.add(row["camera"])
        table.rows.append({**by_name.get(row["camera"], {"camera": row["camera"]}), **row})
    table.rows.extend(row for row in cameras.rows if row["camera"] not in seen)
    return table


def recordings_register(who: Any, member: Member, period: Period) -> Register:
    cameras = _camera_rows(who, member, period)
    destructions = _destruction_rows(who, member, period)
    policy = Table(
        "policy",
        gettext_lazy("Recording policy"),
        (("min_days_kept", gettext_lazy("Minimum days kept on a full disk")),),
    )
    if _granted_on(who, MemberRecordingPolicy, member):
        found = MemberRecordingPolicy.objects.restrict(who, "view").filter(member=member).first()
        policy.rows.append({"min_days_kept": found.min_days_kept if found else 0})
    else:
        _not_granted(policy)
    return Register(
        kind="recordings",
        title=KIND_TITLES["recordings"],
        member=member,
        period=period,
        tables=[cameras, policy, destructions],
        csv_table=_recordings_csv(cameras, destructions),
    )


# ---------------------------------------------------------------- holds


HOLD_COLUMNS = (
    ("reference", gettext_lazy("Reference")),
    ("cameras", gettext_lazy("Cameras")),
    ("footage_from", gettext_lazy("Footage from")),
    ("footage_until", gettext_lazy("Footage until")),
    ("reason", gettext_lazy("Reason")),
    ("placed_by", gettext_lazy("Placed by")),
    ("placed_at", gettext_lazy("Placed at")),
    ("released_by", gettext_lazy("Released by")),
    ("released_at", gettext_lazy("Released at")),
    ("release_reason", gettext_lazy("Release reason")),
)


def _username(user: Any) -> str:
    return user.get_username() if user is not None else _("system")


def holds_register(who: Any, member: Member, period: Period) -> Register:
    """Holds in force at some time in the period: placed before its end and not
    released before its start."""
    table = Table("holds", KIND_TITLES["holds"], HOLD_COLUMNS)
    if not _granted_on(who, LegalHold, member):
        _not_granted(table)
    else:
        holds = (
            LegalHold.objects.restrict(who, "view")
            .filter(member=member, placed_at__lt=period.until)
            .filter(Q(released_at__isnull=True) | Q(released_at__gte=period.since))
            .select_related("placed_by", "released_by")
            .prefetch_related("cameras")
            .order_by("placed_at", "pk")
        )
        for hold in holds:
            table.rows.append(
                {
                    "reference": hold.reference,
                    "cameras": ", ".join(sorted(c.name for c in hold.cameras.all())),
                    "footage_from": hold.start,
                    "footage_until": hold.end,
                    "reason": hold.reason,
                    "placed_by": _username(hold.placed_by),
                    "placed_at": hold.placed_at,
                    "released_by": _username(hold.released_by) if hold.released_at else "",
                    "released_at": hold.released_at,
                    "release_reason": hold.release_reason,
                }
            )
    return Register("holds", KIND_TITLES["holds"], member, period, [table], table)


# ---------------------------------------------------------------- deliveries


DELIVERY_COLUMNS = (
    ("delivered_at", gettext_lazy("Delivered at")),
    ("procedure", gettext_lazy("Procedure number")),
    ("service", gettext_lazy("Service")),
    ("requesting_officer", gettext_lazy("Requesting officer")),
    ("officer_name", gettext_lazy("Received by")),
    ("medium_reference", gettext_lazy("Medium reference")),
    ("package_sha256", gettext_lazy("Package SHA-256")),
)


def delivery_model() -> type[models.Model] | None:
    """``evidence.Delivery`` once the evidence app has it, else None."""
    try:
        return apps.get_model("evidence", "Delivery")
    except LookupError:
        return None


def _delivery_row(delivery: Any) -> dict[str, Any]:
    requisition = delivery.requisition
    service = getattr(requisition, "get_service_display", None)
    return {
        "delivered_at": delivery.delivered_at,
        "procedure": requisition.procedure_number,
        "service": str(service()) if callable(service) else "",
        "requesting_officer": requisition.officer_name,
        "officer_name": delivery.officer_name,
        "medium_reference": delivery.medium_reference,
        "package_sha256": delivery.package_sha256,
    }


def deliveries_register(who: Any, member: Member, period: Period) -> Register:
    table = Table("deliveries", KIND_TITLES["deliveries"], DELIVERY_COLUMNS)
    model = delivery_model()
    if model is None:
        table.unavailable = _("Not available: the deliveries to the courts are not recorded yet.")
    elif not _granted_on(who, model, member):
        _not_granted(table)
    else:
        path = getattr(model, "member_path", "member")
        deliveries = (
            model.objects.restrict(who, "view")  # type: ignore[attr-defined]
            .filter(**{path: member.pk})
            .filter(delivered_at__gte=period.since, delivered_at__lt=period.until)
            .select_related("requisition")
            .order_by("delivered_at", "pk")
        )
        table.rows.extend(_delivery_row(d) for d in deliveries)
    return Register("deliveries", KIND_TITLES["deliveries"], member, period, [table], table)


BUILDERS: dict[str, Callable[[Any, Member, Period], Register]] = {
    "recordings": recordings_register,
    "holds": holds_register,
    "deliveries": deliveries_register,
}


def build_register(who: Any, kind: str, member: Member, period: Period) -> Register:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise Http404(_("No such register."))
    return builder(who, member, period)


# ---------------------------------------------------------------- the journal


JOURNAL_COLUMNS = (
    ("id", gettext_lazy("No.")),
    ("at", gettext_lazy("Date and time")),
    ("actor", gettext_lazy("Actor")),
    ("member", gettext_lazy("Member")),
    ("action", gettext_lazy("Action")),
    ("object", gettext_lazy("Object")),
    ("reason", gettext_lazy("Reason")),
    ("source_address", gettext_lazy("Source address")),
    ("hash", gettext_lazy("Hash")),
)


@dataclass(frozen=True)
class JournalQuery:
    """What the journal register is filtered on; ``members`` None: every member."""

    members: tuple[int, ...] | None = None
    actor: str = ""
    camera: int | None = None
    action: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def as_dict(self, member_slugs: dict[int, str] | None = None) -> dict[str, Any]:
        slugs = member_slugs or {}
        return {
            "members": None
            if self.members is None
            else [slugs.get(m, str(m)) for m in self.members],
            "actor": self.actor or None,
            "camera": self.camera,
            "action": self.action or None,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


def journal_entries(who: Any, query: JournalQuery) -> QuerySet[JournalEntry]:
    """The entries ``who`` may read that match ``query``, newest first (not evaluated).

    A member-scoped reader sees only entries of their members; entries of no member
    (the centre's own: people, infrastructure) only an every-member reader sees.
    """
    granted = members_granted(who, JOURNAL_LABEL)
    qs = JournalEntry.objects.all()
    if granted is not None:
        qs = qs.filter(member_id__in=sorted(granted))
    if query.members is not None:
        qs = qs.filter(member_id__in=list(query.members))
    if query.actor:
        qs = qs.filter(actor_name=query.actor)
    if query.action:
        qs = qs.filter(Q(action=query.action) | Q(action__startswith=f"{query.action}."))
    if query.camera is not None:
        # The entries about the camera itself (live, playback, changes) and those that
        # name it in their details (holds, destructions).
        qs = qs.filter(
            Q(object_type="inventory.camera", object_ids__icontains=f'"{query.camera}"')
            | Q(details__camera=query.camera)
            | Q(details__cameras__regex=rf"[\[,]\s*{int(query.camera)}\s*[,\]]")
        )
    if query.start is not None:
        qs = qs.filter(at__gte=query.start)
    if query.end is not None:
        qs = qs.filter(at__lt=query.end)
    return qs.order_by("-id")


@dataclass
class JournalPage:
    entries: list[JournalEntry]
    # Entries older than the last one shown exist: ``before`` for the next page.
    next_before: int | None


def journal_page(qs: QuerySet[JournalEntry], before: int | None, size: int) -> JournalPage:
    """One page of ``qs`` (newest first) below id ``before``: a keyset read of
    ``size + 1`` rows, whatever the journal's length; no count of the whole."""
    size = max(1, min(size, JOURNAL_MAX_PAGE))
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return JournalPage(rows, rows[-1].pk if more and rows else None)


def member_names(ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    members = Member.objects.unrestricted().filter(pk__in=wanted)
    return dict(members.values_list("pk", "name"))


def journal_row(entry: JournalEntry, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at,
        "actor": entry.actor_name,
        "member": names.get(entry.member_id, "") if entry.member_id else "",
        "action": entry.action,
        "object": entry.object_repr,
        "reason": entry.reason,
        "source_address": entry.source_address,
        "hash": entry.hash,
    }


def journal_rows(entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
    names = member_names({e.member_id for e in entries})
    return [journal_row(e, names) for e in entries]


def iter_journal_rows(qs: QuerySet[JournalEntry]) -> Iterator[dict[str, Any]]:
    """Every row of ``qs`` in constant memory: keyset chunks, member names cached."""
    names: dict[int, str] = {}
    before: int | None = None
    while True:
        page = journal_page(qs, before, JOURNAL_MAX_PAGE)
        missing = {e.member_id for e in page.entries if e.member_id and e.member_id not in names}
        names.update(member_names(set(missing)))
        for entry in page.entries:
            yield journal_row(entry, names)
        if page.next_before is None:
            return
        before = page.next_before
