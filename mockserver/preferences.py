"""Outcome patches, and the ``Prefer`` header that asks for one on a single clip request.

Grammar (a list of ``name=value`` preferences, separated by ``;`` or ``,``)::

    Prefer: outcome=failed; polls=2; message="Clip generation failed: codec"
    Prefer: seconds=30

- ``outcome``: ``done`` or ``failed``
- ``polls``: processing answers before the terminal one, 0 to 1000
- ``seconds``: seconds on the key's clock before it may end, 0 to 86400
- ``message``: the failure message, a token or a double-quoted string (``\\"`` escapes a quote)
- ``callback``: callback faults, ``duplicate`` and/or ``out-of-order`` (quote both: ``"duplicate out-of-order"``)
- ``callback-delay``: seconds on the key's clock to hold the first callback attempt, 0 to 86400

Standard preferences (``respond-async``, ``return``, ``wait``, ``handling``) are ignored;
anything else is refused with 400, so a typo never passes silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import InvalidInput
from .model import CallbackFaults, JobStatus, Outcome

FIELD = "header.prefer"
MAX_POLLS = 1000
MAX_SECONDS = 86_400.0
_STANDARD = frozenset({"respond-async", "return", "wait", "handling"})
_KNOWN = ("outcome", "polls", "seconds", "message", "callback", "callback-delay")
_FAULTS = {"duplicate": "duplicate", "out-of-order": "out_of_order"}
_ITEM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]+))?\s*(?:[;,]|$)')


@dataclass(frozen=True, slots=True)
class OutcomePatch:
    """Parts of an outcome to replace; ``None`` keeps what the fixture rules chose."""

    status: JobStatus | None = None
    message: str | None = None
    processing_polls: int | None = None
    processing_seconds: float | None = None
    callback_duplicate: bool | None = None
    callback_delay: float | None = None
    callback_out_of_order: bool | None = None

    def _faults(self, current: CallbackFaults) -> CallbackFaults:
        return CallbackFaults(
            duplicate=current.duplicate if self.callback_duplicate is None else self.callback_duplicate,
            delay_seconds=current.delay_seconds if self.callback_delay is None else self.callback_delay,
            out_of_order=current.out_of_order if self.callback_out_of_order is None else self.callback_out_of_order,
        )

    def apply(self, outcome: Outcome, source: str) -> Outcome:
        changes: dict[str, object] = {"rule": source, "callback": self._faults(outcome.callback)}
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
            "callback": {
                k: v
                for k, v in (
                    ("duplicate", self.callback_duplicate),
                    ("delay_seconds", self.callback_delay),
                    ("out_of_order", self.callback_out_of_order),
                )
                if v is not None
            }
            or None,
        }
        return {k: v for k, v in raw.items() if v is not None}


def make_patch(
    outcome: str | None = None,
    message: str | None = None,
    polls: int | None = None,
    seconds: float | None = None,
    callback: dict[str, object] | None = None,
    *,
    field: str,
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
    faults = callback or {}
    delay = faults.get("delay_seconds")
    if delay is not None and not 0 <= float(delay) <= MAX_SECONDS:  # type: ignore[arg-type]
        raise InvalidInput(f"{field}.callback.delay_seconds", f"must be between 0 and {MAX_SECONDS:g}")
    return OutcomePatch(
        status,
        message,
        polls,
        seconds,
        callback_duplicate=faults.get("duplicate"),  # type: ignore[arg-type]
        callback_delay=None if delay is None else float(delay),  # type: ignore[arg-type]
        callback_out_of_order=faults.get("out_of_order"),  # type: ignore[arg-type]
    )


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
        if name not in _KNOWN:
            raise InvalidInput(FIELD, f"unknown preference {name!r} (known: {', '.join(_KNOWN)})")
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
    callback: dict[str, object] = {}
    for fault in values.get("callback", "").split():
        if fault not in _FAULTS:
            raise InvalidInput(f"{FIELD}.callback", f"unknown fault {fault!r} (known: duplicate, out-of-order)")
        callback[_FAULTS[fault]] = True
    if "callback-delay" in values:
        try:
            callback["delay_seconds"] = float(values["callback-delay"])
        except ValueError:
            raise InvalidInput(f"{FIELD}.callback-delay", "must be a number") from None
    return make_patch(values.get("outcome"), values.get("message"), polls, seconds, callback, field=FIELD)
