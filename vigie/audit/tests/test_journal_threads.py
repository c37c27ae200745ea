"""The journal on the embedded database (SQLite) with several writers at once: every
entry is appended, none fails with "database is locked", the chain holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vigie.audit.tests import concurrent_journal


def test_threads_append_to_the_sqlite_journal_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(VIGIE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="vigie.settings")
    run = subprocess.run(
        [sys.executable, "-m", "vigie.audit.tests.concurrent_journal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["errors"] == []
    assert found["broken"] == ""
    assert found["entries"] == concurrent_journal.THREADS * concurrent_journal.ENTRIES
