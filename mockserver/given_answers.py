"""Answers a test gives the emulator to serve as they are, instead of working them out.

A client's developer uses them to run the client against any answer the contract allows (or one
a real deployment sent): the next ``times`` requests of a key for an operation (and, for polls,
optionally one job) get exactly this status and body. The request is still checked, so a client
that sends a bad request still learns it; the operation itself does not run, so nothing is
created or changed.

Every such answer carries ``X-Emulator-Answer: given`` (``given; unchecked`` when it was not
checked against the contract), and the journal marks it, so no one takes it for the emulator's
own behaviour.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from .errors import InvalidInput
from .render import encode_json

GIVEN_HEADER = "x-emulator-answer"
_CHECKED = {GIVEN_HEADER: "given"}
_UNCHECKED = {GIVEN_HEADER: "given; unchecked"}


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    operation: str  # the operationId it answers
    status: int
    body: Any  # as given; served as `encoded`
    encoded: bytes
    remaining: int = 1
    job_id: str | None = None  # for the polls of one job only; None: any request of the operation
    checked: bool = True  # whether it was checked against the contract when given

    @property
    def headers(self) -> dict[str, str]:
        return _CHECKED if self.checked else _UNCHECKED

    def matches(self, operation: str, job_id: str | None) -> bool:
        return self.operation == operation and (self.job_id is None or self.job_id == job_id)

    def describe(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"operation": self.operation, "status": self.status, "body": self.body, "remaining": self.remaining}
        if self.job_id is not None:
            shown["job_id"] = self.job_id
        shown["checked"] = self.checked
        return shown


def given_answer(operation: str, status: int, body: Any, times: int, job_id: str | None, checked: bool) -> GivenAnswer:
    try:
        encoded = encode_json(body).encode("utf-8")
    except ValueError as error:  # NaN or infinity: not JSON
        raise InvalidInput("body.answers.body", f"must be JSON: {error}") from None
    return GivenAnswer(operation, status, body, encoded, times, job_id, checked)


class AnswerBook:
    """The given answers waiting for each key's requests, used in the order given.

    Bounded: each key holds at most MAX_PER_KEY, and all keys together at most MAX_BYTES of
    answer bodies (a given answer is never trimmed: it is refused when it does not fit)."""

    MAX_PER_KEY = 100
    MAX_BYTES = 32 * 1024 * 1024

    def __init__(self) -> None:
        self.by_key: dict[str, deque[GivenAnswer]] = {}
        self._bytes = 0
        # Whether any answer waits at all: the request path reads this one attribute and goes on.
        self.armed = False

    def add(self, key: str, answers: list[GivenAnswer]) -> None:
        pending = self.by_key.get(key, ())
        if len(pending) + len(answers) > self.MAX_PER_KEY:
            raise InvalidInput("body.answers", f"a key holds at most {self.MAX_PER_KEY} given answers waiting ({len(pending)} wait now)")
        size = sum(len(answer.encoded) for answer in answers)
        if self._bytes + size > self.MAX_BYTES:
            raise InvalidInput("body.answers", f"given answers waiting on all keys hold at most {self.MAX_BYTES} bytes of bodies")
        self.by_key.setdefault(key, deque()).extend(answers)
        self._bytes += size
        self.armed = True

    def take(self, key: str, operation: str, job_id: str | None) -> GivenAnswer | None:
        """The answer for this request, if one waits for it; uses one of its times."""
        pending = self.by_key.get(key)
        for index, answer in enumerate(pending or ()):
            if answer.matches(operation, job_id):
                assert pending is not None
                if answer.remaining <= 1:
                    del pending[index]
                    self._bytes -= len(answer.encoded)
                    if not pending:
                        del self.by_key[key]
                        self.armed = bool(self.by_key)
                else:
                    pending[index] = replace(answer, remaining=answer.remaining - 1)
                return answer
        return None

    def answers(self, key: str) -> list[GivenAnswer]:
        return list(self.by_key.get(key, ()))

    def clear(self, key: str | None = None) -> None:
        dropped = self.by_key.values() if key is None else [self.by_key.get(key, deque())]
        self._bytes -= sum(len(answer.encoded) for answers in dropped for answer in answers)
        if key is None:
            self.by_key.clear()
        else:
            self.by_key.pop(key, None)
        self.armed = bool(self.by_key)
