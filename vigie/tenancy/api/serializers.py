"""API representation of members and people; the CLI's ``--json`` uses the same names."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vigie.core.api import RestrictedSlugRelatedField, ServiceModelSerializer, requester
from vigie.tenancy import services
from vigie.tenancy.models import Member, RoleAssignment, Syndicate, User
from vigie.tenancy.roles import Role


class MemberSerializer(ServiceModelSerializer):
    syndicate = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Syndicate.objects.all(),
        required=False,
        help_text=_("Slug of the syndicate; may be left out when there is only one."),
    )

    class Meta:
        model = Member
        fields = [
            "id",
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
            "created",
        ]
        read_only_fields = ["created"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "syndicate" not in attrs:
            syndicates = list(Syndicate.objects.all()[:2])
            if len(syndicates) != 1:
                raise serializers.ValidationError({"syndicate": [_("Give the syndicate's slug.")]})
            attrs["syndicate"] = syndicates[0]
        return attrs

    def write(self, instance: Any, m2m: dict[str, Any]) -> Any:
        return services.save_member(instance)


class RoleSerializer(serializers.Serializer):
    """One role a person holds, over some members or over every member."""

    role = serializers.ChoiceField(choices=Role.choices)
    members = serializers.ListField(child=serializers.SlugField())
    all_members = serializers.BooleanField()


# Fields a client may send when creating a person but not when changing one.
_ROLES_ELSEWHERE = _("Roles are added and removed at /api/v1/users/{id}/roles/.")
NOT_ON_UPDATE: dict[str, Any] = {
    "username": _("A username cannot be changed."),
    "password": _("A password cannot be changed through the API."),
    "role": _ROLES_ELSEWHERE,
    "members": _ROLES_ELSEWHERE,
    "all_members": _ROLES_ELSEWHERE,
    "roles": _ROLES_ELSEWHERE,
    "is_active": _("Deactivate with DELETE, reactivate with POST …/reactivate/."),
}


def role_data(assignment: RoleAssignment, visible: set[int] | None) -> dict[str, Any]:
    members = sorted(
        (m for m in assignment.members.all() if visible is None or m.pk in visible),
        key=lambda m: m.slug,
    )
    return {
        "role": assignment.role,
        "members": [m.slug for m in members],
        "all_members": assignment.all_members,
    }


class UserSerializer(serializers.ModelSerializer):
    """A person; on creation, one role over some members (or every member)."""

    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=128,
        style={"input_type": "password"},
        help_text=_("Leave out for an account that cannot log in with a password."),
    )
    role = serializers.ChoiceField(choices=Role.choices, write_only=True, required=False)
    members = RestrictedSlugRelatedField(
        slug_field="slug", queryset=Member.objects, many=True, write_only=True, required=False
    )
    all_members = serializers.BooleanField(write_only=True, required=False, default=False)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "phone",
            "organisation",
            "is_active",
            "roles",
            "password",
            "role",
            "members",
            "all_members",
        ]
        read_only_fields = ["is_active"]

    @extend_schema_field(RoleSerializer(many=True))
    def get_roles(self, obj: User) -> list[dict[str, Any]]:
        visible = self._visible_member_ids()
        return [role_data(a, visible) for a in obj.role_assignments.all()]

    def _visible_member_ids(self) -> set[int] | None:
        # A person's roles may reach members the reader may not see: show only the others.
        if not hasattr(self, "_visible"):
            who = requester(self.context)
            self._visible = set(Member.objects.restrict(who, "view").values_list("pk", flat=True))
        return self._visible

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            # Only the profile changes here; say so rather than silently ignore the rest.
            sent = set(getattr(self, "initial_data", None) or ())
            refused = {k: [str(v)] for k, v in NOT_ON_UPDATE.items() if k in sent}
            if refused:
                raise serializers.ValidationError(refused)
            return attrs
        if attrs.get("role") is None and (attrs.get("members") or attrs.get("all_members")):
            raise serializers.ValidationError({"role": [_("Give the role for these members.")]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> User:
        data = dict(validated_data)
        try:
            return services.create_user(
                data.pop("username"),
                data.pop("password", None) or None,
                role=data.pop("role", None),
                members=data.pop("members", []),
                all_members=data.pop("all_members", False),
                **data,
            )
        except DjangoValidationError as exc:
            # Password validators raise a bare list: attach it to the password field.
            if not hasattr(exc, "error_dict"):
                raise DjangoValidationError({"password": exc.messages}) from exc
            raise

    def update(self, instance: User, validated_data: dict[str, Any]) -> User:
        profile = {k: v for k, v in validated_data.items() if k in services.PROFILE_FIELDS}
        return services.update_user(instance, **profile)


class UserProfileSerializer(UserSerializer):
    """What ``PATCH /users/{id}/`` accepts: the profile only. Roles have their own
    endpoint, deactivation is ``DELETE``, and the username never changes."""

    class Meta(UserSerializer.Meta):
        fields = ["id", "username", *services.PROFILE_FIELDS, "is_active", "roles"]
        read_only_fields = ["username", "is_active"]


class RoleAssignmentSerializer(serializers.Serializer):
    """One role of a person, with its id (to remove it); written as role + members."""

    id = serializers.IntegerField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)
    members = RestrictedSlugRelatedField(
        slug_field="slug",
        queryset=Member.objects,
        many=True,
        required=False,
        help_text=_("Slugs of the members the role applies to."),
    )
    all_members = serializers.BooleanField(
        required=False, default=False, help_text=_("The role applies to every member.")
    )

    def to_representation(self, instance: RoleAssignment) -> dict[str, Any]:
        if not hasattr(self, "_visible"):
            who = requester(self.context)
            self._visible = set(Member.objects.restrict(who, "view").values_list("pk", flat=True))
        return {"id": instance.pk, **role_data(instance, self._visible)}
