"""Clocks that jobs read their age from.

Each API key gets a ``NamespaceClock``: it reads 0 when the namespace is created and then
either follows real time or stays frozen (virtual) until a test advances or sets it.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary, fixed origin."""
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


class NamespaceClock:
    """A clock that starts at 0 and runs on ``base`` time, or stands still while frozen."""

    def __init__(self, base: Clock, frozen: bool = False) -> None:
        self._base = base
        self._offset = -base.now()
        self._frozen_at: float | None = 0.0 if frozen else None
        # Seconds it was moved by hand (advance and set), in all: work that was under way while it
        # moved can count the move as time that passed for it (see the callback dispatcher).
        self.moved = 0.0

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._base.now() + self._offset

    def freeze(self) -> float:
        self._frozen_at = self.now()
        return self._frozen_at

    def unfreeze(self) -> float:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._base.now()
            self._frozen_at = None
        return self.now()

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock advances by zero or more seconds")
        return self.set(self.now() + seconds)

    def set(self, when: float) -> float:
        self.moved += when - self.now()
        if self._frozen_at is not None:
            self._frozen_at = when
        else:
            self._offset = when - self._base.now()
        return self.now()
