"""The ``Prefer`` header: asks for an outcome patch on one job-creating request, and for faults
on the answer of any request (``faults.py``).

Grammar: a list of ``name=value`` preferences separated by ``;`` or ``,``; a value is a token
or a double-quoted string (``\\"`` escapes a quote)::

    Prefer: outcome=failed; polls=2; message="Clip generation failed: codec"
    Prefer: seconds=30, callback="duplicate out-of-order", callback-delay=5

The names, types and bounds come from ``outcomes.TERMS``; flags of the callback group are words
of one ``callback`` preference. Standard preferences (``respond-async``, ``return``, ``wait``,
``handling``) are ignored; anything else is refused, so a typo never passes silently.
"""

from __future__ import annotations

import re

from .errors import InvalidInput
from .faults import AnswerFault, answer_fault
from .outcomes import TERMS, OutcomePatch, Term, check_value

FIELD = "header.prefer"
FLAGS_PREFERENCE = "callback"
_STANDARD = frozenset({"respond-async", "return", "wait", "handling"})
_VALUED: dict[str, Term] = {t.prefer: t for t in TERMS if t.prefer}
_FLAGS: dict[str, Term] = {t.prefer_flag: t for t in TERMS if t.prefer_flag}
FAULT_NAMES = ("code", "retry-after", "delay", "drop")
KNOWN = (*_VALUED, FLAGS_PREFERENCE, *FAULT_NAMES)
MAX_LENGTH = 4096
# Possessive quantifiers (*+, ++, ?+): a failed match never backtracks into the spaces it ate,
# so parsing a hostile header costs time linear in its length, never quadratic.
_ITEM = re.compile(r'\s*+([A-Za-z][A-Za-z0-9_-]*+)\s*+(?:=\s*+("(?:[^"\\]|\\.)*+"|[^;,"\s]++))?+\s*+(?:[;,]|$)')


def _split(header: str) -> dict[str, str]:
    if len(header) > MAX_LENGTH:
        raise InvalidInput(FIELD, f"must be at most {MAX_LENGTH} characters, got {len(header)}")
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
        if name not in KNOWN:
            raise InvalidInput(FIELD, f"unknown preference {name!r} (known: {', '.join(KNOWN)})")
        if value is None:
            raise InvalidInput(f"{FIELD}.{name}", "needs a value")
        if name in values:
            raise InvalidInput(f"{FIELD}.{name}", "given twice")
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        values[name] = value
    return values


def _typed(term: Term, text: str) -> object:
    """The header's text as the term's type, before its bounds are checked."""
    where = f"{FIELD}.{term.prefer}"
    if term.type == "flag":
        if text not in ("true", "false"):
            raise InvalidInput(where, "must be true or false")
        return text == "true"
    if term.type in ("count", "status"):
        if not text.isdigit():
            raise InvalidInput(where, "must be a whole number")
        return int(text)
    if term.type == "seconds":
        try:
            number = float(text)
        except ValueError:
            raise InvalidInput(where, "must be a number") from None
        if number != number:  # NaN
            raise InvalidInput(where, "must be a number")
        return number
    return text


def parse_prefer(header: str) -> OutcomePatch | None:
    """The outcome patch a ``Prefer`` header asks for, or None if it asks for none."""
    values = _split(header)
    if not values:
        return None
    chosen: dict[str, object] = {}
    for name, text in values.items():
        if name in FAULT_NAMES:
            continue  # the answer's faults: parse_answer_fault
        if name == FLAGS_PREFERENCE:
            for word in text.split():
                if word not in _FLAGS:
                    raise InvalidInput(f"{FIELD}.{name}", f"unknown fault {word!r} (known: {', '.join(_FLAGS)})")
                chosen[_FLAGS[word].name] = True
            continue
        term = _VALUED[name]
        chosen[term.name] = check_value(term, _typed(term, text), f"{FIELD}.{name}")
    if not chosen:
        return None
    return OutcomePatch(tuple((t.name, chosen[t.name]) for t in TERMS if t.name in chosen))


def parse_answer_fault(header: str) -> AnswerFault | None:
    """The faults a ``Prefer`` header asks for on this request's answer, or None. The whole
    header is checked, so a typo in any preference is refused here too."""
    values = _split(header)
    if not any(name in values for name in FAULT_NAMES):
        return None
    code = _whole(values["code"], "code") if "code" in values else None
    retry_after = _whole(values["retry-after"], "retry-after") if "retry-after" in values else None
    delay = 0.0
    if "delay" in values:
        try:
            delay = float(values["delay"])
        except ValueError:
            delay = -1.0  # refused below, with the bounds named
    return answer_fault(code, retry_after, delay, values.get("drop"), FIELD)


def _whole(text: str, name: str) -> int:
    if not text.isdigit():
        raise InvalidInput(f"{FIELD}.{name}", "must be a whole number")
    return int(text)
