"""Camera inventory import: Genetec status extracts, the native CSV, French Excel CSV.

Interface (used by the CLI, the web preview and the API):
- ``plan_import(data, member, who)`` parses and validates the whole file and matches each
  line to an existing camera of the member (by MAC, then IP; by name for lines with
  neither); it writes nothing. File-level problems (empty, binary, unknown header, too
  big) and line errors both end up in ``plan.errors``. It raises ``IsolationError`` (a
  ``PermissionDenied``) when ``who`` may not import cameras into ``member`` at all.
- ``apply_import(plan, member, who)`` writes the plan in one transaction, re-validating
  every line against the database as it is now, or writes nothing and raises
  ``ImportRefused`` if the plan or the re-validation has any error.

Imported cameras are never enabled here: a new camera starts disabled, an existing one
keeps its state. Nothing connects to the addresses read from the file. See
docs/import-format.md for the formats.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from vigie.audit.services import journal
from vigie.core import actors
from vigie.core import services as core
from vigie.core.models import IsolationError, require_actor
from vigie.inventory import import_formats, import_values
from vigie.inventory.import_formats import FileFormat, RowError
from vigie.inventory.models import Camera, RecorderNode, Site, StoragePool, TransportLink
from vigie.tenancy.models import Member

__all__ = [
    "ImportPlan",
    "ImportRefused",
    "ImportResult",
    "RowError",
    "RowPlan",
    "apply_import",
    "plan_import",
]

MatchedBy = Literal["mac", "ip", "name", ""]


class ImportRefused(ValueError):
    """The file has errors; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


@dataclass
class RowPlan:
    line: int
    action: Literal["create", "update", "unchanged"]
    values: dict[str, Any]  # camera field name -> cleaned value (references by name)
    camera_id: int | None = None  # the matched camera, for update/unchanged
    matched_by: MatchedBy = ""
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)


@dataclass
class ImportPlan:
    file_format: FileFormat
    encoding: str
    delimiter: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    member_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # field name -> column as written
    sites_to_create: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    sites_created: int = 0


# --------------------------------------------------------------------------- permissions


def _may(actor: actors.Actor, label: str, action: str, member: Member) -> bool:
    if actor.system:
        return True
    allowed = actor.grants().member_ids(label, action)
    return allowed is None or member.pk in allowed


def _check_may_import(actor: actors.Actor, member: Member) -> None:
    visible = Member.objects.restrict(actor, "view").filter(pk=member.pk).exists()
    may_write = _may(actor, "inventory.camera", "add", member) or _may(
        actor, "inventory.camera", "change", member
    )
    if not visible or not may_write:
        raise IsolationError(
            _("You may not import cameras into “%(member)s”.") % {"member": member}
        )


# --------------------------------------------------------------------------- what exists


@dataclass
class _Existing:
    """The member's cameras and the objects a line may name, as ``who`` sees them."""

    cameras: list[Camera]
    changeable: set[int]
    references: dict[str, dict[str, Any]]  # field -> name -> object
    may_add_site: bool
    may_add_camera: bool
    by_mac: dict[str, Camera] = field(default_factory=dict)
    by_ip: dict[str, list[Camera]] = field(default_factory=dict)
    by_name: dict[str, Camera] = field(default_factory=dict)
    by_id: dict[int, Camera] = field(default_factory=dict)

    @classmethod
    def load(cls, member: Member, actor: actors.Actor) -> _Existing:
        cameras = list(
            Camera.objects.restrict(actor, "view")
            .filter(member=member)
            .select_related("site", "transport_link", "recorder_node", "storage_pool")
        )
        changeable = set(
            Camera.objects.restrict(actor, "change")
            .filter(member=member)
            .values_list("pk", flat=True)
        )
        shared = Q(member=member) | Q(member__isnull=True)
        references: dict[str, dict[str, Any]] = {
            "site": _by_name(Site.objects.restrict(actor, "view").filter(member=member)),
            "transport_link": _by_name(
                TransportLink.objects.restrict(actor, "view").filter(member=member)
            ),
            "recorder_node": _by_name(RecorderNode.objects.restrict(actor, "view").filter(shared)),
            "storage_pool": _by_name(StoragePool.objects.restrict(actor, "view").filter(shared)),
        }
        existing = cls(
            cameras,
            changeable,
            references,
            may_add_site=_may(actor, "inventory.site", "add", member),
            may_add_camera=_may(actor, "inventory.camera", "add", member),
        )
        for camera in cameras:
            if camera.mac_address:
                existing.by_mac[camera.mac_address] = camera
            if camera.ip_address:
                existing.by_ip.setdefault(camera.ip_address, []).append(camera)
            existing.by_name[camera.name] = camera
            existing.by_id[camera.pk] = camera
        return existing


def _by_name(queryset: Any) -> dict[str, Any]:
    return {obj.name: obj for obj in queryset}


# --------------------------------------------------------------------------- planning


