"""What every long-running ``vigie`` loop (retention, checkpoints, supervision,
escalations, exports) needs: stop cleanly on SIGTERM/SIGINT, and start each pass on a
working database connection."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from django.db import close_old_connections, connection

logger = logging.getLogger("vigie")


@contextmanager
def stop_on_signals(name: str) -> Iterator[threading.Event]:
    """An event that SIGTERM or SIGINT sets while the block runs (the pass under way
    finishes); the previous handlers are restored after."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        logger.info("%s: signal %s, stopping after this pass", name, signum)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def fresh_connection() -> None:
    """Before a pass: a connection lost in the last one is replaced, not reused. Inside
    a transaction (a test) the connection is kept: closing it would lose the transaction."""
    if not connection.in_atomic_block:
        close_old_connections()
