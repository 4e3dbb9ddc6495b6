"""Which outcome a clip request gets. In order of precedence:

1. an override set through the admin API for the next N jobs of the key;
2. a ``Prefer`` header on the request;
3. the first fixture rule that matches, else the default (done on the first poll).

An override or preference is a patch: what it names replaces that part of the rule's
outcome, the rest stays. Every step is deterministic.
"""

from __future__ import annotations

from .model import ClipRequest, ClipRule, Outcome, RuleMatch
from .preferences import OutcomePatch

DEFAULT_OUTCOME = Outcome()  # done on the first poll, shots derived from the video


def matches(match: RuleMatch, request: ClipRequest) -> bool:
    if match.video_id is not None and match.video_id != request.video_id:
        return False
    if match.content_type is not None and match.content_type != request.content_type:
        return False
    if match.model_name is not None and match.model_name != request.model_name:
        return False
    if match.prompt_contains is not None and match.prompt_contains.lower() not in request.prompt.lower():
        return False
    if match.prompt_regex is not None and match.prompt_regex.search(request.prompt) is None:
        return False
    return True


def rule_outcome(rules: tuple[ClipRule, ...], request: ClipRequest) -> Outcome:
    for rule in rules:
        if matches(rule.match, request):
            return rule.outcome
    return DEFAULT_OUTCOME


def choose_outcome(
    rules: tuple[ClipRule, ...],
    request: ClipRequest,
    preference: OutcomePatch | None = None,
    override: OutcomePatch | None = None,
) -> Outcome:
    outcome = rule_outcome(rules, request)
    if override is not None:
        return override.apply(outcome, "override")
    if preference is not None:
        return preference.apply(outcome, "prefer-header")
    return outcome
