"""Generic, declarative views in the NetBox manner.

A concrete view only names its model, filter set, form, columns and template; the base
classes here do the rest: they read through ``Model.objects.restrict(user, action)``
with the action the request needs, write only through the services, and turn a
ValidationError into form errors and an IsolationError into a refusal (403), so that a
forbidden write is never a 500 and writes nothing.

Not found and not allowed are told apart the NetBox way: an object the user may not
even *view* does not exist for them (404); one they may view but not change is a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.module_loading import autodiscover_modules
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_filters import FilterSet

from vigie.core import actors, throttle
from vigie.core import services as core_services
from vigie.core.middleware import client_address
from vigie.core.models import IsolationError, RestrictedModel

# ---------------------------------------------------------------------------
# Permissions as the UI needs them (what to show, what to refuse)
# ---------------------------------------------------------------------------


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def members_allowed(user: Any, model: type[models.Model], action: str) -> frozenset[int] | None:
    """Members where ``user`` may do ``action`` on ``model`` (None: every member)."""
    actor = actors.as_actor(user)
    if actor is None:
        return frozenset()
    if actor.system:
        return None
    return actor.grants().member_ids(label_of(model), action)


def may(user: Any, model: type[models.Model], action: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``action`` on ``obj`` or, without one, on some ``model``."""
    if obj is not None:
        return bool(model.objects.restrict(user, action).filter(pk=obj.pk).exists())  # type: ignore[attr-defined]
    allowed = members_allowed(user, model, action)
    return allowed is None or bool(allowed)


def object_url(obj: models.Model, verb: str = "detail") -> str | None:
    """URL of ``<model_name>_<verb>`` for this object, or None when the UI has none."""
    try:
        return reverse(f"{obj._meta.model_name}_{verb}", kwargs={"pk": obj.pk})
    except NoReverseMatch:
        return None


def model_url(model: type[models.Model], verb: str) -> str | None:
    try:
        return reverse(f"{model._meta.model_name}_{verb}")
    except NoReverseMatch:
        return None


def is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    if request.headers.get("HX-Request") != "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


# ---------------------------------------------------------------------------
# Columns: how a list or a detail page shows one attribute
# ---------------------------------------------------------------------------

EMPTY = "—"


def display_value(obj: Any, path: str) -> Any:
    """Follow a dotted path, preferring ``get_FOO_display`` for fields with choices."""
    parts = path.split(".")
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    last = parts[-1]
    getter = getattr(obj, f"get_{last}_display", None)
    if callable(getter):
        return getter() if getattr(obj, last, None) not in (None, "") else None
    value = getattr(obj, last, None)
    return value() if callable(value) and not isinstance(value, models.Manager) else value


def format_value(value: Any) -> Any:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, models.Model):
        url = object_url(value)
        return format_html('<a href="{}">{}</a>', url, value) if url else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or EMPTY
    return localize(value)


@dataclass
class Column:
    """One attribute shown in a table (list) or a row of a detail page.

    ``name`` is a dotted attribute path; ``render`` replaces the default display;
    ``link`` makes the cell a link to the object's detail page; ``sort`` is the
    ordering key (default: the name when it is a concrete field; "" to disable).
    """

    name: str
    label: Any = None
    link: bool = False
    render: Callable[[Any], Any] | None = None
    sort: str | None = None
    css: str = ""

    def header(self, model: type[models.Model]) -> str:
        if self.label is not None:
            return str(self.label)
        field = _field_for(model, self.name)
        return capfirst(str(field.verbose_name)) if field is not None else self.name

    def sort_key(self, model: type[models.Model]) -> str:
        if self.sort is not None:
            return self.sort
        field = _field_for(model, self.name)
        return self.name.replace(".", "__") if field is not None and field.concrete else ""

    def cell(self, obj: Any) -> Any:
        value = self.render(obj) if self.render else format_value(display_value(obj, self.name))
        if self.link:
            url = object_url(obj)
            if url:
                return format_html('<a href="{}">{}</a>', url, value)
        return value


def _field_for(model: type[models.Model], path: str) -> Any:
    current: Any = model
    field = None
    for part in path.split("."):
        try:
            field = current._meta.get_field(part)
        except Exception:
            return None
        current = getattr(field, "related_model", None)
        if current is None:
            break
    return field


def badge(text: Any, kind: str) -> SafeString:
    return format_html('<span class="badge badge-{}">{}</span>', kind, text)


# ---------------------------------------------------------------------------
# Base views
# ---------------------------------------------------------------------------


