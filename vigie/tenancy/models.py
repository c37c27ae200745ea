"""The syndicate, its members, the people who use Vigie and what they may do."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.core.grants import ACTIONS, freeze_constraints
from vigie.core.models import RestrictedModel, RestrictedQuerySet
from vigie.tenancy.roles import Role

insee_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3}|\d{2}|2[AB]|97\d|\d{9})$",
    _("Enter an INSEE code (5 characters for a town, 2–3 for a département) or a SIREN."),
)
departement_validator = RegexValidator(r"^(\d{2}|2[AB]|97\d)$", _("Enter a département code."))


class Syndicate(models.Model):
    """The body that runs the shared centre; one per installation in practice."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    siren = models.CharField(
        _("SIREN"), max_length=9, blank=True, validators=[RegexValidator(r"^\d{9}$")]
    )
    departement = models.CharField(
        _("département"), max_length=3, blank=True, validators=[departement_validator]
    )

    class Meta:
        verbose_name = _("syndicate")
        verbose_name_plural = _("syndicates")

    def __str__(self) -> str:
        return self.name


class MemberKind(models.TextChoices):
    TOWN = "town", _("Town (commune)")
    EPCI = "epci", _("EPCI")
    DEPARTEMENT = "departement", _("Département")


class Member(RestrictedModel):
    """A town, EPCI or département that belongs to the syndicate and owns its cameras."""

    member_path: ClassVar[str] = "pk"

    syndicate = models.ForeignKey(
        Syndicate, on_delete=models.PROTECT, related_name="members", verbose_name=_("syndicate")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MemberKind, default=MemberKind.TOWN)
    insee_code = models.CharField(
        _("INSEE code"), max_length=9, blank=True, validators=[insee_validator]
    )
    departement = models.CharField(
        _("département"), max_length=3, blank=True, validators=[departement_validator]
    )
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True, validators=[MaxValueValidator(20_000_000)]
    )
    subscribes_recording = models.BooleanField(_("recording"), default=True)
    subscribes_supervision = models.BooleanField(_("supervision by the centre"), default=False)
    subscribes_analytics = models.BooleanField(_("analytics"), default=False)
    subscribes_servicedesk = models.BooleanField(_("service desk"), default=False)
    subscribes_vigik = models.BooleanField(_("Vigik pooling"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.name

    def subscribed_services(self) -> list[str]:
        return [
            str(f.verbose_name)
            for f in self._meta.fields
            if f.name.startswith("subscribes_") and getattr(self, f.name)
        ]


class UserQuerySet(RestrictedQuerySet):
    pass


class UserManager(BaseUserManager["User"]):
    """Unrestricted by default because login must find the user before anyone acts;
    lists and the API call ``restrict()`` explicitly."""

    def restrict(self, who: object, action: str = "view") -> RestrictedQuerySet:
        return UserQuerySet(self.model, using=self._db).restrict(who, action)


class User(AbstractUser):
    member_path: ClassVar[str] = "role_assignments__members"

    phone = models.CharField(_("phone"), max_length=30, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A role held by a person, over some members or over the whole syndicate."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role)
    members = models.ManyToManyField(
        Member, blank=True, related_name="role_assignments", verbose_name=_("members")
    )
    all_members = models.BooleanField(_("every member"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class ObjectPermission(models.Model):
    """A NetBox-style permission: object types × actions × constraints, within members."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    object_types = models.ManyToManyField(
        ContentType, related_name="+", verbose_name=_("object types")
    )
    actions = models.JSONField(_("actions"), default=list)
    constraints = models.JSONField(
        _("constraints"),
        null=True,
        blank=True,
        help_text=_("Lookups the objects must match: a dict, or a list of dicts (any of them)."),
    )
    members = models.ManyToManyField(
        Member, blank=True, related_name="object_permissions", verbose_name=_("members")
    )
    all_members = models.BooleanField(_("every member"), default=False)
    users = models.ManyToManyField(
        User, blank=True, related_name="object_permissions", verbose_name=_("people")
    )
    groups = models.ManyToManyField(
        Group, blank=True, related_name="object_permissions", verbose_name=_("groups")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        actions = self.actions if isinstance(self.actions, list) else None
        if not actions or any(a not in ACTIONS for a in actions):
            raise ValidationError(
                {
                    "actions": _("Give a list of actions among: %(a)s.")
                    % {"a": ", ".join(sorted(ACTIONS))}
                }
            )
        raw = self.constraints
        items = raw if isinstance(raw, list) else [raw] if raw else []
        if not all(isinstance(i, dict) and i for i in items):
            raise ValidationError(
                {"constraints": _("Constraints are a dict of lookups, or a list of such dicts.")}
            )

    def validate_constraints_for(self, model: type[models.Model]) -> None:
        """Check the constraints are lookups the model understands (a typo grants nothing)."""
        for constraint in freeze_constraints(self.constraints):
            try:
                model._default_manager.none().filter(
                    **{k: v for k, v in constraint if v != "$user"}
                )
            except (FieldError, ValueError, TypeError) as exc:
                raise ValidationError({"constraints": str(exc)}) from exc
