"""Where the project's shared sample data lies (real footage, a real Genetec extract).

It is never copied into the repository: tests and benchmarks read it beside the
checkout, in ``../shared/data``. A clone of a checkout (``git clone . /tmp/x/v``, as a
fresh-clone check does) looks beside the checkout it was cloned from, and
``VIGIE_SHARED_DATA`` names another folder.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def folders() -> tuple[Path, ...]:
    """The folders to look in, first match wins; the first is the one named in messages."""
    found = [Path(os.environ["VIGIE_SHARED_DATA"])] if os.environ.get("VIGIE_SHARED_DATA") else []
    found.append(REPO.parent / "shared" / "data")
    try:
        origin = subprocess.run(
            ["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        origin = ""
    if origin and Path(origin).is_dir():  # a clone of a local checkout
        found.append(Path(origin).resolve().parent / "shared" / "data")
    return tuple(found)


def shared_data(name: str) -> Path:
    """The shared file ``name``: where it exists, else where it should be."""
    for folder in folders():
        if (folder / name).exists():
            return folder / name
    return folders()[0] / name