class ObjectView(LoginRequiredMixin, View):
    """Common ground: the model, and its querysets restricted for the action asked."""

    model: ClassVar[type[RestrictedModel]]
    select_related: ClassVar[tuple[str, ...]] = ()
    prefetch_related: ClassVar[tuple[str, ...]] = ()
    template_name: ClassVar[str] = ""
    # "Add a camera": said per model, as French articles follow the noun's gender.
    add_label: ClassVar[Any] = None

    def get_queryset(self, action: str = "view") -> QuerySet[Any]:
        # Built per request: a class-level queryset would be restricted to whoever
        # acted at import time (nobody), and then always be empty.
        qs = self.model.objects.restrict(self.request.user, action)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def get_object(self, action: str = "view", **kwargs: Any) -> Any:
        """The object if the user may ``action`` it; 404 if hidden, 403 if only viewable."""
        obj = get_object_or_404(self.get_queryset("view"), pk=kwargs["pk"])
        if action != "view" and not may(self.request.user, self.model, action, obj):
            raise PermissionDenied(_("You may not do this to “%(obj)s”.") % {"obj": obj})
        return obj

    def base_context(self) -> dict[str, Any]:
        meta = self.model._meta
        return {
            "model_name": meta.model_name,
            "verbose_name": meta.verbose_name,
            "verbose_name_plural": meta.verbose_name_plural,
            "list_url": model_url(self.model, "list"),
            "add_label": self.add_label or _("Add"),
        }


class ObjectListView(ObjectView):
    """A filtered, sortable, paginated table; HTMX requests get only the results."""

    filterset: ClassVar[type[FilterSet] | None] = None
    columns: ClassVar[Sequence[Column]] = ()
    template_name = "core/object_list.html"
    results_template: ClassVar[str] = "core/_results.html"
    results_target: ClassVar[str] = "results"
    default_sort: ClassVar[str] = ""
    # Multiple-choice filters with at most this many choices are shown as checkboxes.
    checkbox_limit: ClassVar[int] = 8
    # Filters the API offers but the page leaves out (the search box covers them).
    hidden_filters: ClassVar[tuple[str, ...]] = ()

    def get(self, request: HttpRequest) -> HttpResponse:
        if not may(request.user, self.model, "view"):
            raise PermissionDenied(_("Your roles do not let you see this list."))
        queryset = self.get_queryset("view")
        filter_form: forms.Form | None = None
        if self.filterset is not None:
            filterset = self.filterset(request.GET or None, queryset=queryset, request=request)
            filter_form = filterset.form
            self.tune_filter_form(filter_form)
            # A filter that does not validate shows its error and no results rather
            # than silently ignoring it and showing everything.
            if filterset.is_bound:
                queryset = filterset.qs if filterset.is_valid() else queryset.none()
        queryset, sort = self.sorted(request, queryset)
        page = self.paginate(request, queryset)
        context = {
            **self.base_context(),
            "title": capfirst(self.model._meta.verbose_name_plural),
            "filter_form": filter_form,
            "headers": self.headers(request, sort),
            "rows": [self.row(obj) for obj in page.object_list],
            "page": page,
            "paginator": page.paginator,
            "query_without_page": _query_without(request.GET, "page"),
            "add_url": model_url(self.model, "add") if self.may_add(request) else None,
            "results_target": self.results_target,
            **self.extra_context(request),
        }
        partial = is_htmx(request, self.results_target)
        template = self.results_template if partial else self.template_name
        response = render(request, template, context)
        # The same URL answers a page or a fragment: caches must tell them apart.
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    def extra_context(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def may_add(self, request: HttpRequest) -> bool:
        return may(request.user, self.model, "add")

    def tune_filter_form(self, form: forms.Form) -> None:
        for name in self.hidden_filters:
            form.fields.pop(name, None)
        tune_filter_form(form, self.checkbox_limit)

    def sorted(self, request: HttpRequest, qs: QuerySet[Any]) -> tuple[QuerySet[Any], str]:
        allowed = {c.sort_key(self.model) for c in self.columns} - {""}
        sort = request.GET.get("sort", "")
        if sort.lstrip("-") in allowed:
            return qs.order_by(sort, "pk"), sort
        if self.default_sort:
            return qs.order_by(self.default_sort, "pk"), ""
        return qs, ""

    def paginate(self, request: HttpRequest, qs: QuerySet[Any]) -> Page:
        return Paginator(qs, settings.VIGIE_PAGE_SIZE).get_page(request.GET.get("page"))

    def headers(self, request: HttpRequest, sort: str) -> list[dict[str, Any]]:
        base = _query_without(request.GET, "page", "sort")
        out = []
        for column in self.columns:
            key = column.sort_key(self.model)
            header: dict[str, Any] = {"label": column.header(self.model)}
            if key:
                ascending = sort == key
                header["sort"] = (
                    "ascending" if ascending else "descending" if sort == f"-{key}" else ""
                )
                target = f"-{key}" if ascending else key
                header["url"] = f"?{base}&sort={target}" if base else f"?sort={target}"
            out.append(header)
        return out

    def row(self, obj: Any) -> dict[str, Any]:
        return {
            "object": obj,
            "cells": [(c.cell(obj), c.css) for c in self.columns],
            "css": self.row_class(obj),
        }

    def row_class(self, obj: Any) -> str:
        return ""


def tune_filter_form(form: forms.Form, checkbox_limit: int = 8) -> None:
    """Make a filter form easy by mouse, keyboard and at a distance.

    Short multiple choices become checkboxes, yes/no filters say "all" rather than
    "unknown", dates get the date picker, and the search box comes first.
    """
    for field in form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            queryset = field.queryset
            if queryset is not None and queryset.count() <= checkbox_limit:
                field.widget = forms.CheckboxSelectMultiple()
                field.widget.choices = field.choices
        elif isinstance(field, forms.MultipleChoiceField):
            choices = list(field.choices)  # type: ignore[arg-type]
            if len(choices) <= checkbox_limit:
                field.widget = forms.CheckboxSelectMultiple(choices=choices)
        elif isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(
                choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]
            )
        elif isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        widget = field.widget
        if isinstance(field, forms.CharField) and isinstance(widget, forms.TextInput):
            widget.input_type = "search"
            widget.attrs.setdefault("maxlength", "100")
    if "q" in form.fields:
        form.fields = {"q": form.fields.pop("q"), **form.fields}


