"""Requests from filmed persons (GDPR art. 12, 15, 17, 21; CSI L253-5), tracked to their answer.

The life of a request::

    received → searching → found → answered → closed
                         ↘ not_found ↗
    received | searching | found → refused (with its legal ground) → closed

- The answer is due **one month** after receipt; the controller may extend it by **two
  more months** with a reason (GDPR art. 12(3)), told to the person within the first
  month: an extension is refused once the first deadline has passed.
- When the footage is found, a legal hold (``vigie.recording.holds.place_hold``) keeps
  it from retention while the request is open; closing the request releases it.
- When nothing is found, the request says when the footage was destroyed (from the
  destruction register) or, if nothing was ever recorded there, when it would have
  been (end of the window plus the cameras' retention).
- ``extra_polygons`` hide other people in the copy shown to the requester, on top of
  the cameras' own privacy masks.

Every change is journaled by the model (``audit.subjectrequest.create`` / ``.update``
with the changed fields) and each status change once more with its own action
(``audit.subjectrequest.<status>``).
"""

from __future__ import annotations

import calendar
import hashlib
import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.models import SubjectRequest, SubjectRequestStatus
from vigie.audit.services import journal
from vigie.core import actors
from vigie.core import services as core_services
from vigie.core.models import require_actor
from vigie.inventory.models import Camera

S = SubjectRequestStatus

# What each status may become; "closed" is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.SEARCHING, S.REFUSED}),
    S.SEARCHING: frozenset({S.FOUND, S.NOT_FOUND, S.REFUSED}),
    S.FOUND: frozenset({S.ANSWERED, S.REFUSED}),
    S.NOT_FOUND: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset({S.CLOSED}),
    S.REFUSED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
# GDPR art. 12(3): one month, extendable by two further months.
ANSWER_MONTHS = 1
EXTENSION_MONTHS = 2
MAX_EXTRA_POLYGONS = 32


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day
    (31 January + 1 month = 28 or 29 February): how EU law counts periods in months
    (Regulation 1182/71, art. 3(2)(c))."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline_for(received_on: date, *, extended: bool = False) -> date:
    months = ANSWER_MONTHS + (EXTENSION_MONTHS if extended else 0)
    return add_months(received_on, months)


def allowed_transitions(request: SubjectRequest) -> list[str]:
    return [s for s in S.values if s in TRANSITIONS.get(request.status, frozenset())]


# ---------------------------------------------------------------- validation


def validate_extra_polygons(value: Any) -> list[list[list[float]]]:
    """None or [] (no extra mask), else polygons of ≥ 3 [x, y] points within 0..1."""
    if value in (None, ""):
        return []
    if isinstance(value, list) and not value:
        return []
    from vigie.recording.models import validate_polygons

    if isinstance(value, list) and len(value) > MAX_EXTRA_POLYGONS:
        raise ValidationError(
            _("At most %(n)d polygons per request.") % {"n": MAX_EXTRA_POLYGONS}, code="too_many"
        )
    return validate_polygons(value)


def clean_request(request: SubjectRequest) -> None:
    """The model's clean(): each error names its field."""
    errors: dict[str, Any] = {}
    try:
        request.extra_polygons = validate_extra_polygons(request.extra_polygons)
    except ValidationError as exc:
        errors["extra_polygons"] = exc.messages
    start, end = request.window_start, request.window_end
    if start is not None and end is not None and end <= start:
        errors["window_end"] = _("The end must follow the start.")
    if request.received_on is not None and request.received_on > timezone.localdate():
        errors["received_on"] = _("A request cannot be received in the future.")
    for name in ("requester_name", "requester_contact", "place"):
        if not (getattr(request, name) or "").strip():
            errors[name] = _("This field is required.")
    if request.status == S.REFUSED and not (request.refusal_ground or "").strip():
        errors["refusal_ground"] = _("A refusal states its legal ground.")
    if request.status == S.ANSWERED and not (request.answer or "").strip():
        errors["answer"] = _("Write the answer given.")
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- writes


def save_request(
    request: SubjectRequest, cameras: Iterable[Camera] | None = None
) -> SubjectRequest:
    """Create or change a request (and its cameras, all of its member); refused once closed."""
    require_actor()
    cameras = None if cameras is None else list(cameras)
    stored = None
    if request.pk is not None:
        stored = SubjectRequest.objects.unrestricted().filter(pk=request.pk).first()
    if stored is not None:
        _check_change(stored, request, cameras)
    m2m = None if cameras is None else {"cameras": cameras}
    return core_services.save(request, m2m=m2m)


