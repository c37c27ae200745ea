"""Camera inventory import: Genetec status extracts, the native CSV, French Excel CSV.

Interface (used by the CLI and the web preview):
- ``plan_import(data, member, who)`` parses and validates the whole file and matches each
  line to an existing camera (by MAC, then IP); it writes nothing.
- ``apply_import(plan, member, who)`` writes the plan in one transaction, or nothing if
  the plan has any error (ImportRefused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


class ImportRefused(ValueError):
    """The file has errors; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:20]))


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line number in the file, header included
    field: str  # column/field name, or "" for the whole line
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class RowPlan:
    line: int
    action: Literal["create", "update", "unchanged"]
    values: dict[str, Any]  # camera field name -> cleaned value
    camera_id: int | None = None  # the matched camera, for update/unchanged
    matched_by: Literal["mac", "ip", ""] = ""
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)


@dataclass
class ImportPlan:
    file_format: Literal["genetec", "native"]
    encoding: str
    delimiter: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
