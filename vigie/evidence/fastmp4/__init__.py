"""A stream copy of MPEG-TS H.264 segments into MP4 written in Python and numpy, for
evidence exports: see ``stream_copy.remux``. ``mp4export.remux`` uses it when it
applies.

The names of ``stream_copy`` are loaded on first use: a worker process (``work``)
needs numpy only, not PyAV and the rest of the export."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vigie.evidence.fastmp4.ts import Unsupported

if TYPE_CHECKING:
    from vigie.evidence.fastmp4.stream_copy import Digests, digest_file, remux

__all__ = ["Digests", "Unsupported", "digest_file", "remux"]


def __getattr__(name: str) -> Any:
    if name in {"Digests", "digest_file", "remux"}:
        return getattr(importlib.import_module("vigie.evidence.fastmp4.stream_copy"), name)
    raise AttributeError(name)
