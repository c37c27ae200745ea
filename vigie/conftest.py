import pytest

from vigie.inventory.tests.ui_world import World, build_world


@pytest.fixture
def world(db: None) -> World:
    """Two towns with people of every role and a few objects each (see ui_world.py)."""
    return build_world()
