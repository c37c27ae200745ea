"""Register pages (page, CSV, PDF) and the journal register.

Reading a register shows personal data (who watched what, who asked for what): every
page view is journaled (``audit.register_viewed``), every download too
(``audit.register_exported``, with the filters). The pages of the requests from
persons are in ``views_requests.py``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from vigie.audit import registers
from vigie.audit.filters import JournalFilterForm, PeriodForm, SubjectRequestFilter
from vigie.audit.forms import (
    ExtensionForm,
    SubjectRequestForm,
    TransitionForm,
    ViewingCopyForm,
)
from vigie.audit.models import SubjectRequest
from vigie.audit.registers import Register, Table
from vigie.audit.services import journal
from vigie.audit.subject_requests import (
    VIEWING_COPY_WEB_MAX_SECONDS,
    allowed_transitions,
    extend_deadline,
    open_viewing_copy,
    prepare_viewing_copy,
    save_request,
    transition,
    viewing_copies,
)
from vigie.core.pdf import render_pdf
from vigie.core.views import (
    Column,
    ObjectActionView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectView,
    add_validation_error,
    badge,
    may,
    object_url,
)
from vigie.inventory.models import Camera

# ---------------------------------------------------------------- values as text


def csv_text(value: Any) -> str:
    """A cell for a spreadsheet: ISO dates in the server's zone, no thousands separators."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display_text(value: Any) -> str:
    """A cell for a person: dates and numbers in the UI's language, local time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return str(localize(timezone.localtime(value)))
    return str(localize(value))


def shown(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "headers": table.headers(),
        "rows": [[display_text(v) for v in table.values(row)] for row in table.rows],
        "unavailable": table.unavailable,
    }


class _Echo:
    """csv.writer's file: hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark: spreadsheets then read the accents of the French headers right.
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([csv_text(v) for v in row])


