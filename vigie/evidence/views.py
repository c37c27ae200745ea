"""Requisition pages: the list (late ones flagged), filing, a requisition with its
ranges, holds, review hours, exports and deliveries, and the forms of each step.

Reads go through ``restrict(user, action)`` (the core base views); every write goes
through ``vigie.evidence.services`` or ``exports``. A requisition of another member
does not exist for the person (404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.views import (
    EMPTY,
    Column,
    ObjectActionView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    badge,
    may,
)
from vigie.evidence import exports, services, workflow
from vigie.evidence.filters import RequisitionFilter
from vigie.evidence.forms import (
    DeliveryForm,
    ExportForm,
    RangeForm,
    RequisitionForm,
    ReviewTimeForm,
    TransitionForm,
)
from vigie.evidence.models import (
    Delivery,
    ExportJob,
    Requisition,
    RequisitionRange,
    ReviewTime,
)
from vigie.evidence.services import RangeSpec
from vigie.evidence.workflow import Status
from vigie.recording.views_holds import local, username

STATUS_KINDS: dict[str, str] = {
    Status.RECEIVED: "info",
    Status.UNDER_REVIEW: "warn",
    Status.POSITIVE: "ok",
    Status.NEGATIVE: "muted",
    Status.DIRECT: "ok",
    Status.EXPORTED: "ok",
    Status.DELIVERED: "ok",
    Status.CLOSED: "muted",
    Status.CANCELLED: "muted",
}


def status_badge(r: Requisition) -> SafeString:
    return badge(r.get_status_display(), STATUS_KINDS.get(r.status, "info"))


def deadline_cell(r: Requisition) -> Any:
    if r.deadline is None:
        return EMPTY
    text = r.deadline.strftime("%d/%m/%Y")
    return badge(_("%(date)s — late") % {"date": text}, "bad") if r.late else text


def camera_list(r: Requisition) -> str:
    return ", ".join(sorted({x.camera.name for x in r.ranges.all()})) or EMPTY


class RequisitionListView(ObjectListView):
    model = Requisition
    add_label = gettext_lazy("File a requisition")
    filterset = RequisitionFilter
    select_related = ("member",)
    prefetch_related = ("ranges__camera",)
    default_sort = "deadline"
    hidden_filters = ("received_after", "received_before")
    columns = (
        Column("procedure_number", link=True),
        Column("member"),
        Column("service"),
        Column("officer_name"),
        Column("received_on"),
        Column("deadline", render=deadline_cell),
        Column("status", render=status_badge),
        Column("cameras", label=gettext_lazy("Cameras"), render=camera_list, sort=""),
    )

    def row_class(self, obj: Any) -> str:
        return "row-expired" if obj.late else ""


class RequisitionAddView(ObjectEditView):
    """File a requisition (operators on behalf of officers, or officers themselves)."""

    model = Requisition
    add_label = gettext_lazy("File a requisition")
    form_class = RequisitionForm
    template_name = "evidence/requisition_form.html"

    def write(self, form: forms.ModelForm) -> Any:
        data = form.cleaned_data
        assert isinstance(form, RequisitionForm)
        return services.file_requisition(
            member=data["member"],
            service=data["service"],
            officer_name=data["officer_name"],
            officer_id=data.get("officer_id", ""),
            procedure_number=data["procedure_number"],
            received_on=data.get("received_on"),
            deadline=data.get("deadline"),
            facts=data["facts"],
            ranges=[RangeSpec(c, s, e) for c, s, e in form.ranges()],
        )


class RequisitionDetailView(ObjectDetailView):
    model = Requisition
    select_related = ("member", "created_by")
    template_name = "evidence/requisition_detail.html"
    fields = (
        Column("member"),
        Column("status", render=status_badge),
        Column("service"),
        Column("officer_name"),
        Column("officer_id"),
        Column("procedure_number"),
        Column("received_on"),
        Column("deadline", render=deadline_cell),
        Column("facts"),
        Column("outcome"),
        Column("created_by", render=lambda r: username(r.created_by)),
        Column("created", render=lambda r: local(r.created)),
        Column("closed_at", render=lambda r: local(r.closed_at)),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        user = request.user
        ranges = (
            RequisitionRange.objects.restrict(user, "view")
            .filter(requisition=obj)
            .select_related("camera", "legal_hold")
        )
        change = may(user, Requisition, "change", obj)
        exportable = obj.status in workflow.EXPORTABLE and may(user, ExportJob, "add")
        reviews = list(
            ReviewTime.objects.restrict(user, "view")
            .filter(requisition=obj)
            .select_related("operator")
        )
        return {
            "ranges": ranges,
            "reviews": reviews,
            "jobs": ExportJob.objects.restrict(user, "view").filter(requisition=obj),
            "deliveries": Delivery.objects.restrict(user, "view").filter(requisition=obj),
            "may_step": change and bool(workflow.manual_targets(obj.status)),
            "may_range": obj.open and may(user, RequisitionRange, "add"),
            "may_review": may(user, ReviewTime, "add"),
            "may_export": exportable,
            "may_deliver": obj.status in workflow.DELIVERABLE and may(user, Delivery, "add"),
            "total_hours": sum(r.hours for r in reviews),
        }


class _StepView(ObjectActionView):
    """A form about one requisition, handled by a service; 404 outside one's reach."""

    model = Requisition
    template_name = "evidence/step_form.html"