def plan_import(data: bytes, member: Member, who: Any) -> ImportPlan:
    """Parse, validate and match ``data`` for ``member``; write nothing."""
    with actors.acting_as(who):
        actor = require_actor()
        _check_may_import(actor, member)
        parsed = import_formats.parse(data)
        plan = ImportPlan(
            file_format=parsed.file_format,
            encoding=parsed.encoding,
            delimiter=parsed.delimiter,
            errors=list(parsed.errors),
            member_id=member.pk,
            headers=dict(parsed.headers),
        )
        if parsed.file_format == "unknown" or not parsed.rows:
            return plan
        existing = _Existing.load(member, actor)
        _Planner(plan, member, existing).run(parsed.rows)
        plan.errors.sort(key=lambda e: e.line)
    return plan


class _Planner:
    def __init__(self, plan: ImportPlan, member: Member, existing: _Existing) -> None:
        self.plan = plan
        self.member = member
        self.existing = existing
        self.first_line: dict[tuple[str, Any], int] = {}  # (field, value) -> first line
        self.claimed: dict[int, int] = {}  # camera id -> line that matched it

    def error(self, line: int, field_name: str, message: str) -> None:
        if field_name == "name" and self.plan.file_format == "genetec":
            field_name = "model"  # Genetec's "Modèle" column names the camera
        column = self.plan.headers.get(field_name, field_name)
        self.plan.errors.append(RowError(line, column, message))

    def run(self, rows: list[import_formats.RawRow]) -> None:
        for raw in rows:
            values, errors = import_values.clean_cells(raw.cells, self.plan.file_format)
            for name, message in errors.items():
                self.error(raw.line, name, message)
            duplicate = self._duplicates(raw.line, values)
            if errors or duplicate:
                continue
            if not self._references(raw.line, values):
                continue
            row = self._match(raw.line, values)
            if row is not None and self._validate(row):
                self.plan.rows.append(row)

    def _duplicates(self, line: int, values: dict[str, Any]) -> bool:
        found = False
        for name in ("mac_address", "ip_address", "name"):
            value = values.get(name)
            if value is None:
                continue
            first = self.first_line.setdefault((name, value), line)
            if first != line:
                self.error(line, name, _("Same value as line %(n)d.") % {"n": first})
                found = True
        return found

    def _references(self, line: int, values: dict[str, Any]) -> bool:
        ok = True
        for name in import_values.REFERENCE_MODELS:
            wanted = values.get(name)
            if wanted is None or wanted in self.existing.references[name]:
                continue
            if name == "site" and self.existing.may_add_site:
                if wanted not in self.plan.sites_to_create:
                    self.plan.sites_to_create.append(wanted)
                continue
            ok = False
            self.error(line, name, _("Unknown in this member: “%(v)s”.") % {"v": wanted[:60]})
        return ok

    def _find(self, values: dict[str, Any]) -> tuple[Camera | None, MatchedBy]:
        mac, ip = values.get("mac_address"), values.get("ip_address")
        if mac and mac in self.existing.by_mac:
            return self.existing.by_mac[mac], "mac"
        if ip and ip in self.existing.by_ip:
            candidates = self.existing.by_ip[ip]
            if len(candidates) > 1:
                names = ", ".join(sorted(c.name for c in candidates)[:5])
                raise ValidationError(
                    _("Several cameras of this member have this address (%(names)s).")
                    % {"names": names},
                    code="ip_address",
                )
            return candidates[0], "ip"
        if not mac and not ip and values.get("name") in self.existing.by_name:
            return self.existing.by_name[values["name"]], "name"
        return None, ""

    def _match(self, line: int, values: dict[str, Any]) -> RowPlan | None:
        try:
            camera, matched_by = self._find(values)
        except ValidationError as exc:
            self.error(line, "ip_address", " ".join(exc.messages))
            return None
        if camera is None:
            return self._new(line, values)
        if camera.pk in self.claimed:
            self.error(
                line,
                "",
                _("Same camera as line %(n)d (%(name)s).")
                % {"n": self.claimed[camera.pk], "name": camera.name},
            )
            return None
        self.claimed[camera.pk] = line
        if camera.pk not in self.existing.changeable:
            self.error(line, "", _("You may not change camera “%(n)s”.") % {"n": camera.name})
            return None
        changes = diff(camera, values)
        action: Literal["update", "unchanged"] = "update" if changes else "unchanged"
        return RowPlan(line, action, values, camera.pk, matched_by, changes)

    def _new(self, line: int, values: dict[str, Any]) -> RowPlan | None:
        if not self.existing.may_add_camera:
            self.error(line, "", _("You may not add cameras to this member."))
            return None
        return RowPlan(line, "create", values)

    def _validate(self, row: RowPlan) -> bool:
        """Run the model's own checks on the camera as it would be saved."""
        name = row.values.get("name")
        if name is not None:
            holder = self.existing.by_name.get(name)
            if holder is not None and holder.pk != row.camera_id:
                self.error(
                    row.line,
                    "name",
                    _("Camera “%(n)s” already exists with another MAC/IP address.") % {"n": name},
                )
                return False
        if row.action == "unchanged":
            return True
        camera = self._instance(row)
        resolved = resolve(row.values, self.existing.references)
        pending_site = "site" in row.values and resolved.get("site") is None
        assign(camera, resolved)
        try:
            camera.full_clean(
                exclude=["site"] if pending_site else None,
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.error(row.line, "" if name == "__all__" else name, " ".join(messages))
            return False
        return True

    def _instance(self, row: RowPlan) -> Camera:
        if row.camera_id is None:
            return Camera(member=self.member, enabled=False)
        return copy.copy(self.existing.by_id[row.camera_id])


# --------------------------------------------------------------------------- values


def _current(camera: Camera, name: str) -> Any:
    if name in import_values.REFERENCE_MODELS:
        target = getattr(camera, name)
        return None if target is None else target.name
    return getattr(camera, name)


def diff(camera: Camera, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value in the file differs from the camera's (old, new)."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        old = _current(camera, name)
        if name == "purposes":
            same = sorted(old or []) == sorted(new)
        elif name in ("latitude", "longitude"):
            same = old is not None and new.compare(old) == 0
        else:
            same = old == new
        if not same:
            changes[name] = (old, new)
    return changes


def resolve(values: dict[str, Any], references: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Replace names of sites, links, nodes and pools by the objects (None: to create)."""
    out = dict(values)
    for name in import_values.REFERENCE_MODELS:
        if name in values:
            out[name] = references[name].get(values[name])
    return out


def assign(camera: Camera, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(camera, name, value)


# --------------------------------------------------------------------------- applying


def apply_import(plan: ImportPlan, member: Member, who: Any) -> ImportResult:
    """Write ``plan`` in one transaction as ``who``, or nothing (ImportRefused)."""
    if not plan.ok:
        raise ImportRefused(plan.errors)
    if plan.member_id is not None and plan.member_id != member.pk:
        raise ImportRefused([RowError(0, "", _("This plan was made for another member."))])
    with actors.acting_as(who):
        actor = require_actor()
        _check_may_import(actor, member)
        with transaction.atomic():
            return _Writer(plan, member, actor).run()


class _Writer:
    def __init__(self, plan: ImportPlan, member: Member, actor: actors.Actor) -> None:
        self.plan = plan
        self.member = member
        self.actor = actor
        self.errors: list[RowError] = []
        self.counts = {"create": 0, "update": 0, "unchanged": 0}

    def run(self) -> ImportResult:
        existing = _Existing.load(self.member, self.actor)
        sites_created = self._create_sites(existing)
        # Re-read the matched cameras as they are now, through the actor's reach: the
        # plan may be stale (a preview left open while someone edited a camera).
        ids = [r.camera_id for r in self.plan.rows if r.camera_id is not None]
        current = {
            c.pk: c
            for c in Camera.objects.restrict(self.actor, "change")
            .filter(member=self.member, pk__in=ids)
            .select_related("site", "transport_link", "recorder_node", "storage_pool")
        }
        for row in self.plan.rows:
            self._write(row, existing, current)
        if self.errors:
            raise ImportRefused(self.errors)  # leaves the atomic block: all rolled back
        journal(
            "inventory.camera.import",
            objects=[self.member],
            member_id=self.member.pk,
            details={
                "format": self.plan.file_format,
                "encoding": self.plan.encoding,
                "lines": len(self.plan.rows),
                "created": self.counts["create"],
                "updated": self.counts["update"],
                "unchanged": self.counts["unchanged"],
                "sites_created": sites_created,
            },
        )
        return ImportResult(
            self.counts["create"], self.counts["update"], self.counts["unchanged"], sites_created
        )

    def _create_sites(self, existing: _Existing) -> int:
        created = 0
        for name in self.plan.sites_to_create:
            if name in existing.references["site"]:
                continue
            site = Site(member=self.member, name=name)
            try:
                core.save(site)
            except (ValidationError, PermissionDenied, IntegrityError) as exc:
                line = next((r.line for r in self.plan.rows if r.values.get("site") == name), 0)
                self.errors.append(
                    RowError(line, self.plan.headers.get("site", "site"), _message(exc))
                )
                continue
            existing.references["site"][name] = site
            created += 1
        return created

    def _write(self, row: RowPlan, existing: _Existing, current: dict[int, Camera]) -> None:
        if row.camera_id is None:
            camera = Camera(member=self.member, enabled=False)
        else:
            found = current.get(row.camera_id)
            if found is None:
                self.errors.append(
                    RowError(
                        row.line,
                        "",
                        _("The camera has gone or is out of your reach since the preview."),
                    )
                )
                return
            camera = found
            if not diff(camera, row.values):
                self.counts["unchanged"] += 1
                return
        assign(camera, resolve(row.values, existing.references))
        try:
            with transaction.atomic():
                core.save(camera)
        except (ValidationError, PermissionDenied, IntegrityError) as exc:
            self.errors.append(RowError(row.line, "", _message(exc)))
            return
        self.counts["create" if row.camera_id is None else "update"] += 1


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(
                f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                for k, v in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    if isinstance(exc, IntegrityError):
        return _("Conflicts with an existing camera (same name or MAC address).")
    return str(exc) or _("Outside your reach.")