def csv_response(filename: str, headers: list[str], rows: Iterable[list[Any]]) -> Any:
    response = StreamingHttpResponse(
        csv_lines(headers, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def pdf_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def generated_by(request: HttpRequest) -> str:
    return request.user.get_username()


# ---------------------------------------------------------------- registers of a member


class RegisterIndexView(LoginRequiredMixin, View):
    """Choose a member and a period; links to each register and to the journal."""

    def get(self, request: HttpRequest) -> HttpResponse:
        see_registers = registers.may_see_registers(request.user)
        see_journal = registers.may_see_journal(request.user)
        if not (see_registers or see_journal):
            raise PermissionDenied(_("Your roles do not let you see the registers."))
        form = PeriodForm(request.GET if request.GET else None)
        period = form.period()
        members = list(registers.register_members(request.user)) if see_registers else []
        query = f"?from={period.start.isoformat()}&to={period.end.isoformat()}"
        links = [
            {
                "member": m,
                "registers": [
                    {
                        "title": registers.KIND_TITLES[kind],
                        "url": reverse("register", args=[m.slug, kind]) + query,
                        "csv": reverse("register_csv", args=[m.slug, kind]) + query,
                        "pdf": reverse("register_pdf", args=[m.slug, kind]) + query,
                    }
                    for kind in registers.KINDS
                ],
            }
            for m in members
        ]
        context = {
            "title": _("Registers"),
            "form": form,
            "period": period,
            "members": links,
            "journal_url": reverse("journal_register") if see_journal else None,
        }
        return render(request, "audit/register_index.html", context)


class RegisterView(LoginRequiredMixin, View):
    """One register of one member over a period: ``fmt`` is html, csv or pdf."""

    fmt = "html"

    def get(self, request: HttpRequest, member: str, kind: str) -> HttpResponse:
        if kind not in registers.KINDS:
            raise Http404(_("No such register."))
        if not registers.may_see_registers(request.user):
            raise PermissionDenied(_("Your roles do not let you see the registers."))
        owner = registers.member_for_register(request.user, member)
        form = PeriodForm(request.GET if request.GET else None)
        if form.is_bound and not form.is_valid():
            return render(request, "audit/register.html", self.context(form, None), status=400)
        register = registers.build_register(request.user, kind, owner, form.period())
        details: dict[str, Any] = {
            "register": kind,
            "format": self.fmt,
            **register.period.as_dict(),
        }
        if self.fmt == "html":
            journal("audit.register_viewed", objects=[owner], member_id=owner.pk, details=details)
            return render(request, "audit/register.html", self.context(form, register))
        details["rows"] = len(register.csv_table.rows)
        journal("audit.register_exported", objects=[owner], member_id=owner.pk, details=details)
        name = f"registre-{kind}-{owner.slug}-{register.period.start}-{register.period.end}"
        if self.fmt == "csv":
            table = register.csv_table
            return csv_response(f"{name}.csv", table.headers(), map(table.values, table.rows))
        content = render_pdf("audit/register_pdf.html", self.pdf_context(request, register))
        return pdf_response(f"{name}.pdf", content)

    def context(self, form: PeriodForm, register: Register | None) -> dict[str, Any]:
        if register is None:
            return {"title": _("Register"), "form": form, "register": None}
        kind, slug = register.kind, register.member.slug
        query = register.period.as_dict()
        suffix = f"?from={query['from']}&to={query['to']}"
        return {
            "title": f"{register.title} — {register.member.name}",
            "form": form,
            "register": register,
            "tables": [shown(t) for t in register.tables],
            "csv_url": reverse("register_csv", args=[slug, kind]) + suffix,
            "pdf_url": reverse("register_pdf", args=[slug, kind]) + suffix,
            "index_url": reverse("register_index") + suffix,
        }

    def pdf_context(self, request: HttpRequest, register: Register) -> dict[str, Any]:
        return {
            "title": register.title,
            "register": register,
            "tables": [shown(t) for t in register.tables],
            "generated_at": display_text(timezone.now()),
            "generated_by": generated_by(request),
        }


# ---------------------------------------------------------------- the journal


class JournalRegisterView(LoginRequiredMixin, View):
    """The journal filtered by person, camera, action, member and period: a page of
    ``VIGIE_PAGE_SIZE`` entries at a time (keyset, newest first), a streamed CSV of
    the whole selection, or a PDF of at most ``JOURNAL_PDF_MAX_ROWS`` entries."""

    fmt = "html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not registers.may_see_journal(request.user):
            raise PermissionDenied(_("Your roles do not let you read the journal."))
        form = JournalFilterForm(request.GET if request.GET else None, user=request.user)
        query = form.query()
        entries = registers.journal_entries(request.user, query)
        details = {"register": "journal", "format": self.fmt, "filters": form.filters()}
        member_id = query.members[0] if query.members else None
        if self.fmt == "csv":
            journal("audit.register_exported", member_id=member_id, details=details)
            rows = registers.iter_journal_rows(entries)
            headers = [str(label) for _k, label in registers.JOURNAL_COLUMNS]
            keys = [k for k, _label in registers.JOURNAL_COLUMNS]
            return csv_response("journal.csv", headers, ([row[k] for k in keys] for row in rows))
        if self.fmt == "pdf":
            return self.pdf(request, form, entries, details, member_id)
        return self.page(request, form, entries, details, member_id)

    def page(
        self, request: HttpRequest, form: Any, entries: Any, details: dict[str, Any], member_id: Any
    ) -> HttpResponse:
        before = _int_or_none(request.GET.get("before"))
        page = registers.journal_page(entries, before, settings.VIGIE_PAGE_SIZE)
        journal("audit.register_viewed", member_id=member_id, details={**details, "before": before})
        table = Table("journal", _("Journal"), registers.JOURNAL_COLUMNS)
        table.rows = registers.journal_rows(page.entries)
        query = request.GET.copy()
        query.pop("before", None)
        base = query.urlencode()
        context = {
            "title": _("Journal"),
            "form": form,
            "table": shown(table),
            "entries": page.entries,
            "next_url": f"?{base}&before={page.next_before}" if page.next_before else None,
            "first_url": f"?{base}" if before is not None else None,
            "csv_url": reverse("journal_register_csv") + (f"?{base}" if base else ""),
            "pdf_url": reverse("journal_register_pdf") + (f"?{base}" if base else ""),
            "pdf_max": registers.JOURNAL_PDF_MAX_ROWS,
        }
        status = 400 if form.is_bound and not form.is_valid() else 200
        return render(request, "audit/journal_register.html", context, status=status)

    def pdf(
        self, request: HttpRequest, form: Any, entries: Any, details: dict[str, Any], member_id: Any
    ) -> HttpResponse:
        limit = registers.JOURNAL_PDF_MAX_ROWS
        selected = list(entries[: limit + 1])
        if len(selected) > limit:
            message = _(
                "More than %(n)s entries match: a PDF is limited to %(n)s. Narrow the filters "
                "(period, member, person, action) or download the CSV, which has no limit."
            ) % {"n": limit}
            refusal = {"title": _("Journal"), "message": message, "back_url": _back(request)}
            return render(request, "audit/too_many.html", refusal, status=400)
        journal(
            "audit.register_exported",
            member_id=member_id,
            details={**details, "rows": len(selected)},
        )
        table = Table("journal", _("Journal"), registers.JOURNAL_COLUMNS)
        table.rows = registers.journal_rows(selected)
        context: dict[str, Any] = {
            "title": _("Journal"),
            "filters": form.filters(),
            "table": shown(table),
            "generated_at": display_text(timezone.now()),
            "generated_by": generated_by(request),
        }
        return pdf_response("journal.pdf", render_pdf("audit/journal_pdf.html", context))


def _back(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return reverse("journal_register") + (f"?{query}" if query else "")


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


# ---------------------------------------------------------------- requests from persons


def request_state(obj: SubjectRequest) -> SafeString:
    kinds = {"closed": "muted", "refused": "muted", "answered": "ok", "found": "info"}
    return badge(obj.get_status_display(), kinds.get(obj.status, "warn"))


def request_deadline(obj: SubjectRequest) -> SafeString:
    text = display_text(obj.deadline)
    if obj.is_late():
        return format_html("{} {}", text, badge(_("Late"), "bad"))
    if obj.extended:
        return format_html("{} {}", text, badge(_("Extended"), "info"))
    return format_html("{}", text)


class SubjectRequestListView(ObjectListView):
    model = SubjectRequest
    add_label = gettext_lazy("Record a request")
    filterset = SubjectRequestFilter
    select_related = ("member",)
    template_name = "audit/subjectrequest_list.html"
    columns = (
        Column("reference", label=gettext_lazy("Reference"), link=True, sort="pk"),
        Column("member"),
        Column("kind"),
        Column("received_on"),
        Column("requester_name"),
        Column("status", render=request_state),
        Column("deadline", render=request_deadline),
    )
    default_sort = "deadline"

    def row_class(self, obj: Any) -> str:
        return "row-expired" if obj.is_late() else ""


class SubjectRequestDetailView(ObjectDetailView):
    model = SubjectRequest
    select_related = ("member", "hold")
    template_name = "audit/subjectrequest_detail.html"
    fields = (
        Column("member"),
        Column("kind"),
        Column("status", render=request_state),
        Column("received_on"),
        Column("deadline", render=request_deadline),
        Column("extension_reason"),
        Column("requester_name"),
        Column("requester_contact"),
        Column("identity_reference"),
        Column("place"),
        Column("window_start", render=lambda r: display_text(r.window_start)),
        Column("window_end", render=lambda r: display_text(r.window_end)),
        Column("cameras", label=gettext_lazy("Cameras concerned"), render=lambda r: camera_list(r)),
        Column("footage_destroyed_on", render=lambda r: display_text(r.footage_destroyed_on)),
        Column("hold"),
        Column("answered_on"),
        Column("answer"),
        Column("refusal_ground"),
        Column("extra_polygons", render=lambda r: polygon_count(r)),
        Column("notes"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        # The page shows a person's identity and whereabouts: who read it is journaled.
        journal("audit.subjectrequest.view", objects=[obj], member_id=obj.member_id)
        changeable = obj.status != "closed" and may(request.user, SubjectRequest, "change", obj)
        return {
            "title": obj.reference,
            "edit_url": object_url(obj, "edit") if changeable else None,
            "delete_url": None,
            "transition_url": object_url(obj, "transition")
            if changeable and allowed_transitions(obj)
            else None,
            "extend_url": object_url(obj, "extend")
            if changeable and not obj.extended and obj.open
            else None,
            "polygons": obj.extra_polygons,
            "viewing_copy_url": object_url(obj, "viewing_copy")
            if obj.status in ("found", "answered")
            else None,
        }


def camera_list(obj: SubjectRequest) -> str:
    return ", ".join(sorted(c.name for c in obj.cameras.all())) or "—"


def polygon_count(obj: SubjectRequest) -> str:
    count = len(obj.extra_polygons or [])
    return str(count) if count else "—"


class SubjectRequestEditView(ObjectEditView):
    model = SubjectRequest
    add_label = gettext_lazy("Record a request")
    form_class = SubjectRequestForm

    def write(self, form: forms.ModelForm) -> Any:
        obj = form.save(commit=False)
        return save_request(obj, cameras=form.cleaned_data.get("cameras", []))


class SubjectRequestActionView(ObjectActionView):
    """A status change or an extension: confirm with a form, then the service."""

    model = SubjectRequest
    template_name = "audit/subjectrequest_action.html"

    def done(self, obj: SubjectRequest) -> tuple[str, str]:
        return _("“%(obj)s”: saved.") % {"obj": obj.reference}, object_url(obj) or "/"


class SubjectRequestTransitionView(SubjectRequestActionView):
    def make_form(self, obj: SubjectRequest, data: Any = None) -> forms.Form:
        return TransitionForm(data, allowed=allowed_transitions(obj))

    def apply(self, obj: SubjectRequest, form: Any) -> tuple[str, str]:
        data = form.cleaned_data
        transition(
            obj,
            data["status"],
            text=data.get("text", ""),
            ground=data.get("ground", ""),
            on=data.get("on"),
        )
        return self.done(obj)

    def page_title(self, obj: SubjectRequest) -> str:
        return _("Change the status of %(ref)s") % {"ref": obj.reference}


class SubjectRequestExtendView(SubjectRequestActionView):
    def make_form(self, obj: SubjectRequest, data: Any = None) -> forms.Form:
        return ExtensionForm(data)

    def apply(self, obj: SubjectRequest, form: Any) -> tuple[str, str]:
        extend_deadline(obj, form.cleaned_data["reason"])
        return self.done(obj)

    def page_title(self, obj: SubjectRequest) -> str:
        return _("Extend the deadline of %(ref)s by two months") % {"ref": obj.reference}


class SubjectRequestViewingCopyView(ObjectView):
    """Prepare the copy shown to the requester (masks and extra polygons burned in),
    and download the copies made: both for people who may play the camera back, with a
    reason, journaled."""

    model = SubjectRequest
    template_name = "audit/subjectrequest_viewing_copy.html"

    def cameras(self, obj: SubjectRequest) -> Any:
        allowed = Camera.objects.restrict(self.request.user, "view_playback").values("pk")
        return obj.cameras.filter(pk__in=allowed).order_by("name")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("view", pk=pk)
        return self.page(obj, ViewingCopyForm(cameras=self.cameras(obj)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        obj = self.get_object("view", pk=pk)
        form = ViewingCopyForm(request.POST, cameras=self.cameras(obj))
        if not form.is_valid():
            return self.page(obj, form, status=400)
        camera, reason = form.cleaned_data["camera"], form.cleaned_data["reason"]
        try:
            if request.POST.get("download"):
                path = open_viewing_copy(obj, camera.pk, reason)
                return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
            prepare_viewing_copy(obj, camera.pk, reason, max_seconds=VIEWING_COPY_WEB_MAX_SECONDS)
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.page(obj, form, status=400)
        messages.success(request, _("The viewing copy is ready."))
        return HttpResponseRedirect(request.path)

    def page(self, obj: SubjectRequest, form: forms.Form, status: int = 200) -> HttpResponse:
        allowed = set(self.cameras(obj).values_list("pk", flat=True))
        copies = [
            {"camera": camera, "name": path.name, "size": path.stat().st_size}
            for camera, path in viewing_copies(obj)
            if camera.pk in allowed
        ]
        context = {
            **self.base_context(),
            "object": obj,
            "form": form,
            "copies": copies,
            "title": _("Viewing copy for %(ref)s") % {"ref": obj.reference},
            "cancel_url": object_url(obj),
            "may_prepare": obj.status in ("found", "answered") and bool(allowed),
        }
        return render(self.request, self.template_name, context, status=status)
