"""Forms of the member and people pages."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, ClassVar

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import PlainModelForm, grouped_fields
from vigie.core.views import members_allowed
from vigie.tenancy.models import Member, Syndicate, User
from vigie.tenancy.roles import Role


class MemberForm(PlainModelForm):
    fieldsets = [
        (
            _("Member"),
            ["syndicate", "name", "slug", "kind", "insee_code", "departement", "population"],
        ),
        (
            _("Services subscribed"),
            [
                "subscribes_recording",
                "subscribes_supervision",
                "subscribes_analytics",
                "subscribes_servicedesk",
                "subscribes_vigik",
            ],
        ),
    ]

    class Meta:
        model = Member
        fields = [
            "syndicate",
            "name",
            "slug",
            "kind",
            "insee_code",
            "departement",
            "population",
            "subscribes_recording",
            "subscribes_supervision",
            "subscribes_analytics",
            "subscribes_servicedesk",
            "subscribes_vigik",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        syndicate = self.fields["syndicate"]
        assert isinstance(syndicate, forms.ModelChoiceField)
        syndicate.queryset = Syndicate.objects.order_by("name")
        if not self.instance._state.adding:
            # A member does not change syndicate from the web.
            del self.fields["syndicate"]
        else:
            first = syndicate.queryset.first()
            if first is not None and syndicate.queryset.count() == 1:
                self.initial.setdefault("syndicate", first.pk)


# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------


def members_for_people(user: Any) -> tuple[QuerySet[Member], bool]:
    """The members where ``user`` may add people, and whether that is every member.

    The services check the same again: the choices are for comfort, not the guard.
    """
    allowed = members_allowed(user, User, "add")
    members = Member.objects.restrict(user, "view").order_by("name")
    if allowed is not None:
        members = members.filter(pk__in=allowed)
    return members, allowed is None


class RoleFieldsMixin:
    """A role over some members (among those the user may add people to) or over all."""

    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]

    def add_role_fields(self, user: Any) -> None:
        members, everywhere = members_for_people(user)
        # No role is preselected: the first one is the syndicate administrator.
        self.fields["role"] = forms.ChoiceField(
            label=_("Role"), choices=[("", "---------"), *Role.choices]
        )
        self.fields["members"] = forms.ModelMultipleChoiceField(
            label=_("Members"),
            queryset=members,
            required=not everywhere,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("The members the role applies to."),
        )
        ids = list(members.values_list("pk", flat=True)[:2])
        if len(ids) == 1 and not everywhere:
            self.initial.setdefault("members", ids)
        if everywhere:
            self.fields["all_members"] = forms.BooleanField(
                label=_("Every member"),
                required=False,
                help_text=_("The role applies to the whole syndicate, present and future members."),
            )

    def clean_role_fields(self, data: dict[str, Any]) -> None:
        if "members" not in data:
            return  # the members field said what is wrong already
        chosen, every = data.get("members"), data.get("all_members", False)
        if chosen and every:
            raise forms.ValidationError(_("Choose some members or every member, not both."))
        if not chosen and not every:
            raise forms.ValidationError(
                {"members": _("Choose at least one member, or every member.")}
            )


class ViewingStatusMixin:
    """The status is optional in forms: left out, it keeps its value (new people: agent)."""

    fields: Any
    instance: Any
    cleaned_data: dict[str, Any]

    def optional_viewing_status(self) -> None:
        field = self.fields.get("viewing_status")
        if field is not None:
            field.required = False

    def clean_viewing_status(self) -> str:
        return self.cleaned_data.get("viewing_status") or self.instance.viewing_status


class UserProfileForm(ViewingStatusMixin, PlainModelForm):
    """A person's profile; roles, password and activity are changed elsewhere."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "organisation", "viewing_status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.optional_viewing_status()


class UserCreateForm(ViewingStatusMixin, RoleFieldsMixin, PlainModelForm):
    """A new person with a password and one role over some members."""

    fieldsets = [
        (
            _("Person"),
            ["username", "first_name", "last_name", "email", "phone", "organisation"],
        ),
        (_("Viewing images"), ["viewing_status"]),
        (_("Password"), ["password1", "password2"]),
        (_("Role"), ["role", "members", "all_members"]),
    ]

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "organisation",
            "viewing_status",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_role_fields(self.user)
        self.optional_viewing_status()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            # Checked here too so that the message sits on its field (the service checks again).
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        self.clean_role_fields(data)
        return data


class RoleForm(RoleFieldsMixin, forms.Form):
    """One more role for a person."""

    fieldsets: ClassVar[list[tuple[Any, list[str]]]] = []
    scoped_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.add_role_fields(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_role_fields(data)
        return data

    def grouped_fields(self) -> list[tuple[Any, list[forms.BoundField], bool]]:
        return grouped_fields(self)

    def scoped_bound_fields(self) -> list[forms.BoundField]:
        return []
