"""Member pages (list, detail with what the user may see of its inventory, add, edit) and
people pages (list, detail with roles, add, edit, deactivate/reactivate, add/remove role)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from vigie.core.models import IsolationError
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
from vigie.tenancy import services
from vigie.tenancy.filters import MemberFilter, UserFilter
from vigie.tenancy.forms import MemberForm, RoleForm, UserCreateForm, UserProfileForm
from vigie.tenancy.models import Member, RoleAssignment, User


class MemberListFilter(MemberFilter):
    class Meta(MemberFilter.Meta):
        fields = ["kind", "departement"]


def services_cell(member: Member) -> str:
    return ", ".join(member.subscribed_services()) or "—"


class MemberListView(ObjectListView):
    model = Member
    add_label = gettext_lazy("Add a member")
    filterset = MemberListFilter
    columns = (
        Column("name", link=True),
        Column("kind"),
        Column("insee_code"),
        Column("departement"),
        Column("population"),
        Column("services", label=gettext_lazy("Services"), render=services_cell, sort=""),
    )

    def may_add(self, request: HttpRequest) -> bool:
        return members_allowed(request.user, Member, "add") is None


class MemberDetailView(ObjectDetailView):
    model = Member
    template_name = "tenancy/member_detail.html"
    fields = (
        Column("syndicate"),
        Column("slug"),
        Column("kind"),
        Column("insee_code"),
        Column("departement"),
        Column("population"),
        Column("services", label=gettext_lazy("Services"), render=services_cell),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        # Counted through each model's own restriction: seeing a member does not mean
        # seeing its cameras (a judicial officer sees members, not cameras).
        from django.apps import apps

        inventory = []
        for label, url_name in (
            ("inventory.Site", "site_list"),
            ("inventory.Camera", "camera_list"),
            ("inventory.Authorisation", "authorisation_list"),
            ("inventory.TransportLink", "transportlink_list"),
        ):
            model = apps.get_model(label)
            qs = model.objects.restrict(request.user, "view")
            if not qs.exists():
                continue
            inventory.append(
                {
                    "label": str(model._meta.verbose_name_plural).capitalize(),
                    "count": qs.filter(member=obj).count(),
                    "url": reverse(url_name) + f"?member={obj.slug}",
                }
            )
        return {"inventory": inventory}


class MemberEditView(ObjectEditView):
    model = Member
    add_label = gettext_lazy("Add a member")
    form_class = MemberForm

    def object_for(self, pk: int | None) -> Any:
        # A new member is outside any member-scoped reach: only an all-members role adds one.
        if pk is None and members_allowed(self.request.user, Member, "add") is not None:
            raise PermissionDenied(_("Only an administrator of the whole syndicate adds members."))
        return super().object_for(pk)

    def write(self, form: Any) -> Any:
        return services.save_member(form.save(commit=False))


# ---------------------------------------------------------------------------
# People. ``User`` is not a RestrictedModel: reads go through
# ``User.objects.restrict(request.user, action)`` (ObjectView.get_queryset), and every
# change through ``tenancy.services``, whose checks are the isolation for people.
# ---------------------------------------------------------------------------


def role_label(assignment: RoleAssignment) -> str:
    """The label of a role, e.g. "Town viewer — Antony, Sceaux". The members come through
    Member's default manager, restricted to the acting person: another town is never named."""
    if assignment.all_members:
        scope = _("every member")
    else:
        scope = ", ".join(m.name for m in assignment.members.all()) or "—"
    return f"{assignment.get_role_display()} — {scope}"


def roles_cell(user: User) -> str:
    return "; ".join(role_label(a) for a in user.role_assignments.all()) or "—"


def full_name(user: User) -> str:
    return user.get_full_name() or EMPTY


def active_badge(user: User) -> SafeString:
    if user.is_active:
        return badge(pgettext("person", "Active"), "ok")
    return badge(pgettext("person", "Deactivated"), "muted")


class PersonView(ObjectView):
    model = User  # type: ignore[assignment]

    def managed_object(self, action: str, **kwargs: Any) -> User:
        """The person if visible (else 404) and manageable for ``action`` (else 403)."""
        person: User = self.get_object(action, **kwargs)
        try:
            services.check_may_manage(person, action)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        return person


class UserListView(PersonView, ObjectListView):
    add_label = gettext_lazy("Add a person")
    filterset = UserFilter
    prefetch_related = ("role_assignments__members",)
    default_sort = "username"
    columns = (
        Column("username", link=True),
        Column("full_name", label=gettext_lazy("Name"), render=full_name, sort="last_name"),
        Column("email"),
        Column("organisation"),
        Column("roles", label=gettext_lazy("Roles"), render=roles_cell, sort=""),
        Column("is_active", render=active_badge),
    )


