"""Outcome patches, and the ``Prefer`` header that asks for one on a single clip request.

Grammar (a list of ``name=value`` preferences, separated by ``;`` or ``,``)::

    Prefer: outcome=failed; polls=2; message="Clip generation failed: codec"
    Prefer: seconds=30

- ``outcome``: ``done`` or ``failed``
- ``polls``: processing answers before the terminal one, 0 to 1000
- ``seconds``: seconds on the key's clock before it may end, 0 to 86400
- ``message``: the failure message, a token or a double-quoted string (``\\"`` escapes a quote)

Standard preferences (``respond-async``, ``return``, ``wait``, ``handling``) are ignored;
anything else is refused with 400, so a typo never passes silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import InvalidInput
from .model import JobStatus, Outcome

FIELD = "header.prefer"
MAX_POLLS = 1000
MAX_SECONDS = 86_400.0
_STANDARD = frozenset({"respond-async", "return", "wait", "handling"})
_ITEM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]+))?\s*(?:[;,]|$)')


@dataclass(frozen=True, slots=True)
class OutcomePatch:
    """Parts of an outcome to replace; ``None`` keeps what the fixture rules chose."""

    status: JobStatus | None = None
    message: str | None = None
    processing_polls: int | None = None
    processing_seconds: float | None = None

    def apply(self, outcome: Outcome, source: str) -> Outcome:
        changes: dict[str, object] = {"rule": source}
        if self.status is not None:
            changes["status"] = self.status
            if self.status is JobStatus.DONE:
                changes["message"] = None
        if self.message is not None:
            changes["message"] = self.message
        if self.processing_polls is not None:
            changes["processing_polls"] = self.processing_polls
        if self.processing_seconds is not None:
            changes["processing_seconds"] = self.processing_seconds
        return replace(outcome, **changes)

    def to_dict(self) -> dict[str, object]:
        raw = {
            "outcome": self.status.value if self.status else None,
            "message": self.message,
            "polls": self.processing_polls,
            "seconds": self.processing_seconds,
        }
        return {k: v for k, v in raw.items() if v is not None}


def make_patch(
    outcome: str | None = None, message: str | None = None, polls: int | None = None, seconds: float | None = None, *, field: str
) -> OutcomePatch:
    """A checked patch; ``field`` names where the values came from, for error messages."""
    status = None
    if outcome is not None:
        if outcome not in ("done", "failed"):
            raise InvalidInput(f"{field}.outcome", "must be done or failed")
        status = JobStatus(outcome)
    if polls is not None and not 0 <= polls <= MAX_POLLS:
        raise InvalidInput(f"{field}.polls", f"must be between 0 and {MAX_POLLS}")
    if seconds is not None and not 0 <= seconds <= MAX_SECONDS:
        raise InvalidInput(f"{field}.seconds", f"must be between 0 and {MAX_SECONDS:g}")
    if message is not None and not message:
        raise InvalidInput(f"{field}.message", "must not be empty")
    return OutcomePatch(status, message, polls, seconds)


def parse_prefer(header: str) -> OutcomePatch | None:
    """The outcome patch a ``Prefer`` header asks for, or None if it asks for none."""
    values: dict[str, str] = {}
    position = 0
    text = header.strip()
    while position < len(text):
        match = _ITEM.match(text, position)
        if match is None or match.end() == position:
            raise InvalidInput(FIELD, f"malformed near {text[position:position + 30]!r} (expected name=value pairs separated by ';')")
        position = match.end()
        name, value = match.group(1).lower(), match.group(2)
        if name in _STANDARD:
            continue
        if name not in ("outcome", "polls", "seconds", "message"):
            raise InvalidInput(FIELD, f"unknown preference {name!r} (known: outcome, polls, seconds, message)")
        if value is None:
            raise InvalidInput(f"{FIELD}.{name}", "needs a value")
        if name in values:
            raise InvalidInput(f"{FIELD}.{name}", "given twice")
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        values[name] = value
    if not values:
        return None
    polls = seconds = None
    if "polls" in values:
        if not values["polls"].isdigit():
            raise InvalidInput(f"{FIELD}.polls", "must be a whole number")
        polls = int(values["polls"])
    if "seconds" in values:
        try:
            seconds = float(values["seconds"])
        except ValueError:
            raise InvalidInput(f"{FIELD}.seconds", "must be a number") from None
        if seconds != seconds:  # NaN
            raise InvalidInput(f"{FIELD}.seconds", "must be a number")
    return make_patch(values.get("outcome"), values.get("message"), polls, seconds, field=FIELD)
