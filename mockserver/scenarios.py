"""Which outcome a new job gets. In order of precedence:

1. an override set through the control API for the next N jobs of the key;
2. a ``Prefer`` header on the request;
3. what the job's kind says: the first fixture rule that matches, else its default.

An override or preference is a patch: what it names replaces that part of the rule's
outcome, the rest stays. Every step is deterministic.
"""

from __future__ import annotations

from .outcomes import Outcome, OutcomePatch


def choose_outcome(rule_outcome: Outcome, preference: OutcomePatch | None = None, override: OutcomePatch | None = None) -> Outcome:
    if override is not None:
        return override.apply(rule_outcome, "override")
    if preference is not None:
        return preference.apply(rule_outcome, "prefer-header")
    return rule_outcome
