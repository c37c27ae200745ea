"""The privacy-mask editor of a camera: its masks, a still image to draw on, save and
delete.

Drawing needs the raw picture, so the still is given only to people who may manage
the camera's masks *and* may watch its images (live or playback); each still served is
journaled (``recording.mask_editor_still``). Everyone who may view the masks sees the
list, without the image. Saving goes through the model (validation, isolation, journal).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from vigie.audit.services import journal
from vigie.core import services as core_services
from vigie.core.views import may, members_allowed
from vigie.inventory.models import Camera
from vigie.recording import playback
from vigie.recording.forms_masks import PrivacyMaskForm
from vigie.recording.models import PrivacyMask, Segment


def may_manage(user: Any, camera: Camera) -> bool:
    allowed = members_allowed(user, PrivacyMask, "add")
    return allowed is None or camera.member_id in allowed


def may_see_still(user: Any, camera: Camera) -> bool:
    watches = may(user, Camera, "view_live", camera) or may(user, Camera, "view_playback", camera)
    return watches and may_manage(user, camera)


def _camera(request: HttpRequest, pk: int) -> Camera:
    return get_object_or_404(Camera.objects.restrict(request.user, "view"), pk=pk)


class MaskEditorView(LoginRequiredMixin, View):
    template_name = "recording/camera_masks.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = _camera(request, pk)
        if not may(request.user, PrivacyMask, "view") and not may_manage(request.user, camera):
            raise Http404
        return self.page(request, camera, PrivacyMaskForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = _camera(request, pk)
        if not may_manage(request.user, camera):
            raise PermissionDenied(_("You may not change this camera's privacy masks."))
        wants_json = request.content_type == "application/json"
        try:
            data = json.loads(request.body) if wants_json else request.POST
        except ValueError:
            return JsonResponse({"errors": {"__all__": [_("Not JSON.")]}}, status=400)
        if wants_json and isinstance(data, dict) and not isinstance(data.get("polygons"), str):
            data = {**data, "polygons": json.dumps(data.get("polygons"))}
        form = PrivacyMaskForm(data)
        mask = None
        if form.is_valid():
            mask = PrivacyMask(camera=camera, **form.cleaned_data)
            try:
                mask.save()
            except ValidationError as exc:
                form.add_error(None, exc)
                mask = None
        if wants_json:
            if mask is None:
                return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
            return JsonResponse({"id": mask.pk, "label": mask.label}, status=201)
        if mask is None:
            return self.page(request, camera, form, status=400)
        messages.success(request, _("Privacy mask “%(label)s” saved.") % {"label": mask.label})
        return HttpResponseRedirect(reverse("camera_masks", kwargs={"pk": camera.pk}))

    def page(
        self, request: HttpRequest, camera: Camera, form: PrivacyMaskForm, status: int = 200
    ) -> HttpResponse:
        masks = PrivacyMask.objects.restrict(request.user, "view").filter(camera=camera)
        context = {
            "title": _("Privacy masks"),
            "camera": camera,
            "masks": masks.order_by("label", "pk"),
            "may_manage": may_manage(request.user, camera),
            "may_see_still": may_see_still(request.user, camera),
            "still_url": reverse("camera_mask_still", kwargs={"pk": camera.pk}),
            "form": form,
        }
        return render(request, self.template_name, context, status=status)


class MaskDeleteView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, mask: int) -> HttpResponse:
        camera = _camera(request, pk)
        row = get_object_or_404(
            PrivacyMask.objects.restrict(request.user, "delete"), pk=mask, camera=camera
        )
        label = row.label
        core_services.delete(row)
        messages.success(request, _("Privacy mask “%(label)s” deleted.") % {"label": label})
        return HttpResponseRedirect(reverse("camera_masks", kwargs={"pk": camera.pk}))


class MaskStillView(LoginRequiredMixin, View):
    """The raw picture to draw on: the latest keyframe of the camera's footage."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        camera = _camera(request, pk)
        if not may_see_still(request.user, camera):
            raise Http404
        segment = (
            Segment.objects.unrestricted()
            .select_related("storage_pool")
            .filter(camera=camera, end__isnull=False)
            .order_by("-start")
            .first()
        )
        if segment is None or not playback.segment_file(segment).is_file():
            raise Http404(_("No footage to draw on yet."))
        data = playback.thumbnail(segment, segment.end or timezone.now())
        journal(
            "recording.mask_editor_still",
            objects=[camera],
            member_id=camera.member_id,
            details={"segment": segment.pk, "at": playback.iso(segment.start)},
        )
        response = HttpResponse(data, content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response