def _check_change(stored: SubjectRequest, request: SubjectRequest, cameras: Any) -> None:
    """A closed request is final; a request keeps its member; once its footage is held,
    the window and cameras the hold covers stay as they are."""
    if stored.status == S.CLOSED:
        raise ValidationError(_("This request is closed: it can no longer be changed."))
    if request.member_id != stored.member_id:
        raise ValidationError({"member": _("A request stays with its member.")})
    if stored.hold_id is None:
        return
    before = set(
        Camera.objects.unrestricted().filter(subject_requests=stored).values_list("pk", flat=True)
    )
    moved = (request.window_start, request.window_end) != (stored.window_start, stored.window_end)
    if moved or (cameras is not None and {c.pk for c in cameras} != before):
        raise ValidationError(
            _("The footage found is held as asked: the window and cameras can no longer change.")
        )


def _job_party() -> actors.Actor:
    """The party that keeps the footage of an open request: the rule is the system's,
    not a power of whoever records the finding (a town viewer may not place holds)."""
    person = require_actor()
    party = actors.system("job:subject-request")
    party.request_id, party.source_address = person.request_id, person.source_address
    return party


def _place_hold(request: SubjectRequest) -> Any:
    from vigie.recording.holds import place_hold

    cameras = list(Camera.objects.unrestricted().filter(subject_requests=request))
    if not cameras:
        raise ValidationError({"cameras": _("Name the cameras whose footage was found.")})
    with actors.acting_as(_job_party()):
        return place_hold(
            request.member,
            cameras,
            request.window_start,
            request.window_end,
            reason=_("Footage kept while the request from a person %(ref)s is open.")
            % {"ref": request.reference},
            reference=request.reference,
        )


def _release_hold(request: SubjectRequest) -> None:
    from vigie.recording.holds import release_hold

    hold = request.hold
    if hold is None or hold.released_at is not None:
        return
    with actors.acting_as(_job_party()):
        release_hold(
            hold,
            _("Request from a person %(ref)s closed.") % {"ref": request.reference},
        )


def destroyed_on(request: SubjectRequest) -> datetime | None:
    """When the window's footage was destroyed (the destruction register), or else when
    it would have been (end of the window plus each camera's retention): the latest."""
    cameras = list(Camera.objects.unrestricted().filter(subject_requests=request))
    if not cameras:
        return None
    from vigie.recording.models import DestructionRecord

    recorded = (
        DestructionRecord.objects.unrestricted()
        .filter(camera__in=cameras)
        .filter(Q(period_start__lte=request.window_end) & Q(period_end__gte=request.window_start))
        .aggregate(at=Max("destroyed_at"))["at"]
    )
    if recorded is not None:
        return recorded
    return request.window_end + timedelta(days=max(c.retention_days for c in cameras))


def transition(
    request: SubjectRequest,
    to: str,
    *,
    text: str = "",
    ground: str = "",
    on: date | None = None,
) -> SubjectRequest:
    """Move a request to status ``to``: ``text`` is the answer (answered, refused),
    ``ground`` the refusal's legal ground, ``on`` the answer's date (default today)."""
    require_actor()
    if to not in TRANSITIONS.get(request.status, frozenset()):
        raise ValidationError(
            {
                "status": _("A request “%(from)s” cannot become “%(to)s”.")
                % {"from": S(request.status).label, "to": S(to).label if to in S.values else to}
            }
        )
    text, ground = (text or "").strip(), (ground or "").strip()
    before = request.status
    with transaction.atomic():
        if to == S.FOUND:
            request.hold = _place_hold(request)
        elif to == S.NOT_FOUND:
            request.footage_destroyed_on = destroyed_on(request)
        elif to in (S.ANSWERED, S.REFUSED):
            request.answer = text or request.answer
            request.answered_on = on or timezone.localdate()
            if to == S.REFUSED:
                request.refusal_ground = ground
        elif to == S.CLOSED:
            _release_hold(request)
            request.closed_at = timezone.now()
        request.status = to
        request.save()
        journal(
            f"audit.subjectrequest.{to}",
            objects=[request],
            member_id=request.member_id,
            reason=ground or text,
            details={
                "from": before,
                "to": to,
                "hold": request.hold_id,
                "footage_destroyed_on": request.footage_destroyed_on,
                "deadline": request.deadline,
                "late": request.is_late(),
            },
        )
    return request


def extend_deadline(
    request: SubjectRequest, reason: str, today: date | None = None
) -> SubjectRequest:
    """Two more months, once, told within the first month (GDPR art. 12(3))."""
    require_actor()
    reason = (reason or "").strip()
    today = today or timezone.localdate()
    if not reason:
        raise ValidationError({"extension_reason": _("Give the reason for the extension.")})
    if request.extended:
        raise ValidationError(_("The deadline was extended already."))
    if not request.open:
        raise ValidationError(_("This request has been answered: nothing to extend."))
    if today > deadline_for(request.received_on):
        raise ValidationError(
            _("Too late: an extension must be told to the person within the first month.")
        )
    request.extension_reason = reason
    request.save()
    return request


