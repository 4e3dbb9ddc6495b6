"""The fixture rules of the job kinds beyond clip: the first rule that matches picks the outcome."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import JobRule
from ..outcomes import DEFAULT_OUTCOME, Outcome


class KindRules:
    """One kind's rules, in fixture order."""

    def __init__(self, kind: str, rules: Iterable[JobRule] = ()) -> None:
        self.kind = kind
        self.use(rules)

    def use(self, rules: Iterable[JobRule]) -> None:
        self._rules = tuple(rule for rule in rules if rule.kind == self.kind)

    def outcome(self, video_id: str | None = None, url: str | None = None) -> Outcome:
        lowered = url.lower() if url is not None else None
        for rule in self._rules:
            if rule.video_id is not None and rule.video_id != video_id:
                continue
            if rule.url_contains is not None and (lowered is None or rule.url_contains not in lowered):
                continue
            return rule.outcome
        return DEFAULT_OUTCOME
