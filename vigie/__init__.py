"""Vigie: a shared video-protection supervision centre for several towns."""

__version__ = "0.1.0"
