"""Simulated RTSP cameras looping pre-encoded footage (issue 3 §8). See docs/simulator.md."""

from vigie.recording.simulator.cameras import SimulatedCameras, SimulatorError
from vigie.recording.simulator.footage import Clip, FootageError

__all__ = ["Clip", "FootageError", "SimulatedCameras", "SimulatorError"]
