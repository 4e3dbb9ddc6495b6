"""The clip job lifecycle as a pure state machine: processing, then done or failed for good.

A job turns terminal at the first poll where both its conditions hold: it has already
answered ``processing_polls`` processing polls, and ``processing_seconds`` have passed on
the clock. Once terminal it never changes, whatever the clock does afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ClipRequest, JobStatus, Outcome


@dataclass(slots=True)
class Job:
    id: str
    sequence: int
    request: ClipRequest
    outcome: Outcome
    created_at: float
    processing_answers: int = 0
    terminal: bool = False

    def _due(self, now: float) -> bool:
        return (
            self.processing_answers >= self.outcome.processing_polls
            and now - self.created_at >= self.outcome.processing_seconds
        )

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
