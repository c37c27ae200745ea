"""Camera import with a preview: upload, see what would change, then confirm or cancel.

The uploaded bytes stay on the server between the preview and the confirmation (under
``DATA_DIR/imports``, named by a random token that only this session knows); the
confirmation plans the file again against the database as it is then, and applies it
only if it still has no error. The file is deleted once applied or cancelled.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View

from vigie.core.models import IsolationError
from vigie.core.views import is_htmx, members_allowed
from vigie.inventory.forms import ImportForm
from vigie.inventory.imports import ImportPlan, ImportRefused, RowError, apply_import, plan_import
from vigie.inventory.models import Camera
from vigie.tenancy.models import Member

SESSION_KEY = "vigie_imports"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Uploads nobody confirmed or cancelled are removed after a day.
STALE_SECONDS = 24 * 3600


def import_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def importable_members(user: Any) -> QuerySet[Member]:
    """Members where the user may add cameras."""
    allowed = members_allowed(user, Camera, "add")
    members = Member.objects.restrict(user, "view")
    return members if allowed is None else members.filter(pk__in=allowed)


class PendingImport:
    """An uploaded file waiting for confirmation, known by its token in the session."""

    def __init__(self, request: HttpRequest, token: str) -> None:
        entry = request.session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token) else None
        if not entry:
            raise Http404(_("This import is unknown or already finished."))
        self.request = request
        self.token = token
        self.filename = str(entry.get("name", ""))
        self.path = import_dir() / token
        member = importable_members(request.user).filter(pk=entry.get("member")).first()
        if member is None:
            raise PermissionDenied(_("You may no longer import cameras into this member."))
        self.member: Member = member
        if not self.path.is_file():
            self.forget()
            raise Http404(_("This import is unknown or already finished."))

    @staticmethod
    def store(request: HttpRequest, member: Member, upload: Any) -> str:
        folder = import_dir()
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder)
        token = secrets.token_urlsafe(24)
        path = folder / token
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        path.chmod(0o600)
        pending = dict(request.session.get(SESSION_KEY, {}))
        pending[token] = {"member": member.pk, "name": str(upload.name)[:200]}
        request.session[SESSION_KEY] = pending
        return token

    def plan(self) -> ImportPlan:
        data = self.path.read_bytes()
        try:
            return plan_import(data, self.member, self.request.user)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)
        pending = dict(self.request.session.get(SESSION_KEY, {}))
        pending.pop(self.token, None)
        self.request.session[SESSION_KEY] = pending


def _remove_stale(folder: Path) -> None:
    limit = time.time() - STALE_SECONDS
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _may_import(request: HttpRequest) -> QuerySet[Member]:
    members = importable_members(request.user)
    if not members.exists():
        raise PermissionDenied(_("You may not add cameras to any member."))
    return members


class ImportView(LoginRequiredMixin, View):
    """Step one: choose the member and the file."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(members=_may_import(request))
        return self.render_form(form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES, members=_may_import(request))
        if not form.is_valid():
            # HTMX swaps only successful responses: it gets a 200 to show the errors in place.
            return self.render_form(form, status=200 if is_htmx(request) else 400)
        token = PendingImport.store(request, form.cleaned_data["member"], form.cleaned_data["file"])
        url = reverse("camera_import_preview", kwargs={"token": token})
        if is_htmx(request):
            # HTMX shows the preview in place; the address bar still gets its own URL.
            response = preview_response(request, PendingImport(request, token))
            response["HX-Push-Url"] = url
            return response
        return HttpResponseRedirect(url)

    def render_form(self, form: ImportForm, status: int = 200) -> HttpResponse:
        context = {"title": _("Import cameras"), "form": form}
        return render(self.request, "inventory/camera_import.html", context, status=status)


def preview_response(
    request: HttpRequest, pending: PendingImport, plan: ImportPlan | None = None, status: int = 200
) -> HttpResponse:
    plan = plan or pending.plan()
    context = {
        "title": _("Import preview"),
        "pending": pending,
        "plan": plan,
        "counts": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "unchanged": plan.count("unchanged"),
        },
        "rows": [row_view(r) for r in plan.rows],
        "errors": plan.errors,
    }
    return render(request, "inventory/camera_import_preview.html", context, status=status)


def field_label(name: str) -> str:
    try:
        field = Camera._meta.get_field(name)
    except Exception:
        return name
    return capfirst(str(getattr(field, "verbose_name", name)))


def row_view(row: Any) -> dict[str, Any]:
    return {
        "line": row.line,
        "action": row.action,
        "name": row.values.get("name", ""),
        "matched_by": row.matched_by,
        "changes": [
            (field_label(name), _shown(old), _shown(new))
            for name, (old, new) in row.changes.items()
        ],
    }


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


class ImportPreviewView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        return preview_response(request, PendingImport(request, token))


class ImportConfirmView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        pending = PendingImport(request, token)
        plan = pending.plan()
        if not plan.ok:
            messages.error(request, _("The file has errors: nothing was imported."))
            return preview_response(request, pending, plan, status=400)
        try:
            result = apply_import(plan, pending.member, request.user)
        except ImportRefused as exc:
            plan.errors = list(exc.errors)
            messages.error(request, _("The import was refused: nothing was imported."))
            return preview_response(request, pending, plan, status=400)
        except (ValidationError, IsolationError) as exc:
            plan.errors = [RowError(0, "", " ".join(getattr(exc, "messages", [str(exc)])))]
            messages.error(request, _("The import was refused: nothing was imported."))
            return preview_response(request, pending, plan, status=400)
        pending.forget()
        messages.success(
            request,
            _(
                "Import into %(member)s done: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged."
            )
            % {
                "member": pending.member,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        url = reverse("camera_list") + f"?member={pending.member.slug}"
        return HttpResponseRedirect(url)


class ImportCancelView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        PendingImport(request, token).forget()
        messages.info(request, _("The import was cancelled: nothing was written."))
        return HttpResponseRedirect(reverse("camera_import"))
