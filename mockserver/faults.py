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

from collections import deque
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

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


def answer_fault(code: int | None, retry_after: int | None, delay: float, drop: str | None, where: str) -> AnswerFault:
    """A fault checked for its bounds and combinations; InvalidInput names the field under ``where``."""
    if code is not None and code not in CODES:
        raise InvalidInput(f"{where}.code", "must be an error status from 400 to 599")
    if retry_after is not None:
        if not 0 <= retry_after <= MAX_RETRY_AFTER:
            raise InvalidInput(f"{where}.retry-after", f"must be a whole number of seconds from 0 to {MAX_RETRY_AFTER}")
        if code is None:
            raise InvalidInput(f"{where}.retry-after", "goes with code= (such as code=503 or code=429)")
    if not 0 <= delay <= MAX_DELAY:
        raise InvalidInput(f"{where}.delay", f"must be seconds from 0 to {MAX_DELAY:g}")
    if drop is not None:
        if drop not in DROP_MODES:
            raise InvalidInput(f"{where}.drop", f"must be {', '.join(DROP_MODES)}")
        if code is not None:
            raise InvalidInput(f"{where}.drop", "cannot go with code=: a dropped connection has no status")
    if code is None and drop is None and not delay:
        raise InvalidInput(where, "names no fault: give code, delay or drop")
    return AnswerFault(code, retry_after, delay, drop)


@dataclass(frozen=True, slots=True)
class FaultRule:
    """A fault for a key's next ``remaining`` requests whose method and path match."""

    fault: AnswerFault
    remaining: int
    method: str | None = None  # None: any
    path: str | None = None  # a part of the request path; None: any

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


class FaultBook:
    """Faults set through the control API for keys' next requests, used up in the order set.
    Only the control API adds to it; each key keeps at most MAX_RULES."""

    MAX_RULES = 100

    def __init__(self) -> None:
        self.by_key: dict[str, deque[FaultRule]] = {}
        self.seeded: Any = None  # fault_rules.FaultRules from fixtures or --faults, consulted after by_key
        # Whether anything is set at all: the request path reads this one attribute and goes on.
        self.armed = False

    def use_seeded(self, seeded: Any) -> None:
        self.seeded = seeded if seeded is not None and seeded.rules else None
        self._arm()

    def _arm(self) -> None:
        self.armed = bool(self.by_key) or self.seeded is not None

    def add(self, key: str, rule: FaultRule) -> None:
        rules = self.by_key.setdefault(key, deque())
        if len(rules) >= self.MAX_RULES:
            raise InvalidInput("body", f"a key holds at most {self.MAX_RULES} pending faults")
        rules.append(rule)
        self._arm()

    def take(self, key: str, method: str, path: str) -> AnswerFault | None:
        """The fault for this request, if a pending rule matches it; uses one of its times."""
        rules = self.by_key.get(key)
        for index, rule in enumerate(rules or ()):
            if rule.matches(method, path):
                if rule.remaining <= 1:
                    del rules[index]  # type: ignore[union-attr]
                    if not rules:
                        del self.by_key[key]
                        self._arm()
                else:
                    rules[index] = FaultRule(rule.fault, rule.remaining - 1, rule.method, rule.path)  # type: ignore[index]
                return rule.fault
        return None if self.seeded is None else self.seeded.pick(key, method, path)

    def rules(self, key: str) -> list[FaultRule]:
        return list(self.by_key.get(key, ()))

    def clear(self, key: str | None = None) -> None:
        if key is None:
            self.by_key.clear()
        else:
            self.by_key.pop(key, None)
        self._arm()
