"""The syndicate, its members, the people who use Vigie and what they may do."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.models import UserManager as BaseUserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldError, ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.core import legal
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


class ViewingStatus(models.TextChoices):
    """Whether the law asks this person for a prefectoral approval to view images."""

    AGENT = "agent", _("Agent (needs a prefectoral approval)")
    MUNICIPAL_POLICE = "municipal_police", _("Municipal police officer")
    JUDICIAL_OFFICER = "judicial_officer", _("Judicial police officer or elected official")


class User(AbstractUser):
    member_path: ClassVar[str] = "role_assignments__members"

    viewing_status = models.CharField(
        _("status for viewing images"),
        max_length=20,
        choices=ViewingStatus,
        default=ViewingStatus.AGENT,
    )
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


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Approval(RestrictedModel):
    """A prefectoral approval (agrément) to view images: one département, 5 years at most."""

    member_path: ClassVar[str] = "user__role_assignments__members"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("person")
    )
    number = models.CharField(_("approval number"), max_length=60)
    departement = models.CharField(
        _("département"), max_length=3, validators=[departement_validator]
    )
    granted_on = models.DateField(_("granted on"))
    expires_on = models.DateField(_("expires on"))
    suspended = models.BooleanField(_("suspended"), default=False)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["expires_on"]
        verbose_name = _("prefectoral approval")
        verbose_name_plural = _("prefectoral approvals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("granted_on")),
                name="approval_expires_after_grant",
                violation_error_message=_("The expiry date must follow the grant date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.departement})"

    def clean(self) -> None:
        super().clean()
        if self.granted_on and self.expires_on:
            limit = _years_after(self.granted_on, legal.APPROVAL_VALIDITY_YEARS)
            if self.expires_on > limit:
                raise ValidationError(
                    {
                        "expires_on": _("An approval lasts 5 years at most (until %(d)s).")
                        % {"d": limit.isoformat()}
                    }
                )

    def owner_member_id(self) -> int | None:
        return None

    def is_valid(self, day: datetime.date) -> bool:
        return (
            not self.suspended and not self.withdrawn and self.granted_on <= day <= self.expires_on
        )


class Designation(RestrictedModel):
    """A member names a person allowed to view its images, and for which actions."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="designations", verbose_name=_("member")
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="designations", verbose_name=_("person")
    )
    view_live = models.BooleanField(_("live view"), default=True)
    view_playback = models.BooleanField(_("playback"), default=True)
    export = models.BooleanField(_("export"), default=False)
    reference = models.CharField(
        _("decision"), max_length=120, blank=True, help_text=_("The mayor's or president's act.")
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)

    class Meta:
        ordering = ["member__name", "user__username"]
        verbose_name = _("designation")
        verbose_name_plural = _("designations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="designation_until_after_from",
                violation_error_message=_("The end date must not precede the start date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.member}"

    def clean(self) -> None:
        super().clean()
        if not (self.view_live or self.view_playback or self.export):
            raise ValidationError(_("A designation allows at least one action on images."))


class OperatorDelegation(RestrictedModel):
    """A member lets the centre's operators view its cameras, on some days and hours."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="delegations", verbose_name=_("member")
    )
    view_live = models.BooleanField(_("live view"), default=True)
    view_playback = models.BooleanField(_("playback"), default=True)
    export = models.BooleanField(_("export"), default=True)
    weekdays = models.JSONField(
        _("days"), default=list, help_text=_("ISO days of the week, 1 = Monday … 7 = Sunday.")
    )
    start_time = models.TimeField(_("from"), default=datetime.time(0, 0))
    end_time = models.TimeField(
        _("until"),
        default=datetime.time(0, 0),
        help_text=_("Equal to the start: the whole day; earlier: the window runs past midnight."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["member__name", "pk"]
        verbose_name = _("delegation to the centre")
        verbose_name_plural = _("delegations to the centre")

    def __str__(self) -> str:
        return f"{self.member} — {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self) -> None:
        super().clean()
        days = self.weekdays
        if (
            not isinstance(days, list)
            or not days
            or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in days)
            or len(set(days)) != len(days)
        ):
            raise ValidationError(
                {"weekdays": _("Give the days as distinct numbers from 1 (Monday) to 7 (Sunday).")}
            )
        if not (self.view_live or self.view_playback or self.export):
            raise ValidationError(_("A delegation allows at least one action on images."))
