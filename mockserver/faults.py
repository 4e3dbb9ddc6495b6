"""Faults a request asks for on its own answer, so that clients' retries and time-outs can be tested.

A ``Prefer`` header on any VideoDB operation may ask for them (``preferences.py`` parses them):

- ``code=NNN``: answer that 4xx/5xx status with the error body instead of the real answer; the
  operation does not run, so nothing is created. ``retry-after=S`` adds ``Retry-After: S``.
- ``delay=S``: hold the answer S seconds (fractions allowed); other requests are not held.
- ``drop=close|truncate|reset``: the operation runs (a clip job is created and journaled), then
  the connection is closed without an answer, after the status line, headers and half the body,
  or with a TCP reset.

Every faulted answer carries ``X-Emulator-Fault`` saying which fault made it.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULT_HEADER = "x-emulator-fault"
DROP_MODES = ("close", "truncate", "reset")
MAX_DELAY = 60.0
MAX_RETRY_AFTER = 86_400
CODES = range(400, 600)


@dataclass(frozen=True, slots=True)
class AnswerFault:
    code: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    drop: str | None = None

    def describe(self) -> str:
        """The fault in the Prefer header's own words, as X-Emulator-Fault and the journal show it."""
        parts = []
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.retry_after is not None:
            parts.append(f"retry-after={self.retry_after}")
        if self.delay:
            parts.append(f"delay={self.delay:g}")
        if self.drop is not None:
            parts.append(f"drop={self.drop}")
        return "; ".join(parts)
