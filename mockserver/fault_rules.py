"""Fault rules from fixtures (``fault_rules:``) or ``mockserver serve --faults FILE``: a stand-in
that misbehaves now and then like a real service, the same way on every run.

A rule matches requests by method, a part of the path and, optionally, one key. Whether a matching
request gets the fault is drawn from (seed, key, the key's request count, rule name), so the same
requests against the same seed fail the same way; ``delay_jitter`` adds a drawn share of that many
seconds to ``delay``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .faults import AnswerFault, answer_fault

KEYS_COUNTED = 10_000  # keys whose request count is kept; the least recently seen is forgotten past it


@dataclass(frozen=True, slots=True)
class SeededRule:
    name: str
    fault: AnswerFault
    jitter: float = 0.0
    rate: float = 1.0
    method: str | None = None
    path: str | None = None
    key: str | None = None

    def matches(self, key: str, method: str, path: str) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.path is None or self.path in path)
            and (self.key is None or self.key == key)
        )


def rule_from_fixture(raw: dict[str, Any], where: str) -> SeededRule:
    """A rule as a fixture file writes it (already checked against the fixture schema)."""
    fault, match = raw["fault"], raw.get("match", {})
    code, drop = fault.get("code"), fault.get("drop")
    delay, jitter = float(fault.get("delay", 0)), float(fault.get("delay_jitter", 0))
    if jitter and not (delay or code or drop):
        checked = AnswerFault()  # a delay drawn from the jitter alone
    else:
        checked = answer_fault(code, fault.get("retry_after"), delay, drop, f"{where}.fault")
    return SeededRule(raw["name"], checked, jitter, float(raw.get("rate", 1)), match.get("method"), match.get("path"), match.get("key"))


class FaultRules:
    """The rules in force, and each key's request count for the draws."""

    def __init__(self, rules: tuple[SeededRule, ...], seed: int) -> None:
        self.rules = rules
        self._seed = seed
        self._counts: OrderedDict[str, int] = OrderedDict()

    def pick(self, key: str, method: str, path: str) -> AnswerFault | None:
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        if len(self._counts) > KEYS_COUNTED:
            self._counts.popitem(last=False)
        for rule in self.rules:
            if not rule.matches(key, method, path):
                continue
            draw = _draw(self._seed, key, count, rule.name)
            if draw >= rule.rate:
                continue
            if not rule.jitter:
                return rule.fault
            extra = rule.jitter * _draw(self._seed, key, count, rule.name + "/jitter")
            return AnswerFault(rule.fault.code, rule.fault.retry_after, round(rule.fault.delay + extra, 3), rule.fault.drop)
        return None


def _draw(seed: int, key: str, count: int, salt: str) -> float:
    """A number in [0, 1) that depends on its inputs only."""
    digest = hashlib.blake2b(f"{seed}\0{key}\0{count}\0{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
