"""Clocks that jobs read their age from: the real one, and a virtual one tests move by hand."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary, fixed origin; never goes backwards on its own."""
        ...


class RealClock:
    """Monotonic time: immune to wall-clock jumps."""

    def now(self) -> float:
        return time.monotonic()


class VirtualClock:
    """Time that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock advances by zero or more seconds")
        self._now += seconds
        return self._now

    def set(self, when: float) -> float:
        self._now = when
        return self._now
