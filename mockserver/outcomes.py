"""How a job ends, and the vocabulary every surface uses to ask for an ending.

An outcome is chosen for each job when it starts (fixture rule, ``Prefer`` header or control-API
override) and says whether it ends done or failed, how long it stays processing, and how its
callback misbehaves. ``TERMS`` declares that vocabulary once: each term's spelling on every
surface (control API and ``Control``, ``Prefer`` header, fixture rules), its type and its bounds.
The Prefer grammar, the patch checks and the fixture loader read it; a test holds the fixture
schema, the control API's contract and ``Control`` to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from .errors import InvalidInput


class JobStatus(str, Enum):
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CallbackFaults:
    """Opt-in misbehaviour of a job's callback delivery, for testing receivers."""

    duplicate: bool = False  # deliver the same callback twice (same delivery id)
    delay_seconds: float = 0.0  # wait this long on the key's clock before the first attempt
    out_of_order: bool = False  # hold it until a later job's callback of the same key went out

    @property
    def any(self) -> bool:
        return self.duplicate or self.out_of_order or bool(self.delay_seconds)


NO_FAULTS = CallbackFaults()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job ends and how long it stays processing first."""

    status: JobStatus = JobStatus.DONE
    message: str | None = None
    processing_polls: int = 0
    processing_seconds: float = 0.0
    shots: tuple[object, ...] | None = None  # clip jobs: explicit shots; None derives them from the video
    rule: str | None = None  # what chose it: a fixture rule's name, "override", "prefer-header", "forced"
    callback: CallbackFaults = NO_FAULTS
    # Poll faults: the job's first poll_code_times polls answer poll_code (not counting as polls);
    # once it ended, its output_url answers 404 expired after expire_seconds.
    poll_code: int | None = None
    poll_code_times: int = 1
    expire_seconds: float | None = None
    stuck: bool = False  # a fault: it answers processing until forced


DEFAULT_OUTCOME = Outcome()  # done on the first poll


# The vocabulary ------------------------------------------------------------------------------------
MAX_POLLS = 1000
MAX_SECONDS = 86_400.0
MAX_MESSAGE = 2000


@dataclass(frozen=True, slots=True)
class Term:
    """One thing an outcome can be asked for, with its spelling on each surface.

    ``name`` is the control API's (and ``Control``'s) key; terms of the ``callback`` group sit
    in a nested ``callback`` object there and in fixture rules. In a ``Prefer`` header a term is
    either ``prefer=value`` or, for a flag, a word in the ``callback`` list (``prefer_flag``).
    """

    name: str
    type: str  # "choice", "count", "seconds", "text", "flag" or "status" (an HTTP error status)
    attribute: str  # on Outcome, or on CallbackFaults for the callback group
    fixture: str  # the key in a fixture rule
    prefer: str | None = None
    prefer_flag: str | None = None
    group: str | None = None  # "callback", or None for the top level
    choices: tuple[str, ...] = ()
    maximum: float | None = None
    minimum: float = 0
    min_length: int = 1
    description: str = ""


TERMS: tuple[Term, ...] = (
    Term("outcome", "choice", "status", "outcome", prefer="outcome", choices=("done", "failed"), description="how the job ends"),
    Term("message", "text", "message", "message", prefer="message", maximum=MAX_MESSAGE, description="the failure message"),
    Term("polls", "count", "processing_polls", "processing_polls", prefer="polls", maximum=MAX_POLLS, description="processing answers before the terminal one"),
    Term("seconds", "seconds", "processing_seconds", "processing_seconds", prefer="seconds", maximum=MAX_SECONDS, description="seconds on the key's clock before it may end"),
    Term("poll_code", "status", "poll_code", "poll_code", prefer="poll-code", minimum=400, maximum=599, description="a fault: the job's first polls answer this status"),
    Term("poll_code_times", "count", "poll_code_times", "poll_code_times", prefer="poll-code-times", maximum=MAX_POLLS, description="how many polls poll_code answers (default 1)"),
    Term("stuck", "flag", "stuck", "stuck", prefer="stuck", description="a fault: the job stays processing until forced"),
    Term("expire_seconds", "seconds", "expire_seconds", "expire_seconds", prefer="expire-after", maximum=MAX_SECONDS, description="a fault: seconds after it ended that its output_url answers 404 expired"),
    Term("duplicate", "flag", "duplicate", "duplicate", prefer_flag="duplicate", group="callback", description="deliver the callback twice"),
    Term("delay_seconds", "seconds", "delay_seconds", "delay_seconds", prefer="callback-delay", group="callback", maximum=MAX_SECONDS, description="hold the first callback attempt"),
    Term("out_of_order", "flag", "out_of_order", "out_of_order", prefer_flag="out-of-order", group="callback", description="hold the callback until a later job's went out"),
)
TOP_TERMS = tuple(t for t in TERMS if t.group is None)
CALLBACK_TERMS = tuple(t for t in TERMS if t.group == "callback")
_BY_NAME = {t.name: t for t in TERMS}


def check_value(term: Term, value: object, where: str) -> object:
    """``value`` for ``term``, checked against its type and bounds; InvalidInput names ``where``."""
    if term.type == "choice":
        if value not in term.choices:
            raise InvalidInput(where, f"must be {' or '.join(term.choices)}")
        return value
    if term.type == "flag":
        if not isinstance(value, bool):
            raise InvalidInput(where, "must be true or false")
        return value
    if term.type == "text":
        if not isinstance(value, str) or not term.min_length <= len(value) <= (term.maximum or len(value)):
            raise InvalidInput(where, f"must be text of {term.min_length} to {term.maximum:g} characters")
        return value
    number_ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN fails
    if term.type == "status":
        if not number_ok or int(value) != value or not term.minimum <= value <= (term.maximum or 0):  # type: ignore[operator]
            raise InvalidInput(where, f"must be an error status from {term.minimum:g} to {term.maximum:g}")
        return int(value)  # type: ignore[arg-type]
    if term.type == "count":
        if not number_ok or int(value) != value or not 0 <= value <= (term.maximum or 0):  # type: ignore[operator]
            raise InvalidInput(where, f"must be a whole number between 0 and {term.maximum:g}")
        return int(value)  # type: ignore[arg-type]
    if not number_ok or not 0 <= value <= (term.maximum or 0):  # type: ignore[operator]
        raise InvalidInput(where, f"must be between 0 and {term.maximum:g}")
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class OutcomePatch:
    """Parts of an outcome to replace, by term name; what it leaves out keeps what the rules chose."""

    values: tuple[tuple[str, object], ...] = ()

    def apply(self, outcome: Outcome, source: str) -> Outcome:
        top: dict[str, object] = {"rule": source}
        faults: dict[str, object] = {}
        for name, value in self.values:
            term = _BY_NAME[name]
            if term.name == "outcome":
                top["status"] = JobStatus(value)
                if value == "done":
                    top.setdefault("message", None)
            elif term.group == "callback":
                faults[term.attribute] = value
            else:
                top[term.attribute] = value
        if faults:
            top["callback"] = replace(outcome.callback, **faults)
        return replace(outcome, **top)

    def to_dict(self) -> dict[str, object]:
        """As the control API spells it."""
        body: dict[str, object] = {}
        for name, value in self.values:
            group = _BY_NAME[name].group
            target = body.setdefault(group, {}) if group else body
            target[name] = value  # type: ignore[index]
        return body


def patch_from(body: Mapping[str, object], where: str) -> OutcomePatch:
    """A checked patch from the control API's spelling (``callback`` nested); ``where`` prefixes errors."""
    values: list[tuple[str, object]] = []
    for term in TERMS:
        source = body.get(term.group) if term.group else body
        if not isinstance(source, Mapping) or source.get(term.name) is None:
            continue
        path = f"{where}.{term.group}.{term.name}" if term.group else f"{where}.{term.name}"
        values.append((term.name, check_value(term, source[term.name], path)))
    return OutcomePatch(tuple(values))


def outcome_from_fixture(rule: Mapping[str, object], shots: tuple[object, ...] | None) -> Outcome:
    """The outcome a fixture rule declares (already checked against the fixture schema)."""
    faults = rule.get("callback") or {}
    assert isinstance(faults, Mapping)
    fields: dict[str, object] = {"rule": rule["name"], "shots": shots}
    for term in TOP_TERMS:
        if rule.get(term.fixture) is not None:
            fields[term.attribute] = JobStatus(rule[term.fixture]) if term.name == "outcome" else rule[term.fixture]
    callback = {t.attribute: faults[t.fixture] for t in CALLBACK_TERMS if faults.get(t.fixture) is not None}
    fields["callback"] = CallbackFaults(**callback) if callback else NO_FAULTS  # type: ignore[arg-type]
    for seconds in ("processing_seconds", "expire_seconds"):
        if seconds in fields:
            fields[seconds] = float(fields[seconds])  # type: ignore[arg-type]
    return Outcome(**fields)  # type: ignore[arg-type]
