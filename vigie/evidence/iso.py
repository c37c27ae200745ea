"""A package as an ISO 9660 image for write-once media (CD-R, DVD-R, BD-R).

Joliet (Windows) and Rock Ridge (Linux, macOS) carry the real file names; the plain
ISO 9660 names, upper-case and shortened, are there for old readers only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pycdlib

# Joliet names are limited to 64 UCS-2 characters.
JOLIET_MAX = 64


def _iso_name(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[^A-Z0-9_]", "_", stem.upper())[:20] or "F"
    ext = re.sub(r"[^A-Z0-9_]", "_", ext.upper())[:3]
    candidate, n = stem, 1
    while f"{candidate}.{ext}" in taken:
        n += 1
        candidate = f"{stem[:16]}_{n}"
    taken.add(f"{candidate}.{ext}")
    return f"/{candidate}.{ext};1"


def volume_label(text: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", text.upper())[:32] or "VIGIE_EVIDENCE"


def write_iso(directory: Path, output: Path, label: str) -> None:
    """The files of ``directory`` (flat) at the root of a new image ``output``."""
    iso = pycdlib.PyCdlib()
    iso.new(
        interchange_level=3,
        joliet=3,
        rock_ridge="1.09",
        vol_ident=volume_label(label),
        app_ident_str="VIGIE EVIDENCE PACKAGE",
    )
    taken: set[str] = set()
    try:
        for path in sorted(directory.iterdir()):
            if len(path.name) > JOLIET_MAX:
                raise ValueError(f"{path.name}: name too long for an ISO 9660 (Joliet) image")
            iso.add_file(
                str(path),
                iso_path=_iso_name(path.name, taken),
                rr_name=path.name,
                joliet_path=f"/{path.name}",
            )
        iso.write(str(output))
    finally:
        iso.close()
