"""Minsim (민심): Korean social big-data opinion mining for Seoul's Social Mayor's Office."""

from __future__ import annotations

__version__ = "0.1.0"
