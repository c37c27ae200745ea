"""Member pages: list, detail (with what the user may see of its inventory), add, edit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.views import (
    Column,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    members_allowed,
)
from vigie.tenancy import services
from vigie.tenancy.filters import MemberFilter
from vigie.tenancy.forms import MemberForm
from vigie.tenancy.models import Member


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
