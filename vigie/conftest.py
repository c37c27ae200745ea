from collections.abc import Iterator
from typing import Any

import pytest

from vigie.inventory.tests.ui_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    """Two towns with people of every role and a few objects each (see ui_world.py)."""
    return build_world()


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    """Messages in English, the language of the code, for tests that read them: the UI
    defaults to French, and `make install` compiles the French catalogue."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
