"""The clip job lifecycle as a pure state machine: processing, then done or failed for good.

A job turns terminal at the first poll where both its conditions hold: it has already
answered ``processing_polls`` processing polls, and ``processing_seconds`` have passed on
its key's clock. Once terminal it never changes, whatever the clock does afterwards.

A job with a ``callback_url`` must end even if nobody polls it, so only time drives it:
it ends once ``processing_seconds`` have passed, and ``processing_polls`` does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .model import ClipRequest, JobStatus, Outcome, Video


class JobIsTerminal(Exception):
    """A terminal job was asked to change; its answer is final."""


@dataclass(slots=True)
class Job:
    id: str
    sequence: int
    request: ClipRequest
    video: Video  # kept, so a fixture reload cannot pull it from under the job
    outcome: Outcome
    created_at: float
    base_url: str | None = None  # where the client reached us: the callback renders URLs from it
    processing_answers: int = 0
    terminal: bool = False

    def _due(self, now: float) -> bool:
        polled_enough = self.request.callback_url is not None or self.processing_answers >= self.outcome.processing_polls
        return polled_enough and now - self.created_at >= self.outcome.processing_seconds

    def settle(self, now: float) -> bool:
        """Turn terminal if due, without counting as a poll; True if it is terminal now."""
        if not self.terminal and self._due(now):
            self.terminal = True
        return self.terminal

    def poll(self, now: float) -> JobStatus:
        """Answer one poll: this is what moves a poll-driven job forward."""
        if not self.terminal:
            if not self._due(now):
                self.processing_answers += 1
                return JobStatus.PROCESSING
            self.terminal = True
        return self.outcome.status

    def peek(self, now: float) -> JobStatus:
        """The status a poll would answer now, without counting as one."""
        if self.terminal or self._due(now):
            return self.outcome.status
        return JobStatus.PROCESSING

    def reschedule(self, outcome: Outcome) -> None:
        """Give a job that is still processing another outcome."""
        if self.terminal:
            raise JobIsTerminal(self.id)
        self.outcome = outcome

    def finish(self, status: JobStatus, message: str | None, source: str) -> None:
        """End the job now, with this status."""
        if self.terminal:
            raise JobIsTerminal(self.id)
        self.outcome = replace(self.outcome, status=status, message=message, rule=source)
        self.terminal = True
