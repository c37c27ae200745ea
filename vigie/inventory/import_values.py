"""Turning the raw cells of an import line into camera field values.

Each controlled list accepts its stable key, its label (English or French) and a few
French words people actually write in spreadsheets ("candélabre", "FH", "dôme"...).
Comparisons ignore case, accents and punctuation. An empty cell means "not given".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from vigie.core import legal
from vigie.inventory.choices import CameraStatus, CameraType, Purpose, Support, Transport
from vigie.inventory.import_formats import normalise_key
from vigie.inventory.models import Camera, RecorderNode, Site, StoragePool, TransportLink
from vigie.inventory.validators import (
    normalise_ip,
    normalise_mac,
    parse_decimal,
    validate_stream_url,
)

# Statuses a Genetec Security Center extract writes (French and English UI), by key.
GENETEC_STATUSES: dict[str, str] = {
    **dict.fromkeys(("ok", "en_ligne", "online", "connecte", "actif"), CameraStatus.IN_SERVICE),
    **dict.fromkeys(("avertissement", "warning", "degrade", "alerte"), CameraStatus.DEGRADED),
    **dict.fromkeys(
        (
            "hors_ligne",
            "offline",
            "deconnecte",
            "hs",
            "hors_service",
            "defaut",
            "en_defaut",
            "erreur",
            "error",
            "panne",
            "en_panne",
            "maintenance",
            "en_maintenance",
        ),
        CameraStatus.OUT_OF_ORDER,
    ),
}
STATUS_ALIASES: dict[str, str] = {
    **GENETEC_STATUSES,
    **dict.fromkeys(("en_service", "service"), CameraStatus.IN_SERVICE),
    **dict.fromkeys(("prevue", "prevu", "planifiee", "en_projet", "projet"), CameraStatus.PLANNED),
    **dict.fromkeys(
        ("deposee", "retiree", "declassee", "demontee", "decommissioned"),
        CameraStatus.DECOMMISSIONED,
    ),
}
TYPE_ALIASES: dict[str, str] = {
    "fixe": CameraType.FIXED,
    "dome": CameraType.PTZ,
    "mobile": CameraType.PTZ,
    "180": CameraType.PANORAMIC_180,
    "panoramique_180": CameraType.PANORAMIC_180,
    "360": CameraType.PANORAMIC_360,
    "panoramique_360": CameraType.PANORAMIC_360,
    "fisheye": CameraType.PANORAMIC_360,
}
SUPPORT_ALIASES: dict[str, str] = {
    "mat": Support.MAST,
    "mat_dedie": Support.MAST,
    "poteau": Support.MAST,
    "candelabre": Support.LAMP_POST,
    "lampadaire": Support.LAMP_POST,
    "mat_d_eclairage": Support.LAMP_POST,
    "mur": Support.FACADE,
    "batiment": Support.FACADE,
    "interieur": Support.INDOOR,
    "autre": Support.OTHER,
}
TRANSPORT_ALIASES: dict[str, str] = {
    "fibre_optique": Transport.FIBRE,
    "blod": Transport.FIBRE,
    "fh": Transport.RADIO,
    "faisceau_hertzien": Transport.RADIO,
    "hertzien": Transport.RADIO,
    "4g": Transport.CELLULAR,
    "lte": Transport.CELLULAR,
    "reseau_du_batiment": Transport.LAN,
    "reseau_local": Transport.LAN,
}
PURPOSE_ALIASES: dict[str, str] = {
    "batiments_publics": Purpose.PUBLIC_BUILDINGS,
    "defense_nationale": Purpose.NATIONAL_DEFENCE,
    "regulation_du_trafic": Purpose.TRAFFIC_REGULATION,
    "regulation_des_flux": Purpose.TRAFFIC_REGULATION,
    "infractions_routieres": Purpose.TRAFFIC_OFFENCES,
    "infractions_au_code_de_la_route": Purpose.TRAFFIC_OFFENCES,
    "prevention_de_la_delinquance": Purpose.CRIME_PREVENTION,
    "atteintes_aux_personnes_et_aux_biens": Purpose.CRIME_PREVENTION,
    "securite_publique": Purpose.CRIME_PREVENTION,
    "stupefiants": Purpose.DRUG_TRAFFICKING,
    "trafic_de_stupefiants": Purpose.DRUG_TRAFFICKING,
    "terrorisme": Purpose.TERRORISM,
    "risques_naturels": Purpose.NATURAL_RISKS,
    "risques_naturels_ou_technologiques": Purpose.NATURAL_RISKS,
    "secours": Purpose.RESCUE_FIRE,
    "incendie": Purpose.RESCUE_FIRE,
    "secours_aux_personnes": Purpose.RESCUE_FIRE,
    "parcs_d_attraction": Purpose.AMUSEMENT_PARKS,
    "assurance": Purpose.INSURANCE,
    "assurance_des_vehicules": Purpose.INSURANCE,
    "depots_sauvages": Purpose.WASTE_DUMPING,
    "depots_d_ordures": Purpose.WASTE_DUMPING,
}
TRUE_WORDS = {"1", "oui", "o", "yes", "y", "true", "vrai", "x"}
FALSE_WORDS = {"0", "non", "n", "no", "false", "faux"}
COORDINATE_STEP = Decimal("0.000001")
# Fields that name another object of the member; the cleaned value is that name.
REFERENCE_MODELS: dict[str, type[models.Model]] = {
    "site": Site,
    "transport_link": TransportLink,
    "recorder_node": RecorderNode,
    "storage_pool": StoragePool,
}


# Controlled list name -> (its choices, the extra spellings accepted).
LISTS: dict[str, tuple[type[models.TextChoices], dict[str, str]]] = {
    "support": (Support, SUPPORT_ALIASES),
    "camera_type": (CameraType, TYPE_ALIASES),
    "transport": (Transport, TRANSPORT_ALIASES),
    "status": (CameraStatus, STATUS_ALIASES),
    "purposes": (Purpose, PURPOSE_ALIASES),
}


@functools.cache
def _lookup(list_name: str) -> dict[str, str]:
    """Every accepted spelling (normalised) -> stable key; built once per list."""
    choices, aliases = LISTS[list_name]
    table = {normalise_key(value): value for value in choices.values}
    for language in ("en", "fr"):
        with translation.override(language):
            table.update({normalise_key(str(label)): value for value, label in choices.choices})
    table.update(aliases)
    return table


def _choice(list_name: str) -> Callable[[str], Any]:
    choices = LISTS[list_name][0]

    def parse(raw: str) -> str:
        found = _lookup(list_name).get(normalise_key(raw))
        if found is None:
            raise ValidationError(
                _("“%(v)s” is not one of: %(keys)s.")
                % {"v": raw[:60], "keys": ", ".join(choices.values)}
            )
        return found

    return parse


def _genetec_status(raw: str) -> str:
    found = GENETEC_STATUSES.get(normalise_key(raw))
    if found is None:
        raise ValidationError(
            _("Unknown Genetec status “%(v)s” (known: OK, En ligne, Avertissement, Hors ligne…).")
            % {"v": raw[:60]}
        )
    return found


def _purposes(raw: str) -> list[str]:
    table = _lookup("purposes")
    found: list[str] = []
    for part in raw.replace(";", "|").replace(",", "|").replace("+", "|").split("|"):
        if not part.strip():
            continue
        value = table.get(normalise_key(part))
        if value is None:
            raise ValidationError(
                _("Unknown purpose “%(v)s” (CSI L251-2); known: %(keys)s.")
                % {"v": part.strip()[:60], "keys": ", ".join(Purpose.values)}
            )
        if value not in found:
            found.append(value)
    return found


def _boolean(raw: str) -> bool:
    word = normalise_key(raw)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("Write oui or non (yes/no, 1/0)."))


def _retention(raw: str) -> int:
    try:
        days = int(raw.strip())
    except ValueError:
        raise ValidationError(
            _("“%(v)s” is not a whole number of days.") % {"v": raw[:20]}
        ) from None
    if days > legal.MAX_RETENTION_DAYS:
        raise ValidationError(
            _("Images are kept %(max)d days at most (CSI L252-5), not %(d)d.")
            % {"max": legal.MAX_RETENTION_DAYS, "d": days}
        )
    if days < legal.MIN_RETENTION_DAYS:
        raise ValidationError(_("Retention is at least 1 day."))
    return days


def _coordinate(limit: int) -> Callable[[str], Decimal | None]:
    def parse(raw: str) -> Decimal | None:
        value = parse_decimal(raw)
        if value is None:
            return None
        if not value.is_finite() or abs(value) > limit:
            raise ValidationError(_("Must lie between -%(n)d and %(n)d.") % {"n": limit})
        # The model keeps 6 decimals (about 10 cm): more precision is rounded, not refused.
        return value.quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP)

    return parse


def _stream_url(raw: str) -> str:
    validate_stream_url(raw)
    return raw


def _text(raw: str) -> str:
    return raw


def _ip(raw: str) -> str:
    return normalise_ip(raw)


PARSERS: dict[str, Callable[[str], Any]] = {
    "name": _text,
    "model": _text,
    "ip_address": _ip,
    "mac_address": normalise_mac,
    "site": _text,
    "rtsp_main": _stream_url,
    "rtsp_sub": _stream_url,
    "address": _text,
    "latitude": _coordinate(90),
    "longitude": _coordinate(180),
    "support": _choice("support"),
    "camera_type": _choice("camera_type"),
    "transport": _choice("transport"),
    "transport_link": _text,
    "purposes": _purposes,
    "close_up": _boolean,
    "retention_days": _retention,
    "status": _choice("status"),
    "recorder_node": _text,
    "storage_pool": _text,
    "notes": _text,
}


def max_length(field_name: str) -> int | None:
    """The longest value the database keeps for this import field."""
    if field_name in REFERENCE_MODELS:
        return getattr(REFERENCE_MODELS[field_name]._meta.get_field("name"), "max_length", None)
    return getattr(Camera._meta.get_field(field_name), "max_length", None)


def clean_cells(cells: dict[str, str], file_format: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (values, errors by field) for one line; empty cells are left out of values."""
    if file_format == "genetec":
        # Genetec names cameras by their "model" column (IPCAM001...): it is both.
        cells = {**cells, "name": cells.get("model", "")}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in cells.items():
        if not raw:
            continue
        limit = max_length(name)
        if limit is not None and len(raw) > limit:
            errors[name] = _("Longer than %(n)d characters.") % {"n": limit}
            continue
        parser = _genetec_status if file_format == "genetec" and name == "status" else PARSERS[name]
        try:
            values[name] = parser(raw)
        except ValidationError as exc:
            errors[name] = " ".join(exc.messages)
    for required in _required(file_format):
        if not cells.get(required) and required not in errors:
            errors[required] = _("This value is required.")
    return values, errors


def _required(file_format: str) -> Iterable[str]:
    return ("model", "status") if file_format == "genetec" else ("name",)