def _query_without(query: QueryDict, *names: str) -> str:
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


class ObjectDetailView(ObjectView):
    """One object, its attributes as declared in ``fields``, and what the user may do."""

    fields: ClassVar[Sequence[Column]] = ()
    template_name = "core/object_detail.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("view", pk=pk)
        user = request.user
        context = {
            **self.base_context(),
            "object": obj,
            "title": str(obj),
            "attributes": [(f.header(self.model), f.cell(obj)) for f in self.fields],
            "edit_url": object_url(obj, "edit") if may(user, self.model, "change", obj) else None,
            "delete_url": object_url(obj, "delete")
            if may(user, self.model, "delete", obj)
            else None,
            **self.extra_context(request, obj),
        }
        return render(request, self.template_name, context)

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}


class ObjectEditView(ObjectView):
    """Add (no ``pk``) or change an object through a form and the services.

    The form receives ``user`` so that its related-object choices are restricted to
    what the user may reach. ``write`` saves through the services; override it to
    call an app's own service.
    """

    form_class: ClassVar[type[forms.ModelForm]]
    template_name = "core/object_edit.html"

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.object_for(pk)
        # Values in the query string pre-fill the form (``?member=3``), and carry what was
        # typed when the member changes without JavaScript (the "update choices" button).
        initial = initial_from_query(request.GET, self.form_class)
        form = self.form_class(instance=obj, user=request.user, initial=initial)  # type: ignore[call-arg]
        if is_htmx(request, "member-scoped"):
            # The member changed: send back only the fields whose choices depend on it.
            response = render(request, "core/_member_scoped.html", {"form": form})
        else:
            response = self.render_form(form, obj)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = self.object_for(pk)
        form = self.form_class(request.POST, request.FILES, instance=obj, user=request.user)  # type: ignore[call-arg]
        if not form.is_valid():
            return self.render_form(form, obj, status=400)
        try:
            saved = self.write(form)
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.render_form(form, obj, status=400)
        except IsolationError as exc:
            # The services refused and rolled back: say so on the form, with a 403.
            form.add_error(None, isolation_message(exc))
            return self.render_form(form, obj, status=403)
        messages.success(request, _("“%(obj)s”: saved.") % {"obj": saved})
        return HttpResponseRedirect(object_url(saved) or model_url(self.model, "list") or "/")

    def object_for(self, pk: int | None) -> Any:
        if pk is None:
            if not may(self.request.user, self.model, "add"):
                raise PermissionDenied(_("You may not add this kind of object."))
            return self.model()
        return self.get_object("change", pk=pk)

    def write(self, form: forms.ModelForm) -> Any:
        obj = form.save(commit=False)
        m2m = {
            name: form.cleaned_data[name]
            for name, field in form.fields.items()
            if isinstance(field, forms.ModelMultipleChoiceField) and name in form.cleaned_data
        }
        return core_services.save(obj, m2m=m2m or None)

    def render_form(self, form: forms.ModelForm, obj: Any, status: int = 200) -> HttpResponse:
        adding = obj.pk is None or obj._state.adding
        title = (self.add_label or _("Add")) if adding else _("Edit “%(obj)s”") % {"obj": obj}
        member = form.fields.get("member")
        if member is not None and getattr(form, "scoped_fields", None):
            # With JavaScript, changing the member refreshes only the choices that follow it.
            member.widget.attrs.update(
                {
                    "hx-get": self.request.path,
                    "hx-trigger": "change",
                    "hx-target": "#member-scoped",
                    "hx-swap": "outerHTML",
                }
            )
        context = {
            **self.base_context(),
            "form": form,
            "object": None if adding else obj,
            "title": title,
            "cancel_url": (None if adding else object_url(obj)) or model_url(self.model, "list"),
        }
        return render(self.request, self.template_name, context, status=status)