def set_extra_polygons(request: SubjectRequest, polygons: Any) -> SubjectRequest:
    request.extra_polygons = polygons
    return save_request(request)


# ---------------------------------------------------------------- the viewing copy

# A copy made within a web request: longer windows go through the command line.
VIEWING_COPY_WEB_MAX_SECONDS = 15 * 60


def _playback_camera(request: SubjectRequest, camera_id: int) -> Camera:
    """One of the request's cameras, if the acting person may play its footage back."""
    actor = require_actor()
    cameras = Camera.objects.unrestricted().filter(subject_requests=request)
    if not actor.system:
        playable = Camera.objects.restrict(actor, "view_playback").values("pk")
        cameras = cameras.filter(pk__in=playable)
    camera = cameras.select_related("storage_pool").filter(pk=camera_id).first()
    if camera is None:
        raise PermissionDenied(_("You may not play back this camera's footage."))
    return camera


def viewing_polygons(request: SubjectRequest, camera: Camera) -> Any:
    """The camera's own masks and the request's extra polygons: both are burned in."""
    from vigie.recording import masking

    extra = tuple(tuple((float(x), float(y)) for x, y in p) for p in request.extra_polygons or [])
    return masking.polygons_for(camera) + extra


def viewing_copy_path(request: SubjectRequest, camera: Camera) -> Path:
    """Where the masked copy of this camera's footage for this request lives; the name
    follows the polygons, so changing a mask makes a new copy rather than reusing one."""
    from vigie.recording import masking

    key = masking.mask_key(viewing_polygons(request, camera))
    folder = Path(settings.DATA_DIR) / "subject-requests" / str(request.pk)
    return folder / f"{request.reference}-camera-{camera.pk}-{key}.mp4"


def prepare_viewing_copy(
    request: SubjectRequest,
    camera_id: int,
    reason: str,
    *,
    max_seconds: float | None = None,
    progress: Any = None,
) -> Path:
    """Write the asked window of one camera as an MP4 with the camera's masks and the
    request's extra polygons burned in (other people hidden); journaled with the reason."""
    from vigie.recording import masking
    from vigie.recording.paths import segment_file
    from vigie.recording.playback import segments_between

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this extraction.")})
    if request.status not in (S.FOUND, S.ANSWERED):
        raise ValidationError(_("A viewing copy is made once the footage has been found."))
    camera = _playback_camera(request, camera_id)
    segments = segments_between(camera, request.window_start, request.window_end)
    if not segments:
        raise ValidationError(_("No recorded footage of this camera in the window asked."))
    begin = max(request.window_start, segments[0].start)
    seconds = (request.window_end - begin).total_seconds()
    if max_seconds is not None and seconds > max_seconds:
        raise ValidationError(
            _(
                "This window is too long to prepare here (%(minutes)d minutes at most): "
                "use `vigie subject-request copy`."
            )
            % {"minutes": max_seconds // 60}
        )
    polygons = viewing_polygons(request, camera)
    target = viewing_copy_path(request, camera)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(f".{target.stem}.part.mp4")
    masking.transcode_masked(
        [segment_file(s) for s in segments],
        partial,
        polygons,
        start_offset_s=(begin - segments[0].start).total_seconds(),
        duration_s=seconds,
        progress=progress,
    )
    os.chmod(partial, 0o600)  # a person's image: not for other local users
    os.replace(partial, target)
    journal(
        "audit.subjectrequest.viewing_copy",
        objects=[request],
        member_id=request.member_id,
        reason=reason,
        details={
            "camera": camera.pk,
            "camera_name": camera.name,
            "start": begin,
            "end": request.window_end,
            "segments": len(segments),
            "camera_polygons": len(polygons) - len(request.extra_polygons or []),
            "extra_polygons": len(request.extra_polygons or []),
            "file": target.name,
            "sha256": file_sha256(target),
        },
    )
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def viewing_copies(request: SubjectRequest) -> list[tuple[Camera, Path]]:
    """The copies made for this request that are current (masks unchanged)."""
    found = []
    for camera in Camera.objects.unrestricted().filter(subject_requests=request).order_by("name"):
        path = viewing_copy_path(request, camera)
        if path.is_file():
            found.append((camera, path))
    return found


def open_viewing_copy(request: SubjectRequest, camera_id: int, reason: str) -> Path:
    """The copy's file, for a person who may play the camera back; journaled."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for viewing this footage.")})
    camera = _playback_camera(request, camera_id)
    path = viewing_copy_path(request, camera)
    if not path.is_file():
        raise ValidationError(_("No viewing copy of this camera yet: prepare it first."))
    journal(
        "audit.subjectrequest.viewing_copy.download",
        objects=[request],
        member_id=request.member_id,
        reason=reason,
        details={"camera": camera.pk, "camera_name": camera.name, "file": path.name},
    )
    return path
