"""Writes on the inventory. Views, the API, the CLI and imports all come through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vigie.core import legal
from vigie.core import services as core
from vigie.inventory.models import Authorisation, Camera, in_force


def save_camera(camera: Camera) -> Camera:
    return core.save(camera)


def save_authorisation(
    authorisation: Authorisation, cameras: Iterable[Camera] | None = None
) -> Authorisation:
    m2m = None if cameras is None else {"cameras": cameras}
    return core.save(authorisation, m2m)


def set_enabled(camera: Camera, enabled: bool) -> Camera:
    """Enable or disable; enabling is refused without a stream URL and a valid authorisation."""
    with transaction.atomic():
        camera.enabled = enabled
        return core.save(camera)


def expiring_authorisations(who: Any, on: date | None = None) -> QuerySet[Authorisation]:
    """Valid authorisations whose renewal file is due (4 months before expiry)."""
    day = on or timezone.localdate()
    return Authorisation.objects.restrict(who, "view").filter(
        in_force(day), expires_on__lte=day + legal.AUTHORISATION_RENEWAL_NOTICE
    )


def unauthorised_cameras(who: Any, on: date | None = None) -> QuerySet[Camera]:
    """Cameras with no valid authorisation today: they may be neither recorded nor shown."""
    covered = Authorisation.objects.unrestricted().filter(in_force(on))
    return Camera.objects.restrict(who, "view").exclude(authorisations__in=covered)