class UserDetailView(PersonView, ObjectDetailView):
    template_name = "tenancy/user_detail.html"
    prefetch_related = ("role_assignments__members",)
    fields = (
        Column("username"),
        Column("first_name"),
        Column("last_name"),
        Column("email"),
        Column("phone"),
        Column("organisation"),
        Column("is_active", render=active_badge),
        Column("last_login"),
        Column("date_joined"),
    )

    def extra_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        may_change = services.may_manage(obj, "change")
        own = obj.pk == request.user.pk
        return {
            # The services decide, not the bare grant: they also want every member the
            # person's roles reach to be one the viewer manages.
            "edit_url": object_url(obj, "edit") if may_change else None,
            "delete_url": None,
            "deactivate_url": object_url(obj, "deactivate")
            if obj.is_active and not own and services.may_manage(obj, "delete")
            else None,
            "reactivate_url": object_url(obj, "reactivate")
            if not obj.is_active and may_change
            else None,
            "role_add_url": object_url(obj, "role_add") if may_change else None,
            "roles": [
                (a, role_label(a)) for a in sorted(obj.role_assignments.all(), key=lambda a: a.pk)
            ],
            "may_change": may_change,
            "out_of_reach": not may_change and may(request.user, User, "change"),
        }


class UserAddView(PersonView, ObjectEditView):
    add_label = gettext_lazy("Add a person")
    form_class = UserCreateForm

    def write(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.create_user(
            data["username"],
            data["password1"],
            role=data["role"],
            members=data["members"],
            all_members=data.get("all_members", False),
            **{name: data[name] for name in services.PROFILE_FIELDS},
        )


class UserEditView(PersonView, ObjectEditView):
    form_class = UserProfileForm

    def object_for(self, pk: int | None) -> Any:
        if pk is None:
            raise PermissionDenied(_("Add people with the form for a new person."))
        return self.managed_object("change", pk=pk)

    def write(self, form: Any) -> Any:
        data = form.cleaned_data
        return services.update_user(
            form.instance, **{name: data[name] for name in services.PROFILE_FIELDS}
        )


class UserDeactivateView(PersonView):
    """Confirm, then deactivate: the person can no longer log in; their API token goes."""

    template_name = "tenancy/user_deactivate.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.managed_object("delete", pk=pk)
        errors = []
        # The same refusals as the service's, said before the person confirms.
        if person.pk == request.user.pk:
            errors.append(
                _(
                    "You cannot deactivate yourself: another administrator must do it, so that "
                    "nobody locks themselves out by mistake."
                )
            )
        elif not person.is_active:
            errors.append(_("“%(user)s” is already deactivated.") % {"user": person})
        return self.confirm(person, errors)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.managed_object("delete", pk=pk)
        try:
            services.deactivate_user(person)
        except ValidationError as exc:
            return self.confirm(person, exc.messages, status=400)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("“%(obj)s”: deactivated.") % {"obj": person})
        return HttpResponseRedirect(object_url(person) or "/")

    def confirm(self, person: User, errors: list[str], status: int = 200) -> HttpResponse:
        context = {
            **self.base_context(),
            "object": person,
            "title": _("Deactivate “%(obj)s”?") % {"obj": person},
            "errors": errors,
            "cancel_url": object_url(person),
        }
        return render(self.request, self.template_name, context, status=status)


class UserReactivateView(PersonView):
    """POST only: let a deactivated person log in again."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.managed_object("change", pk=pk)
        try:
            services.reactivate_user(person)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("“%(obj)s”: reactivated.") % {"obj": person})
        return HttpResponseRedirect(object_url(person) or "/")


class UserRoleAddView(PersonView):
    """One more role for a person, over members where the user may add people."""

    template_name = "core/object_edit.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.managed_object("change", pk=pk)
        return self.render_form(RoleForm(user=request.user), person)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self.managed_object("change", pk=pk)
        form = RoleForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form, person, status=400)
        data = form.cleaned_data
        try:
            services.add_role(
                person,
                data["role"],
                data["members"],
                all_members=data.get("all_members", False),
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
            return self.render_form(form, person, status=400)
        except IsolationError as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, person, status=403)
        messages.success(request, _("“%(obj)s”: role added.") % {"obj": person})
        return HttpResponseRedirect(object_url(person) or "/")

    def render_form(self, form: RoleForm, person: User, status: int = 200) -> HttpResponse:
        context = {
            **self.base_context(),
            "form": form,
            "object": person,
            "title": _("Add a role to “%(obj)s”") % {"obj": person},
            "cancel_url": object_url(person),
        }
        return render(self.request, self.template_name, context, status=status)


class UserRoleRemoveView(PersonView):
    """POST only: remove one of the person's roles (not one's own last administrator role)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
        person = self.managed_object("change", pk=pk)
        assignment = get_object_or_404(RoleAssignment.objects.filter(user=person), pk=assignment_id)
        label = role_label(assignment)
        try:
            services.revoke_role(assignment)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except IsolationError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Role removed: %(role)s.") % {"role": label})
        return HttpResponseRedirect(object_url(person) or "/")
