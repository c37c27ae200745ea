"""Normalise and check the identifiers of network devices."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_MAC_HEX = re.compile(r"^[0-9A-Fa-f]{12}$")


def normalise_mac(raw: str) -> str:
    """Return ``AA:BB:CC:DD:EE:FF`` for any common spelling, or raise ValidationError."""
    compact = re.sub(r"[\s:.\-]", "", raw or "")
    if not _MAC_HEX.match(compact):
        raise ValidationError(_("“%(value)s” is not a MAC address."), params={"value": raw[:40]})
    if int(compact[:2], 16) & 1:
        raise ValidationError(
            _("“%(value)s” is a multicast MAC address, not a device."), params={"value": raw[:40]}
        )
    upper = compact.upper()
    return ":".join(upper[i : i + 2] for i in range(0, 12, 2))


def validate_mac(value: str) -> None:
    if value and normalise_mac(value) != value:
        raise ValidationError(_("Write the MAC address as AA:BB:CC:DD:EE:FF."))


def normalise_ip(raw: str) -> str:
    try:
        return str(ipaddress.ip_address((raw or "").strip()))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not an IP address."), params={"value": raw[:60]}
        ) from None


def validate_stream_url(value: str) -> None:
    if value and not re.match(r"^rtsps?://[^\s]+$", value):
        raise ValidationError(_("A stream URL starts with rtsp:// or rtsps://."))


def parse_decimal(raw: str) -> Decimal | None:
    """Read a number written either way (French decimal comma or point)."""
    text = (raw or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            _("“%(value)s” is not a number."), params={"value": raw[:40]}
        ) from None
