"""Pages of the service desk: tickets (list, open, detail with the desk's actions),
notifications, the monthly report and the members' settings for automatic tickets.

Reads go through the restricted managers (core base views); every write through
`vigie.servicedesk.services`. The desk's forms show only to those who may change the
ticket; a member's users comment and never see internal notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vigie.core.views import (
    EMPTY,
    Column,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    add_validation_error,
    badge,
    may,
    members_allowed,
    object_url,
)
from vigie.servicedesk import reports, services
from vigie.servicedesk.api import visible_comments
from vigie.servicedesk.filters import TicketFilter
from vigie.servicedesk.forms import (
    AssignForm,
    CommentForm,
    ContractorForm,
    DeskSettingsForm,
    QualifyForm,
    ReportForm,
    StatusForm,
    TicketEditForm,
    TicketOpenForm,
    status_choices,
)
from vigie.servicedesk.models import (
    Contractor,
    DeskSettings,
    Notification,
    Status,
    Ticket,
    TicketComment,
    TicketEscalation,
    TicketStatusChange,
)
from vigie.tenancy.models import Member

PRIORITY_BADGES = {1: "bad", 2: "warn", 3: "info", 4: "muted"}
STATUS_BADGES: dict[str, str] = {
    Status.NEW: "info",
    Status.ASSIGNED: "info",
    Status.IN_PROGRESS: "warn",
    Status.WAITING_MEMBER: "muted",
    Status.RESOLVED: "ok",
    Status.CLOSED: "muted",
    Status.CANCELLED: "muted",
}


def local(value: datetime | None) -> str:
    return EMPTY if value is None else str(localize(timezone.localtime(value)))


def duration(value: timedelta) -> str:
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}"


def time_left_text(ticket: Ticket, deadline: datetime | None, done: datetime | None) -> str:
    """ "3 h 20 left" in business hours, "overdue by …", "met", "paused"."""
    if deadline is None:
        return _("On appointment") if ticket.priority == 4 else EMPTY
    if done is not None:
        return _("Met") if done <= deadline else _("Missed")
    if not ticket.is_open:
        return EMPTY
    if ticket.status == Status.WAITING_MEMBER:
        return _("Paused: waiting for the member")
    left = services.time_left(ticket, deadline)
    if left is None:
        return EMPTY
    if left >= timedelta(0) and timezone.now() <= deadline:
        return _("%(time)s left (business hours)") % {"time": duration(left)}
    return _("Overdue by %(time)s (business hours)") % {"time": duration(left)}


def priority_badge(ticket: Ticket) -> SafeString:
    return badge(f"P{ticket.priority}", PRIORITY_BADGES.get(ticket.priority, "muted"))


def status_badge(ticket: Ticket) -> SafeString:
    return badge(ticket.get_status_display(), STATUS_BADGES.get(ticket.status, "muted"))


def status_with_overdue(ticket: Ticket) -> SafeString:
    """The status, and "overdue" in words (the row's colour alone says nothing to some)."""
    if not is_overdue(ticket):
        return status_badge(ticket)
    return format_html("{} {}", status_badge(ticket), badge(_("Overdue"), "bad"))


def assignee_text(ticket: Ticket) -> str:
    if ticket.assignee is not None:
        return str(ticket.assignee)
    if ticket.contractor is not None:
        return str(ticket.contractor)
    return EMPTY


def is_overdue(ticket: Ticket) -> bool:
    if ticket.intervention_breached or ticket.resolution_breached:
        return True
    if not ticket.is_open or ticket.status == Status.WAITING_MEMBER:
        return False
    now = timezone.now()
    late_intervention = ticket.intervened_at is None and _past(ticket.intervention_due, now)
    return late_intervention or _past(ticket.resolution_due, now)


def _past(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and now > deadline


class TicketListView(ObjectListView):
    model = Ticket
    add_label = gettext_lazy("Open a ticket")
    filterset = TicketFilter
    select_related = ("member", "assignee", "contractor")
    default_sort = "-opened_at"
    columns = (
        Column("reference", label=gettext_lazy("Ticket"), link=True, sort="id"),
        Column("title", link=True),
        Column("member"),
        Column("priority", render=priority_badge),
        Column("status", render=status_with_overdue),
        Column("category"),
        Column("assignee", label=gettext_lazy("Assigned to"), render=assignee_text, sort=""),
        Column("opened_at", render=lambda t: local(t.opened_at)),
        Column("resolution_due", render=lambda t: local(t.resolution_due)),
    )

    def row_class(self, obj: Any) -> str:
        return "row-expired" if is_overdue(obj) else ""


class TicketOpenView(ObjectEditView):
    """The simple form through which a town user (or the desk) opens a ticket."""

    model = Ticket
    add_label = gettext_lazy("Open a ticket")
    form_class = TicketOpenForm

    def write(self, form: forms.ModelForm) -> Any:
        data = form.cleaned_data
        assert isinstance(form, TicketOpenForm)
        return services.open_ticket(
            data["member"],
            category=data["category"],
            kind=data["kind"],
            title=data["title"],
            description=data.get("description", ""),
            camera=data.get("camera"),
            impact=data["impact"],
            urgency=data["urgency"],
            qualified=form.is_desk(),
        )


class TicketEditView(ObjectEditView):
    """The desk corrects a ticket's title, description, kind, category or camera."""

    model = Ticket
    form_class = TicketEditForm

    def object_for(self, pk: int | None) -> Any:
        if pk is None:  # tickets are opened by TicketOpenView
            raise PermissionDenied(_("Open a ticket through its own form."))
        return super().object_for(pk)

    def write(self, form: forms.ModelForm) -> Any:
        data = form.cleaned_data
        return services.edit(form.instance, **{name: data.get(name) for name in services.EDITABLE})


class TicketDetailView(ObjectDetailView):
    model = Ticket
    select_related = ("member", "camera", "reporter", "assignee", "contractor")
    template_name = "servicedesk/ticket_detail.html"
    fields = (
        Column("member"),
        Column("kind"),
        Column("category"),
        Column("camera"),
        Column("status", render=status_badge),
        Column("priority", render=priority_badge),
        Column("impact"),
        Column("urgency"),
        Column("qualified"),
        Column("reporter_name"),
        Column("assignee", label=gettext_lazy("Assigned to"), render=assignee_text),
        Column("escalation_level"),
        Column("opened_at", render=lambda t: local(t.opened_at)),
        Column("first_response_at", render=lambda t: local(t.first_response_at)),
        Column("resolved_at", render=lambda t: local(t.resolved_at)),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        user = request.user
        desk = may(user, Ticket, "change", obj)
        comments = visible_comments(TicketComment.objects.restrict(user, "view"), user)
        history = TicketStatusChange.objects.restrict(user, "view").filter(ticket=obj)
        escalations = TicketEscalation.objects.restrict(user, "view").filter(ticket=obj)
        intervened = obj.intervened_at or obj.resolved_at
        context: dict[str, Any] = {
            "desk": desk,
            "comments": comments.filter(ticket=obj).select_related("author"),
            "history": history.select_related("by"),
            "escalations": escalations,
            "deadlines": [
                (
                    _("Intervention"),
                    local(obj.intervention_due),
                    obj.intervention_breached,
                    time_left_text(obj, obj.intervention_due, intervened),
                ),
                (
                    _("Resolution"),
                    local(obj.resolution_due),
                    obj.resolution_breached,
                    time_left_text(obj, obj.resolution_due, obj.resolved_at),
                ),
            ],
            "comment_form": CommentForm() if may(user, TicketComment, "add") else None,
        }
        if desk:
            context["assign_form"] = AssignForm(
                technicians=technicians(obj),
                initial={"assignee": obj.assignee_id, "contractor": obj.contractor_id},
            )
            choices = status_choices(obj)
            context["status_form"] = StatusForm(choices=choices) if choices else None
            context["qualify_form"] = QualifyForm(
                initial={
                    "impact": obj.impact,
                    "urgency": obj.urgency,
                    "appointment": obj.appointment,
                }
            )
        return context


def technicians(ticket: Ticket) -> Any:
    from vigie.tenancy.models import User

    ids = [u.pk for u in services.desk_users(ticket)]
    return User.objects.filter(pk__in=ids).order_by("username")


class TicketActionView(ObjectView):
    """POST of one of the detail page's forms; back to the ticket either way."""

    model = Ticket
    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get_object(self.action, pk=pk)
        form = self.form(request, ticket)
        if form.is_valid():
            try:
                self.apply(ticket, form.cleaned_data)
            except ValidationError as exc:
                add_validation_error(form, exc)
        if form.errors:
            for error in form.errors.values():
                messages.error(request, " ".join(str(e) for e in error))
        else:
            messages.success(request, _("“%(obj)s”: saved.") % {"obj": ticket})
        return HttpResponseRedirect(object_url(ticket) or "/")

    def form(self, request: HttpRequest, ticket: Ticket) -> forms.Form:
        raise NotImplementedError

    def apply(self, ticket: Ticket, data: dict[str, Any]) -> None:
        raise NotImplementedError


class TicketCommentView(TicketActionView):
    action = "view"  # the comment's own grant (add) is checked when it is saved

    def form(self, request: HttpRequest, ticket: Ticket) -> forms.Form:
        if not may(request.user, TicketComment, "add"):
            raise PermissionDenied(_("You may not comment on tickets."))
        return CommentForm(request.POST)

    def apply(self, ticket: Ticket, data: dict[str, Any]) -> None:
        services.comment(ticket, data["text"], internal=data.get("internal", False))


class TicketAssignView(TicketActionView):
    def form(self, request: HttpRequest, ticket: Ticket) -> forms.Form:
        return AssignForm(request.POST, technicians=technicians(ticket))

    def apply(self, ticket: Ticket, data: dict[str, Any]) -> None:
        services.assign(ticket, user=data.get("assignee"), contractor=data.get("contractor"))


class TicketStatusView(TicketActionView):
    def form(self, request: HttpRequest, ticket: Ticket) -> forms.Form:
        return StatusForm(request.POST, choices=status_choices(ticket))

    def apply(self, ticket: Ticket, data: dict[str, Any]) -> None:
        services.change_status(ticket, data["status"], note=data.get("note", ""))


class TicketQualifyView(TicketActionView):
    def form(self, request: HttpRequest, ticket: Ticket) -> forms.Form:
        return QualifyForm(request.POST)

    def apply(self, ticket: Ticket, data: dict[str, Any]) -> None:
        services.qualify(
            ticket, data["impact"], data["urgency"], appointment=data.get("appointment")
        )


# ---------------------------------------------------------------- notifications


class NotificationListView(LoginRequiredMixin, View):
    """My notifications; POST marks them all read (or one: ``id``)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = Notification.objects.filter(user_id=request.user.pk or 0).order_by("-created", "-pk")
        context = {
            "title": _("Notifications"),
            "notifications": rows[:200],
            "unread": services.unread_count(request.user),
        }
        return render(request, "servicedesk/notifications.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        raw = request.POST.get("id", "")
        services.mark_read(request.user, [int(raw)] if raw.isdigit() else None)
        return HttpResponseRedirect(request.path)


class NotificationOpenView(LoginRequiredMixin, View):
    """Follow a notification's link, marking it read."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = get_object_or_404(Notification, pk=pk, user=request.user)
        services.mark_read(request.user, [notification.pk])
        link = notification.link
        safe = link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()})
        return HttpResponseRedirect(link if safe else request.path.rsplit("/", 3)[0] + "/")


# ---------------------------------------------------------------- report


class ReportPageView(LoginRequiredMixin, View):
    """The monthly activity report: the page, or ``output=csv`` / ``output=pdf``."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may(request.user, Ticket, "view"):
            raise PermissionDenied(_("Your roles do not let you see this list."))
        form = ReportForm(request.GET or None, user=request.user)
        report = None
        if form.is_bound and form.is_valid():
            try:
                month = reports.parse_month(form.cleaned_data["month"])
            except ValueError as exc:
                form.add_error("month", str(exc))
            else:
                member: Member | None = form.cleaned_data.get("member")
                tickets = Ticket.objects.restrict(request.user, "view")
                report = reports.monthly_report(tickets, month, member)
                output = request.GET.get("output")
                if output in ("csv", "pdf"):
                    return download(report, output)
        context = {
            "title": _("Service desk report"),
            "form": form,
            "data": reports.report_context(report) if report else None,
            "query": request.GET.urlencode(),
        }
        return render(request, "servicedesk/report.html", context)


def download(report: reports.MonthlyReport, output: str) -> HttpResponse:
    slug = getattr(report.member, "slug", "all")
    name = f"servicedesk-{report.month:%Y-%m}-{slug}.{output}"
    if output == "csv":
        response = HttpResponse(reports.to_csv([report]), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(reports.to_pdf([report]), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------- member settings


class DeskSettingsListView(ObjectListView):
    model = DeskSettings
    add_label = gettext_lazy("Set a member's service desk settings")
    select_related = ("member",)
    default_sort = "member__name"
    columns = (
        Column("member", link=True, sort="member__name"),
        Column("auto_resolve"),
        Column("automatic_impact"),
        Column("automatic_urgency"),
    )


class DeskSettingsDetailView(ObjectDetailView):
    model = DeskSettings
    select_related = ("member",)
    fields = (
        Column("member"),
        Column("auto_resolve"),
        Column("automatic_impact"),
        Column("automatic_urgency"),
    )


class DeskSettingsEditView(ObjectEditView):
    model = DeskSettings
    add_label = gettext_lazy("Set a member's service desk settings")
    form_class = DeskSettingsForm


# ---------------------------------------------------------------- contractors


class ContractorMixin:
    """Contractors are the syndicate's, not a member's: no member restriction, and only
    a syndicate-wide administrator (a grant over every member) adds or edits them."""

    model: Any = Contractor
    request: HttpRequest

    def get_queryset(self, action: str = "view") -> Any:
        if not may(self.request.user, Contractor, "view"):
            raise PermissionDenied(_("Your roles do not let you see this list."))
        return Contractor.objects.order_by("level", "name")

    def get_object(self, action: str = "view", **kwargs: Any) -> Any:
        obj = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        if action != "view" and not syndicate_wide(self.request.user, action):
            raise PermissionDenied(_("You may not do this to “%(obj)s”.") % {"obj": obj})
        return obj


def syndicate_wide(user: Any, action: str) -> bool:
    return members_allowed(user, Contractor, action) is None


class ContractorListView(ContractorMixin, ObjectListView):
    add_label = gettext_lazy("Add a contractor")
    default_sort = "level"
    columns = (
        Column("name", link=True),
        Column("level"),
        Column("email"),
        Column("phone"),
        Column("active"),
    )

    def may_add(self, request: HttpRequest) -> bool:
        return syndicate_wide(request.user, "add")


class ContractorDetailView(ContractorMixin, ObjectDetailView):
    fields = ContractorListView.columns

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        # The base view asks the member restriction about the object: none here.
        obj = self.get_object("view", pk=pk)
        allowed = syndicate_wide(request.user, "change")
        context = {
            **self.base_context(),
            "object": obj,
            "title": str(obj),
            "attributes": [(f.header(Contractor), f.cell(obj)) for f in self.fields],
            "edit_url": object_url(obj, "edit") if allowed else None,
        }
        return render(request, self.template_name, context)


class ContractorEditView(ContractorMixin, ObjectEditView):
    add_label = gettext_lazy("Add a contractor")
    form_class = ContractorForm

    def object_for(self, pk: int | None) -> Any:
        if pk is None:
            if not syndicate_wide(self.request.user, "add"):
                raise PermissionDenied(_("You may not add this kind of object."))
            return Contractor()
        return self.get_object("change", pk=pk)

    def write(self, form: forms.ModelForm) -> Any:
        return services.save_contractor(form.save(commit=False))
