"""A WSGI application that takes its time to send its answer (test_serve_workers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

CHUNKS = 10
PAUSE_S = 0.5


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    for n in range(CHUNKS):
        time.sleep(PAUSE_S)
        yield f"{n}\n".encode()
