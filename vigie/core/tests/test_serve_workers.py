"""``vigie serve``'s gunicorn: an answer that takes longer to send than the worker
timeout (a package download, a long playback) is not cut, and other requests are
served meanwhile."""

from __future__ import annotations

import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from vigie.core.management.commands.serve import gunicorn_argv
from vigie.core.tests import slow_wsgi
from vigie.core.tests.cli_support import free_port

TIMEOUT_S = 2  # the answer below takes 5 s


def _get(url: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - 127.0.0.1
        return response.read()


def test_a_long_answer_outlives_the_worker_timeout(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = gunicorn_argv(
        f"127.0.0.1:{port}", 1, app="vigie.core.tests.slow_wsgi:app", timeout_s=TIMEOUT_S
    )
    with (tmp_path / "gunicorn.log").open("w") as log:
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(url, timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        slow: list[bytes] = []
        reader = threading.Thread(target=lambda: slow.append(_get(url)))
        started = time.monotonic()
        reader.start()
        time.sleep(1)
        _get(url, timeout=10)  # a second request while the first is being sent
        reader.join(30)
        assert time.monotonic() - started > TIMEOUT_S + 1
        assert slow == [b"".join(f"{n}\n".encode() for n in range(slow_wsgi.CHUNKS))]
        assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
