"""A job and its lifecycle, for any kind of job: processing, then done or failed for good.

A job turns terminal at the first poll where both its conditions hold: it has already
answered ``processing_polls`` processing polls, and ``processing_seconds`` have passed on
its key's clock. Once terminal it never changes, whatever the clock does afterwards.

A job with a ``callback_url`` must end even if nobody polls it, so only time drives it:
it ends once ``processing_seconds`` have passed, and ``processing_polls`` does not apply.

A ``Job`` is an immutable value: each step of the lifecycle returns the job as it is after
that step, and only the engine hands those to the store.
"""

from __future__ import annotations

from dataclasses import replace

from typing import Any, NamedTuple

from .errors import JobIsTerminal
from .outcomes import JobStatus, Outcome

_PROCESSING = JobStatus.PROCESSING


class Job(NamedTuple):
    # A named tuple rather than a frozen dataclass: it is built on every job-creating request,
    # and a frozen dataclass pays a setattr call per field.
    id: str
    sequence: int
    kind: str  # the name of its JobKind
    subject: Any  # what the kind works on (for a clip: the request and the video), immutable
    outcome: Outcome
    created_at: float  # on the key's clock
    base_url: str | None = None  # where the client reached us: the callback renders URLs from it
    callback_url: str | None = None
    processing_answers: int = 0
    terminal: bool = False
    weight: int = 0  # bytes of client-sent text it keeps (prompt, callback URL…), for the store's byte bound
    faulted_polls: int = 0  # polls answered with the outcome's poll_code so far
    ended_at: float | None = None  # on its key's clock, once terminal

    @property
    def ends_by_clock(self) -> bool:
        return self.callback_url is not None

    @property
    def status(self) -> JobStatus:
        """What the job answered last: its outcome once terminal, else processing."""
        return self.outcome.status if self.terminal else _PROCESSING

    @property
    def clock_due_at(self) -> float:
        """About when, on its key's clock, it may end (a callback job ends then): for planning a
        wake-up; due() decides."""
        return self.created_at + self.outcome.processing_seconds

    def due(self, now: float) -> bool:
        if self.outcome.stuck:
            return False
        polled_enough = self.callback_url is not None or self.processing_answers >= self.outcome.processing_polls
        return polled_enough and now - self.created_at >= self.outcome.processing_seconds

    def status_at(self, now: float) -> JobStatus:
        """The status a poll would answer now, without counting as one."""
        if self.terminal or self.due(now):
            return self.outcome.status
        return _PROCESSING

    def polled(self, now: float) -> Job:
        """The job after one poll: a poll is what moves a poll-driven job forward. A poll its
        outcome's poll_code answers instead moves nothing but the count of such polls."""
        outcome = self.outcome
        if outcome.poll_code is not None and self.faulted_polls < outcome.poll_code_times:
            return self._replace(faulted_polls=self.faulted_polls + 1)
        if self.terminal:
            return self
        if self.due(now):
            return self._replace(terminal=True, ended_at=now)
        return self._replace(processing_answers=self.processing_answers + 1)

    def settled(self, now: float) -> Job:
        """The job turned terminal if it is due, without counting as a poll."""
        if not self.terminal and self.due(now):
            return self._replace(terminal=True, ended_at=now)
        return self

    def expired_at(self, now: float) -> bool:
        """Its outcome's expire_seconds have passed since it ended."""
        expire = self.outcome.expire_seconds
        return expire is not None and self.ended_at is not None and now >= self.ended_at + expire

    def rescheduled(self, outcome: Outcome) -> Job:
        """A processing job given another outcome."""
        if self.terminal:
            raise JobIsTerminal(self.id)
        return self._replace(outcome=outcome)

    def finished(self, status: JobStatus, message: str | None, source: str, now: float) -> Job:
        """The job ended now, with this status, whatever its outcome said."""
        if self.terminal:
            raise JobIsTerminal(self.id)
        ended = replace(self.outcome, status=status, message=message, rule=source)
        return self._replace(outcome=ended, terminal=True, ended_at=now)
