from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def checkpoint_dir(settings: Any, tmp_path: Path) -> Path:
    """Each test signs with its own key into its own directory, never the data dir's."""
    settings.VIGIE_JOURNAL_CHECKPOINT_DIR = tmp_path / "checkpoints"
    settings.VIGIE_JOURNAL_KEY_FILE = tmp_path / "journal-checkpoint.key"
    return tmp_path / "checkpoints"