def detail_url(requisition: Requisition) -> str:
    return reverse("requisition_detail", kwargs={"pk": requisition.pk})


class RequisitionTransitionView(_StepView):
    title = gettext_lazy("Next step")
    submit = gettext_lazy("Move on")

    def make_form(self, requisition: Requisition, data: Any = None) -> forms.BaseForm:
        return TransitionForm(data, current=requisition.status)

    def apply(self, requisition: Requisition, form: Any) -> tuple[str, str]:
        services.transition(requisition, form.cleaned_data["status"], form.cleaned_data["reason"])
        return _("“%(obj)s”: %(status)s.") % {
            "obj": requisition,
            "status": requisition.get_status_display(),
        }, detail_url(requisition)


class RangeAddView(_StepView):
    title = gettext_lazy("Add a camera and period")
    submit = gettext_lazy("Add and hold the footage")
    action = "view"

    def make_form(self, requisition: Requisition, data: Any = None) -> forms.BaseForm:
        return RangeForm(data, member_id=requisition.member_id)

    def apply(self, requisition: Requisition, form: Any) -> tuple[str, str]:
        d = form.cleaned_data
        services.add_range(requisition, d["camera"], d["start"], d["end"])
        return _("Footage held."), detail_url(requisition)


class ReviewTimeAddView(_StepView):
    title = gettext_lazy("Log review hours")
    action = "view"

    def make_form(self, requisition: Requisition, data: Any = None) -> forms.BaseForm:
        return ReviewTimeForm(data, initial={"date": _today()})

    def apply(self, requisition: Requisition, form: Any) -> tuple[str, str]:
        d = form.cleaned_data
        services.log_review_time(requisition, hours=d["hours"], on=d["date"], notes=d["notes"])
        return _("Hours logged."), detail_url(requisition)


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


class ExportStartView(_StepView):
    title = gettext_lazy("Export the footage")
    submit = gettext_lazy("Start the export")
    action = "view"

    def make_form(self, requisition: Requisition, data: Any = None) -> forms.BaseForm:
        return ExportForm(data)

    def apply(self, requisition: Requisition, form: Any) -> tuple[str, str]:
        d = form.cleaned_data
        job = exports.start_export(
            requisition, self.request.user, make_iso=d["make_iso"], reason=d["reason"]
        )
        return _("Export queued."), reverse("exportjob_detail", kwargs={"pk": job.pk})


class DeliveryAddView(_StepView):
    title = gettext_lazy("Record a delivery")
    action = "view"

    def make_form(self, requisition: Requisition, data: Any = None) -> forms.BaseForm:
        return DeliveryForm(
            data, requisition=requisition, initial={"officer_name": requisition.officer_name}
        )

    def apply(self, requisition: Requisition, form: Any) -> tuple[str, str]:
        d = form.cleaned_data
        services.record_delivery(
            requisition,
            officer_name=d["officer_name"],
            medium_reference=d["medium_reference"],
            delivered_at=d["delivered_at"],
            export_job=d.get("export_job"),
            package_sha256=d.get("package_sha256", ""),
            notes=d.get("notes", ""),
        )
        return _("Delivery recorded."), detail_url(requisition)


# --------------------------------------------------------------------------- exports


class ExportJobDetailView(ObjectView):
    """An export and its progress (refreshed every second while it runs)."""

    model = ExportJob
    template_name = "evidence/exportjob_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_object("view", pk=pk)
        context = {
            **self.base_context(),
            "job": job,
            "object": job,
            "title": str(job),
            "requisition_url": detail_url(job.requisition),
            "may_cancel": not job.finished and may(request.user, ExportJob, "change", job),
        }
        template = "evidence/_export_progress.html" if _fragment(request) else self.template_name
        return render(request, template, context)


def _fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class ExportJobCancelView(ObjectView):
    model = ExportJob

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_object("change", pk=pk)
        try:
            exports.cancel_export(job, request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Cancel asked."))
        return HttpResponseRedirect(reverse("exportjob_detail", kwargs={"pk": job.pk}))


class ExportJobDownloadView(ObjectView):
    """The zip, for a person who may export every camera of it (journaled)."""

    model = ExportJob

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        from django.http import Http404

        job = self.get_object("view", pk=pk)
        try:
            delivered = exports.package_for_download(job, request.user)
        except ValidationError as exc:
            raise Http404(" ".join(exc.messages)) from exc
        return zip_response(delivered)


def zip_response(delivered: services.DeliveredZip) -> StreamingHttpResponse:
    """A package's zip as an attachment, sent as it is read (its length is known)."""
    response = StreamingHttpResponse(delivered.chunks(), content_type="application/zip")
    response["Content-Length"] = str(delivered.length)
    response["Content-Disposition"] = content_disposition_header(True, delivered.filename)
    return response
