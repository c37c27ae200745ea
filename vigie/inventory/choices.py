"""Controlled lists of the inventory (French labels in the UI, stable keys in data)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CameraType(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    PTZ = "ptz", _("PTZ (dome)")
    PANORAMIC_180 = "180", _("180° panoramic")
    PANORAMIC_360 = "360", _("360° panoramic")


class Transport(models.TextChoices):
    FIBRE = "fibre", _("Dedicated fibre (BLOD)")
    RADIO = "radio", _("Radio link (FH)")
    CELLULAR = "4g", _("4G")
    LAN = "lan", _("Building network")


class Support(models.TextChoices):
    MAST = "mast", _("Dedicated mast")
    LAMP_POST = "lamp_post", _("Lamp post")
    FACADE = "facade", _("Façade / wall")
    INDOOR = "indoor", _("Indoor")
    OTHER = "other", _("Other")


class CameraStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    DEGRADED = "degraded", _("Degraded")
    OUT_OF_ORDER = "out_of_order", _("Out of order")
    PLANNED = "planned", _("Planned")
    DECOMMISSIONED = "decommissioned", _("Decommissioned")


class Purpose(models.TextChoices):
    """Purposes a camera may serve (CSI L251-2); check the current text of the article."""

    PUBLIC_BUILDINGS = (
        "public_buildings",
        _("Protection of public buildings and their surroundings"),
    )
    NATIONAL_DEFENCE = "national_defence", _("Safeguard of national defence installations")
    TRAFFIC_REGULATION = "traffic_regulation", _("Regulation of transport flows")
    TRAFFIC_OFFENCES = "traffic_offences", _("Recording of traffic offences")
    CRIME_PREVENTION = (
        "crime_prevention",
        _("Prevention of attacks on people and property in exposed places"),
    )
    DRUG_TRAFFICKING = "drug_trafficking", _("Prevention of drug trafficking and customs fraud")
    TERRORISM = "terrorism", _("Prevention of acts of terrorism")
    NATURAL_RISKS = "natural_risks", _("Prevention of natural or technological risks")
    RESCUE_FIRE = "rescue_fire", _("Rescue of people and fire defence")
    AMUSEMENT_PARKS = "amusement_parks", _("Safety of amusement park installations")
    INSURANCE = "insurance", _("Compliance with the vehicle insurance obligation")
    WASTE_DUMPING = "waste_dumping", _("Prevention of illegal dumping of waste")


class LinkKind(models.TextChoices):
    FIBRE = "fibre", _("Dedicated fibre (BLOD)")
    RADIO = "radio", _("Radio link (FH)")
    CELLULAR = "4g", _("4G")
    LEASED = "leased", _("Leased line")
