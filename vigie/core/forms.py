"""Form base classes whose related-object choices are restricted to the acting user.

A ``MemberScopedForm`` offers as owner only the members where the user may add (or
change) this kind of object, and for each field named in ``scoped_fields`` only the
related objects of the chosen member. The model and the services check the same
again at save time: the choices are for the user's comfort, not the only guard.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vigie.core.views import members_allowed


def member_model() -> type[models.Model]:
    from vigie.tenancy.models import Member

    return Member


class DateInput(forms.DateInput):
    """The browser's date picker; ISO format is what it sends and expects."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MemberScopedForm(forms.ModelForm):
    member_field: ClassVar[str] = "member"
    scoped_fields: ClassVar[tuple[str, ...]] = ()
    # (legend, field names): how the template groups the fields; empty means one group.
    fieldsets: ClassVar[list[tuple[Any, list[str]]]] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        model = self._meta.model
        adding = self.instance._state.adding
        allowed = members_allowed(user, model, "add" if adding else "change")
        # The grants name the members the user acts in; a grant over cameras of a member
        # is enough to pick that member as owner, even without a role that shows members.
        members = member_model().objects.unrestricted()  # type: ignore[attr-defined]
        if allowed is not None:
            members = members.filter(pk__in=allowed)
        self.allowed_members: QuerySet[Any] = members
        field = self.fields.get(self.member_field)
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = members
            if allowed is not None:
                # Only an all-members actor may leave an optional owner empty (shared centre).
                field.required = True
            ids = list(members.values_list("pk", flat=True)[:2])
            if adding and len(ids) == 1 and not self.initial.get(self.member_field):
                self.initial[self.member_field] = ids[0]
        self.member_id = self.current_member_id()
        for name in self.scoped_fields:
            if name in self.fields:
                self.scope_field(name)

    def current_member_id(self) -> int | None:
        """The member the form is about now: posted, asked for, or the object's own."""
        raw: Any
        if self.is_bound:
            raw = self.data.get(self.add_prefix(self.member_field))
        elif self.initial.get(self.member_field):
            raw = self.initial[self.member_field]
        else:
            raw = getattr(self.instance, f"{self.member_field}_id", None)
        if isinstance(raw, models.Model):
            raw = raw.pk
        try:
            member_id = int(str(raw))
        except (TypeError, ValueError):
            return None
        return member_id if self.allowed_members.filter(pk=member_id).exists() else None

    def scope_field(self, name: str) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        assert field.queryset is not None
        related: Any = field.queryset.model
        qs = related.objects.restrict(self.user, "view")
        nullable = related._meta.get_field("member").null
        shared = Q(member__isnull=True) if nullable else Q(pk__in=[])
        if self.member_id is not None:
            field.queryset = qs.filter(Q(member_id=self.member_id) | shared)
        else:
            field.queryset = qs.filter(Q(member__in=self.allowed_members) | shared).select_related(
                "member"
            )
            # Several members are possible: say whose each choice is.
            field.label_from_instance = _with_member  # type: ignore[method-assign]

    def grouped_fields(self) -> list[tuple[Any, list[forms.BoundField], bool]]:
        return grouped_fields(self)

    def scoped_bound_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.scoped_fields if n in self.fields]


def grouped_fields(form: Any) -> list[tuple[Any, list[forms.BoundField], bool]]:
    """(legend, plain fields, whether the member-scoped fields follow) for each fieldset."""
    groups = form.fieldsets or [("", list(form.fields))]
    out = []
    for legend, names in groups:
        plain = [form[n] for n in names if n in form.fields and n not in form.scoped_fields]
        scoped = any(n in form.scoped_fields and n in form.fields for n in names)
        out.append((legend, plain, scoped))
    return out


def _with_member(obj: Any) -> str:
    member = getattr(obj, "member", None)
    return f"{member} — {obj}" if member is not None else str(obj)


class PlainModelForm(forms.ModelForm):
    """A model form that accepts (and keeps) the acting user like the scoped one."""

    fieldsets: ClassVar[list[tuple[Any, list[str]]]] = []
    scoped_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def grouped_fields(self) -> list[tuple[Any, list[forms.BoundField], bool]]:
        return grouped_fields(self)

    def scoped_bound_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.scoped_fields if n in self.fields]


# What the browser's datetime-local control sends (with or without seconds).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def local_datetime_field(label: Any) -> forms.DateTimeField:
    """A date and time typed in the server's zone (Europe/Paris), read as such."""
    return forms.DateTimeField(
        label=label,
        input_formats=LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMATS[0]),
        help_text=_("Local time (Europe/Paris)."),
    )
