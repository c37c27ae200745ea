"""Fixtures of the supervision tests: the simulated cameras of the recording tests."""

from __future__ import annotations

from typing import Any

from vigie.core.testing import as_system, make_authorisation, make_camera
from vigie.recording.tests.conftest import rtsp_cameras  # noqa: F401 (a fixture)


def enabled_camera(member: Any, url: str, **kw: Any) -> Any:
    """A camera with a valid authorisation, enabled, streaming from ``url``."""
    camera = make_camera(member, rtsp_main=url, **kw)
    make_authorisation(member, [camera])
    with as_system():
        camera.enabled = True
        camera.save()
    return camera
