from collections.abc import Iterator

import pytest

from vigie.core import actors


@pytest.fixture(autouse=True)
def _fixtures_actor() -> Iterator[None]:
    """Fixtures write as a named test party; isolation tests act as users explicitly."""
    with actors.acting_as(actors.system("tests")):
        yield
