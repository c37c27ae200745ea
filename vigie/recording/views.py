"""Live view, playback, thumbnails and the recording page of a camera.

Every image endpoint finds its camera through ``Camera.objects.restrict(user, action)``
(``view_live`` or ``view_playback``): a camera out of reach does not exist (404),
whatever the URL guessed. Playback endpoints also need the reason token issued when
the person typed a reason (403 without a valid one). Image accesses are journaled
through ``vigie.audit.services.journal``. The logic lives in ``playback``/``tsindex``.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from vigie.audit.services import journal
from vigie.core.views import may, members_allowed
from vigie.inventory.models import Camera
from vigie.recording import masking, masks, masks_live, playback
from vigie.recording.forms import JumpForm, PlaybackReasonForm
from vigie.recording.models import CameraRecordingState, PrivacyMask, Segment

logger = logging.getLogger(__name__)
STREAM_CHUNK = 64 * 1024
RANGE_HEADER = re.compile(r"^bytes=(\d*)-(\d*)$")
HLS_TYPE = "application/vnd.apple.mpegurl"
TS_TYPE = "video/mp2t"
LIVE_SEEN_KEY = "vigie_live_seen"
_Response = TypeVar("_Response", bound=HttpResponseBase)


# --------------------------------------------------------------------------- helpers


def camera_for(request: HttpRequest, pk: int, action: str) -> Camera:
    """The camera if the person may do ``action`` on it; 403 anonymous, else 404."""
    if not request.user.is_authenticated:
        raise PermissionDenied(_("Log in to see images."))
    queryset = Camera.objects.restrict(request.user, action).select_related("storage_pool")
    return get_object_or_404(queryset, pk=pk)


def grant_for(request: HttpRequest, camera: Camera) -> playback.PlaybackGrant:
    grant = playback.read_token(request.GET.get("t"), request.user.pk, camera.pk)
    if grant is None:
        raise PermissionDenied(
            _("Playback needs a reason: give it on the camera's recording page.")
        )
    return grant


def lift_reason(request: HttpRequest, camera: Camera) -> str | None:
    """The reason of a mask lift this request carries (``?l=``), checked against the
    person's rights now; None without one. A lift asked without the right is a 403."""
    token = request.GET.get("l")
    if not token:
        return None
    reason = masks.read_lift_token(token, request.user.pk, camera.pk)
    if reason is None or not masks.may_lift(request.user, camera):
        raise PermissionDenied(_("You may not see this camera's masked areas."))
    return reason


def bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def no_store(response: _Response) -> _Response:
    # Images are personal data: no shared cache keeps them.
    response["Cache-Control"] = "private, no-store"
    return response


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single ``Range: bytes=`` request; None if unsatisfiable."""
    match = RANGE_HEADER.match(header.strip())
    if match is None or size == 0:
        return None
    first_raw, last_raw = match.groups()
    if not first_raw:
        if not last_raw or int(last_raw) == 0:
            return None
        return max(size - int(last_raw), 0), size - 1
    first = int(first_raw)
    last = int(last_raw) if last_raw else size - 1
    if first >= size or last < first:
        return None
    return first, min(last, size - 1)


def _read_span(path: Path, first: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as stream:
        stream.seek(first)
        left = length
        while left > 0:
            chunk = stream.read(min(STREAM_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


def file_response(request: HttpRequest, path: Path, content_type: str) -> HttpResponseBase:
    """Stream a file, or the one byte range asked (206), never reading it whole."""
    size = os.stat(path).st_size
    header = request.headers.get("Range", "").strip()
    first, last, status = 0, size - 1, 200
    # A header we do not understand (several ranges, other units) is ignored, as HTTP
    # allows: the whole file is sent.
    if RANGE_HEADER.match(header):
        span = parse_byte_range(header, size)
        if span is None:
            refusal = HttpResponse(status=416)
            refusal["Content-Range"] = f"bytes */{size}"
            return no_store(refusal)
        (first, last), status = span, 206
    length = max(last - first + 1, 0)
    body: Any = [] if request.method == "HEAD" else _read_span(path, first, length)
    response = StreamingHttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return no_store(response)


# --------------------------------------------------------------------------- live


class LivePlaylistView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = camera_for(request, pk, "view_live")
        if not camera.valid_authorisations().exists():
            raise PermissionDenied(_("Without a valid prefectoral authorisation, not shown."))
        path = playback.live_path(camera, playback.LIVE_PLAYLIST)
        if path is None:
            raise Http404(_("No live stream for this camera now."))
        polygons = masking.polygons_for(camera)
        text: str | None
        if polygons:
            # Never the recorder's window: the masked encoder's, started if needed.
            folder = masks_live.ensure_running(camera, polygons)
            text = masks_live.playlist_text(folder)
            if text is None:
                busy = HttpResponse(_("The masked live view is starting."), status=503)
                busy["Retry-After"] = "2"
                return no_store(busy)
        else:
            text = path.read_text()
        seen = dict(request.session.get(LIVE_SEEN_KEY, {}))
        if playback.live_session_starts(seen, camera.pk, time.time()):
            details = {"masked": True} if polygons else {}
            journal(
                "recording.live_start",
                objects=[camera],
                member_id=camera.member_id,
                details=details,
            )
        request.session[LIVE_SEEN_KEY] = seen
        response = HttpResponse(text, content_type=HLS_TYPE)
        return no_store(response)


class LivePartView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int, name: str) -> HttpResponseBase:
        camera = camera_for(request, pk, "view_live")
        path: Path | None
        if masking.polygons_for(camera):
            # A masked camera's parts come from its masked window only: a raw part's
            # name (seg-…) is simply not found.
            masks_live.touch(camera.pk)
            path = masks_live.part_path(camera.pk, name)
        else:
            path = playback.live_path(camera, name)
        if path is None or name == playback.LIVE_PLAYLIST:
            raise Http404(_("No such live part."))
        return file_response(request, path, TS_TYPE)


# --------------------------------------------------------------------------- playback


class PlaybackPlaylistView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = camera_for(request, pk, "view_playback")
        grant = grant_for(request, camera)
        try:
            start, end = playback.parse_range(
                request.GET.get("start"),
                request.GET.get("end"),
                playback.recorded_period(camera),
            )
        except playback.RangeError as exc:
            return bad_request(str(exc))
        token = request.GET["t"]
        lifted = lift_reason(request, camera)
        masked = lifted is None and bool(masking.polygons_for(camera))
        suffix = f"&l={request.GET['l']}" if lifted is not None else ""
        base = reverse("camera_segment", kwargs={"pk": camera.pk, "segment": 0})[: -len("0.ts")]

        def uri_for(segment_id: int) -> str:
            return f"{base}{segment_id}.ts?t={token}{suffix}"

        text, parts, _gaps = playback.playlist_for(
            camera, start, end, uri_for, whole_segments=masked
        )
        if lifted is not None:
            journal(
                "recording.mask_lifted",
                objects=[camera],
                member_id=camera.member_id,
                reason=lifted,
                details={
                    "start": playback.iso(start),
                    "end": playback.iso(end),
                    "playback_reason": grant.reason,
                    "grant": grant.nonce,
                },
            )
        journal(
            "recording.playback",
            objects=[camera],
            member_id=camera.member_id,
            reason=grant.reason,
            details={
                "start": playback.iso(start),
                "end": playback.iso(end),
                "segments": len({p.segment_id for p in parts}),
                "footage": bool(parts),
                "grant": grant.nonce,
                "masked": masked,
            },
        )
        response = HttpResponse(text, content_type=HLS_TYPE)
        response["X-Vigie-Footage"] = "yes" if parts else "none"
        return no_store(response)


class SegmentView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int, segment: int) -> HttpResponseBase:
        camera = camera_for(request, pk, "view_playback")
        grant_for(request, camera)
        # Through the camera just checked: a segment of another camera is not found.
        row = get_object_or_404(
            Segment.objects.unrestricted().select_related("storage_pool"),
            pk=segment,
            camera=camera,
        )
        path = playback.segment_file(row)
        if not path.is_file():
            raise Http404(_("This footage is no longer stored."))
        polygons = () if lift_reason(request, camera) else masking.polygons_for(camera)
        if polygons:
            if row.end is None:
                # Still being written: a masked copy now would be cut short (and cached).
                raise Http404(_("This footage is still being recorded."))
            try:
                path = masks.masked_segment(row, polygons)
            except MASKING_ERRORS as exc:
                return masking_unavailable(exc)
            following = (
                Segment.objects.unrestricted()
                .select_related("storage_pool")
                .filter(camera=camera, start__gt=row.start, end__isnull=False)
                .order_by("start")
                .first()
            )
            if following is not None and not request.headers.get("Range"):
                masks.prefetch(following, polygons)
        return file_response(request, path, TS_TYPE)


# What a masked rendition may fail with (a corrupt file, a full disk, a lock held too
# long): the answer is then a 503, never the raw footage.
MASKING_ERRORS = (OSError, ValueError, TimeoutError, RuntimeError)


def masking_unavailable(exc: Exception) -> HttpResponse:
    logger.error("masked rendition failed: %s", exc)
    response = HttpResponse(_("The masked footage cannot be made now."), status=503)
    response["Retry-After"] = "5"
    return no_store(response)


class ThumbnailView(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = camera_for(request, pk, "view_playback")
        grant = grant_for(request, camera)
        try:
            at = playback.parse_instant(request.GET.get("at"), _("instant"))
        except playback.RangeError as exc:
            return bad_request(str(exc))
        segment = playback.segment_at(camera, at)
        if segment is None or not playback.segment_file(segment).is_file():
            raise Http404(_("No footage at this instant."))
        polygons = () if lift_reason(request, camera) else masking.polygons_for(camera)
        if polygons:
            try:
                data = masks.masked_thumbnail(segment, at, polygons)
            except MASKING_ERRORS as exc:
                return masking_unavailable(exc)
        else:
            data = playback.thumbnail(segment, at)
        journal(
            "recording.thumbnail",
            objects=[camera],
            member_id=camera.member_id,
            reason=grant.reason,
            details={
                "at": playback.iso(at),
                "segment": segment.pk,
                "grant": grant.nonce,
                "masked": bool(polygons),
            },
        )
        return no_store(HttpResponse(data, content_type="image/jpeg"))


# --------------------------------------------------------------------------- the page

SVG_WIDTH = 1000
# Even a few seconds of footage in a day stays visible and clickable.
MIN_MARK = 4.0


def _x(instant: datetime, start: datetime, end: datetime) -> float:
    share = (instant - start) / (end - start)
    return round(min(max(share, 0.0), 1.0) * SVG_WIDTH, 2)


def _box(a: datetime, b: datetime, start: datetime, end: datetime) -> dict[str, str]:
    """x and width as strings: a localised "12,5" would be a list of positions in SVG."""
    x = _x(a, start, end)
    width = max(_x(b, start, end) - x, MIN_MARK)
    return {"x": f"{x:.2f}", "width": f"{width:.2f}"}


def _hhmm(instant: datetime) -> str:
    return timezone.localtime(instant).strftime("%H:%M")


def draw_timeline(data: dict[str, Any]) -> dict[str, Any]:
    """Geometry of the timeline drawing: spans, gaps and hour ticks in a 1000-wide box."""
    start, end = data["start"], data["end"]
    spans = [
        {
            **_box(a, b, start, end),
            "at": playback.iso(a),
            "label": _("Recorded %(start)s – %(end)s: play from %(start)s")
            % {"start": _hhmm(a), "end": _hhmm(b)},
        }
        for a, b in data["spans"]
    ]
    gaps = []
    for gap in data["gaps"]:
        b = min(gap.end or timezone.now(), end)
        a = max(gap.start, start)
        gaps.append(
            {
                **_box(a, b, start, end),
                "label": _("Gap %(start)s – %(end)s: %(cause)s")
                % {"start": _hhmm(a), "end": _hhmm(b), "cause": gap.label},
            }
        )
    ticks = []
    tick = start
    while tick <= end:
        ticks.append({"x": f"{_x(tick, start, end):.2f}", "label": _hhmm(tick)})
        tick += timedelta(hours=3)
    return {"width": SVG_WIDTH, "spans": spans, "gaps": gaps, "ticks": ticks}


def day_window(day: datetime) -> tuple[datetime, datetime]:
    """Local midnight to midnight around an instant (23 or 25 hours on DST days)."""
    local = timezone.localtime(day)
    start = timezone.make_aware(datetime(local.year, local.month, local.day))
    nxt = start + timedelta(days=1, hours=2)
    end = timezone.make_aware(datetime(nxt.year, nxt.month, nxt.day))
    return start, end


class RecordingPageView(LoginRequiredMixin, View):
    """The recording page of a camera: state, timeline, live and playback tabs."""

    template_name = "recording/camera_recording.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = get_object_or_404(Camera.objects.restrict(request.user, "view"), pk=pk)
        return self.page(request, camera, PlaybackReasonForm(initial={"at": None}))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = get_object_or_404(Camera.objects.restrict(request.user, "view"), pk=pk)
        if not may(request.user, Camera, "view_playback", camera):
            raise Http404
        form = PlaybackReasonForm(request.POST)
        if not form.is_valid():
            return self.page(request, camera, form, status=400)
        user_id: int = request.user.pk  # type: ignore[assignment]  # logged in: never None
        lift_token, lift_error = self.lift(request, camera, user_id)
        if lift_error:
            form.add_error(None, lift_error)
            return self.page(request, camera, form, status=400)
        token = playback.issue_token(user_id, camera.pk, form.cleaned_data["reason"])
        return self.page(
            request, camera, form, token=token, at=form.cleaned_data["at"], lift_token=lift_token
        )

    def lift(self, request: HttpRequest, camera: Camera, user_id: int) -> tuple[str, str]:
        """A lift token if the person asked to see the masked areas and may; else an
        error to show. Lifting needs its own reason (journaled with each playlist)."""
        if not request.POST.get("lift_mask"):
            return "", ""
        if not masks.may_lift(request.user, camera):
            raise PermissionDenied(_("You may not see this camera's masked areas."))
        reason = request.POST.get("lift_reason", "").strip()
        if len(reason) < playback.REASON_MIN_LENGTH:
            return "", _("Give the reason for lifting the privacy masks (at least 5 characters).")
        return masks.issue_lift_token(user_id, camera.pk, reason[:500]), ""

    def page(
        self,
        request: HttpRequest,
        camera: Camera,
        form: PlaybackReasonForm,
        *,
        status: int = 200,
        token: str = "",
        at: datetime | None = None,
        lift_token: str = "",
    ) -> HttpResponse:
        context = page_context(request, camera, at)
        if form.is_bound is False and context["at"] is not None:
            local = timezone.localtime(context["at"]).replace(microsecond=0, tzinfo=None)
            form = PlaybackReasonForm(initial={"at": local})
        context.update({"form": form, "token": token, "lift_token": lift_token})
        return render(request, self.template_name, context, status=status)


def _requested_instant(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("at") or request.GET.get("jump-at") or request.GET.get("day")
    if not raw:
        return None
    try:
        return playback.parse_instant(raw, _("instant"))
    except playback.RangeError:
        return None


def page_context(request: HttpRequest, camera: Camera, at: datetime | None) -> dict[str, Any]:
    may_live = may(request.user, Camera, "view_live", camera)
    may_playback = may(request.user, Camera, "view_playback", camera)
    mode = request.GET.get("mode", "")
    if mode not in ("live", "playback") or (mode == "live" and not may_live):
        mode = "playback" if may_playback or not may_live else "live"
    recorded = playback.recorded_period(camera)
    masked = bool(masking.polygons_for(camera))
    at = at or _requested_instant(request)
    if at is None and recorded is not None:
        at = max(recorded[0], recorded[1] - timedelta(hours=1))
    window = day_window(at or timezone.now())
    data = playback.timeline(camera, *window)
    return {
        "title": camera.name,
        "camera": camera,
        "state": CameraRecordingState.objects.unrestricted().filter(camera=camera).first(),
        "may_live": may_live,
        "may_playback": may_playback,
        "mode": mode,
        "at": at,
        "at_iso": playback.iso(at) if at else "",
        "recorded": recorded,
        "timeline": data,
        "svg": draw_timeline(data),
        "previous_day": playback.iso(window[0] - timedelta(hours=12)),
        "next_day": playback.iso(window[1] + timedelta(hours=12)),
        "jump_form": JumpForm(
            prefix="jump", initial_at=timezone.localtime(at).replace(tzinfo=None) if at else None
        ),
        "live_url": reverse("camera_live_playlist", kwargs={"pk": camera.pk}),
        "playlist_url": reverse("camera_playback", kwargs={"pk": camera.pk}),
        "thumbnail_url": reverse("camera_thumbnail", kwargs={"pk": camera.pk}),
        "masked": masked,
        "may_lift": masked and may_playback and masks.may_lift(request.user, camera),
        "masks_url": reverse("camera_masks", kwargs={"pk": camera.pk}),
        "may_see_masks": _may_in_member(request.user, PrivacyMask, "view", camera.member_id),
    }


def _may_in_member(user: Any, model: Any, action: str, member_id: int) -> bool:
    allowed = members_allowed(user, model, action)
    return allowed is None or member_id in allowed