def initial_from_query(query: QueryDict, form_class: type[forms.BaseForm]) -> dict[str, Any]:
    """Initial values from the query string (``?member=3``), for the form's own fields."""
    fields: dict[str, forms.Field] = getattr(form_class, "base_fields", {})
    initial: dict[str, Any] = {}
    for name in query:
        field = fields.get(name)
        if field is None:
            continue
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            initial[name] = [v[:100] for v in query.getlist(name)[:500]]
        else:
            initial[name] = query.get(name, "")[:500]
    return initial


def isolation_message(exc: IsolationError) -> str:
    """The services' refusals are in English for the logs; the form says it in the UI's words."""
    return _("Refused: this would put the object outside what you may manage. Nothing was saved.")


def add_validation_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Attach a model or service ValidationError to the fields it names, else to the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields and name != NON_FIELD_ERRORS else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class ObjectActionView(ObjectView):
    """One form about one object, on a page of its own, handed to a service.

    ``make_form`` builds the form and ``apply`` does the work, returning the success
    message and the page to go to. A POST whose form does not validate, or whose work
    the service refuses, shows the form again with why (400); a change outside the
    user's reach shows it too (403). Templates extend ``core/object_action.html``."""

    action = "change"
    template_name = "core/object_action.html"
    title: Any = ""
    submit: Any = gettext_lazy("Save")

    def make_form(self, obj: Any, data: Any = None) -> forms.BaseForm:
        raise NotImplementedError

    def apply(self, obj: Any, form: Any) -> tuple[str, str]:
        raise NotImplementedError

    def page_title(self, obj: Any) -> str:
        return f"{self.title} — {obj}"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object(self.action, pk=pk)
        return self.page(obj, self.make_form(obj))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object(self.action, pk=pk)
        form = self.make_form(obj, request.POST)
        if not form.is_valid():
            return self.page(obj, form, status=400)
        try:
            message, url = self.apply(obj, form)
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.page(obj, form, status=400)
        except (IsolationError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
            return self.page(obj, form, status=403)
        messages.success(request, message)
        return HttpResponseRedirect(url)

    def page(self, obj: Any, form: forms.BaseForm, status: int = 200) -> HttpResponse:
        context = {
            **self.base_context(),
            "object": obj,
            "form": form,
            "title": self.page_title(obj),
            "submit": self.submit,
            "cancel_url": object_url(obj),
        }
        return render(self.request, self.template_name, context, status=status)


class ObjectDeleteView(ObjectView):
    """Confirm, then delete through the services; an object still in use is refused."""

    template_name = "core/object_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("delete", pk=pk)
        return render(request, self.template_name, self.context(obj))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_object("delete", pk=pk)
        try:
            core_services.delete(obj)
        except ValidationError as exc:
            context = {**self.context(obj), "errors": exc.messages}
            return render(request, self.template_name, context, status=400)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("“%(obj)s”: deleted.") % {"obj": obj})
        return HttpResponseRedirect(model_url(self.model, "list") or "/")

    def context(self, obj: Any) -> dict[str, Any]:
        return {
            **self.base_context(),
            "object": obj,
            "title": _("Delete “%(obj)s”?") % {"obj": obj},
            "cancel_url": object_url(obj) or model_url(self.model, "list"),
        }


# ---------------------------------------------------------------------------
# Home dashboard: panels contributed by apps (``<app>/dashboard.py``)
# ---------------------------------------------------------------------------


@dataclass
class Panel:
    """A block of the home page: ``context(request)`` returns the template's context,
    or None when the panel has nothing to show to this user."""

    name: str
    template: str
    context: Callable[[HttpRequest], Mapping[str, Any] | None]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    _PANELS[panel.name] = panel
    return panel


def panels() -> Iterable[Panel]:
    autodiscover_modules("dashboard")
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


class HomeView(LoginRequiredMixin, View):
    template_name = "core/home.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        shown = []
        for panel in panels():
            context = panel.context(request)
            if context is not None:
                shown.append({"template": panel.template, "context": context})
        return render(request, self.template_name, {"title": _("Dashboard"), "panels": shown})


class LoginView(auth_views.LoginView):
    """Django's login, with failures counted (vigie.core.throttle): past the limit the
    form answers 429 whatever the password."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))
        address = client_address(request)
        if throttle.blocked(username, address):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, _("Too many failed attempts: try again in a quarter of an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.succeeded(username, address)
        else:
            throttle.failed(username, address)
        return response
