"""Reading camera inventory files: encoding, separator, header and the raw cells of each line.

Nothing here knows about the database. The output is a :class:`ParsedFile`: which format
was recognised, the columns it maps to camera fields, and for every data line its line
number and its raw cells by field name. Errors that concern the whole file or the shape
of a line (wrong number of columns, over-long cell) are collected as ``RowError``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# A cell longer than this is refused before any field-specific check (notes included).
MAX_CELL_CHARS = 2_000
DELIMITERS = ("\t", ";", ",")

FileFormat = Literal["genetec", "native", "unknown"]

# The four columns of the Genetec Security Center status extract, as it writes them.
GENETEC_COLUMNS = {
    "statut": "status",
    "modele": "model",
    "adresse_ip": "ip_address",
    "adresse_mac": "mac_address",
}

# Native CSV: canonical field name -> accepted header spellings (normalised, see normalise_key()).
NATIVE_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "nom_camera", "nom_de_la_camera", "camera"),
    "model": ("model", "modele"),
    "ip_address": ("ip_address", "ip", "adresse_ip"),
    "mac_address": ("mac_address", "mac", "adresse_mac"),
    "site": ("site", "nom_du_site"),
    "rtsp_main": ("rtsp_main", "flux_principal", "url_rtsp", "rtsp"),
    "rtsp_sub": ("rtsp_sub", "flux_secondaire"),
    "address": ("address", "adresse"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng"),
    "support": ("support",),
    "camera_type": ("camera_type", "type", "type_de_camera"),
    "transport": ("transport",),
    "transport_link": ("transport_link", "lien", "liaison", "lien_de_transport"),
    "purposes": ("purposes", "finalites", "finalite"),
    "close_up": ("close_up", "gros_plan"),
    "retention_days": (
        "retention_days",
        "retention",
        "conservation",
        "conservation_jours",
        "duree_de_conservation",
        "duree_de_conservation_jours",
    ),
    "status": ("status", "statut", "etat"),
    "recorder_node": ("recorder_node", "enregistreur", "noeud_d_enregistrement"),
    "storage_pool": ("storage_pool", "stockage", "espace_de_stockage"),
    "notes": ("notes", "remarques", "commentaire", "commentaires"),
}
_NATIVE_BY_KEY = {alias: name for name, aliases in NATIVE_ALIASES.items() for alias in aliases}
# Columns people may expect but that an import never sets, with the reason.
REFUSED_COLUMNS = {
    "enabled": "enabled",
    "active": "enabled",
    "activee": "enabled",
    "actif": "enabled",
    "member": "member",
    "membre": "member",
    "commune": "member",
}


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line number in the file, header included; 0: the whole file
    field: str  # column as written in the header, or "" for the whole line
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.message
        where = _("line %(n)d") % {"n": self.line}
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


@dataclass
class RawRow:
    line: int
    cells: dict[str, str]  # field name -> raw cell text (stripped)


@dataclass
class ParsedFile:
    file_format: FileFormat = "unknown"
    encoding: str = ""
    delimiter: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field name -> header as written
    rows: list[RawRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def normalise_key(header: str) -> str:
    """Normalise a header: no accents, lower case, words joined by underscores."""
    text = unicodedata.normalize("NFKD", header.strip().strip('"'))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\(.*?\)", "", text)  # "Conservation (jours)" -> "conservation"
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name): UTF-16 or UTF-8 by their BOM, UTF-8, else cp1252.

    Raises ValueError with a user-facing message for a binary file.
    """
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _text_only(data.decode(name)), name
            except UnicodeDecodeError:
                raise ValueError(
                    _("The file announces %(enc)s but is not.") % {"enc": name}
                ) from None
    if b"\x00" in data:
        raise ValueError(_("This is a binary file, not a CSV or tab-separated text file."))
    try:
        return _text_only(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return _text_only(data.decode("cp1252")), "cp1252"
    except UnicodeDecodeError:
        raise ValueError(
            _("The file is neither UTF-8 nor Windows-1252 text (is it a binary file?).")
        ) from None


def _text_only(text: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise ValueError(_("This is a binary file, not a CSV or tab-separated text file."))
    return text


def _read_header(text: str, delimiter: str) -> list[str]:
    first = text.splitlines()[0] if text else ""
    return next(csv.reader([first], delimiter=delimiter), [])


def _native_map(header: list[str]) -> dict[int, str]:
    return {
        i: _NATIVE_BY_KEY[normalise_key(h)]
        for i, h in enumerate(header)
        if normalise_key(h) in _NATIVE_BY_KEY
    }


def _genetec_map(header: list[str]) -> dict[int, str] | None:
    keys = [normalise_key(h) for h in header]
    if sorted(k for k in keys if k) != sorted(GENETEC_COLUMNS):
        return None
    return {i: GENETEC_COLUMNS[k] for i, k in enumerate(keys) if k}


def detect(text: str) -> tuple[FileFormat, str, list[str], dict[int, str]]:
    """Find (format, delimiter, header cells, column index -> field) from the first line."""
    best: tuple[FileFormat, str, list[str], dict[int, str]] = ("unknown", "", [], {})
    for delimiter in DELIMITERS:
        header = _read_header(text, delimiter)
        genetec = _genetec_map(header)
        if genetec is not None:
            return "genetec", delimiter, header, genetec
        native = _native_map(header)
        if "name" in native.values() and len(native) > len(best[3]):
            best = ("native", delimiter, header, native)
    return best


def _header_errors(header: list[str], mapping: dict[int, str]) -> list[RowError]:
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for index, cell in enumerate(header):
        name = mapping.get(index)
        key = normalise_key(cell)
        if name is None and key in REFUSED_COLUMNS:
            errors.append(RowError(1, cell[:60], _refused_message(REFUSED_COLUMNS[key])))
        elif name is None and key:
            errors.append(RowError(1, cell[:60], _("Unknown column; see docs/import-format.md.")))
        elif name is not None and name in seen:
            errors.append(
                RowError(1, cell[:60], _("Same field as column “%(c)s”.") % {"c": seen[name]})
            )
        elif name is not None:
            seen[name] = cell
    return errors


def _refused_message(kind: str) -> str:
    if kind == "enabled":
        return _(
            "Imports never enable a camera: enable it in Vigie once it has a stream URL "
            "and a valid authorisation."
        )
    return _("The member is chosen when importing, not in the file.")


def unknown_header_message() -> str:
    return _(
        "No known header on line 1. Expected either the Genetec extract columns "
        "(Statut, Modèle, Adresse IP, Adresse MAC) or the native columns with at least "
        "“name” (or “nom”); see docs/import-format.md."
    )


def parse(data: bytes) -> ParsedFile:
    """Decode, detect and split ``data``; never raises for bad input, returns errors."""
    parsed = ParsedFile()
    if not data.strip():
        parsed.errors.append(RowError(0, "", _("The file is empty.")))
        return parsed
    if len(data) > MAX_BYTES:
        parsed.errors.append(
            RowError(0, "", _("The file is larger than %(n)d MiB.") % {"n": MAX_BYTES >> 20})
        )
        return parsed
    try:
        text, parsed.encoding = decode(data)
    except ValueError as exc:
        parsed.errors.append(RowError(0, "", str(exc)))
        return parsed
    fmt, delimiter, header, mapping = detect(text)
    if fmt == "unknown":
        parsed.errors.append(RowError(1, "", unknown_header_message()))
        return parsed
    parsed.file_format, parsed.delimiter = fmt, delimiter
    parsed.headers = {name: header[i].strip() for i, name in mapping.items()}
    parsed.errors.extend(_header_errors(header, mapping))
    _read_rows(text, delimiter, header, mapping, parsed)
    return parsed


def _read_rows(
    text: str, delimiter: str, header: list[str], mapping: dict[int, str], parsed: ParsedFile
) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        next(reader)  # the header, already read
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue  # blank lines (a trailing one, or a spacer) carry nothing
            if len(parsed.rows) >= MAX_ROWS:
                parsed.errors.append(
                    RowError(
                        line, "", _("More than %(n)d lines: split the file.") % {"n": MAX_ROWS}
                    )
                )
                return
            row = _split_row(line, cells, header, mapping, parsed.errors)
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as exc:
        parsed.errors.append(
            RowError(reader.line_num, "", _("Malformed line (%(e)s).") % {"e": str(exc)[:100]})
        )
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(RowError(1, "", _("The file has a header but no camera lines.")))


def _split_row(
    line: int, cells: list[str], header: list[str], mapping: dict[int, str], errors: list[RowError]
) -> RawRow | None:
    if len(cells) != len(header):
        errors.append(
            RowError(
                line,
                "",
                _("%(got)d columns where the header has %(want)d.")
                % {"got": len(cells), "want": len(header)},
            )
        )
        return None
    row = RawRow(line, {})
    for index, raw in enumerate(cells):
        value = raw.strip()
        name = mapping.get(index)
        if len(value) > MAX_CELL_CHARS:
            errors.append(
                RowError(
                    line,
                    header[index][:60],
                    _("Value longer than %(n)d characters.") % {"n": MAX_CELL_CHARS},
                )
            )
            return None
        if name is not None:
            row.cells[name] = value
        elif value and not header[index].strip():
            errors.append(RowError(line, "", _("A value under a column without a header.")))
            return None
    return row
