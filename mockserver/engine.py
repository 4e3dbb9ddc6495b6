"""The job engine: the one place where any job, of any kind, changes state.

Its verbs are the whole life of a job: ``start`` (outcome chosen, job stored), ``poll``,
``settle`` (end it if its clock says so), ``force`` and ``reschedule`` (the control API's),
``expire`` and ``reset``. Each change goes through the store as one step, and the engine
tells its subscribers what happened: a job started, changed or ended, or a key was reset.
Callbacks subscribe; nothing is wired into the engine from outside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from . import ids
from .errors import Expired, NotFound, PollFault
from .jobs import Job
from .kinds import JobKind
from .outcomes import JobStatus, OutcomePatch
from .scenarios import choose_outcome
from .store import JobStore, PendingOverride


# Events are named tuples: one is made on every job-creating request.
class JobStarted(NamedTuple):
    key: str
    job: Job


class JobChanged(NamedTuple):
    """A processing job was given another outcome: it may now end sooner or later."""

    key: str
    job: Job


class JobEnded(NamedTuple):
    """The job turned terminal (by a poll, by its clock, or forced); its answer is final."""

    key: str
    job: Job


class ClockMoved(NamedTuple):
    """A key's clock was set, advanced, frozen or unfrozen: its jobs may be due sooner or later."""

    key: str


class KeysReset(NamedTuple):
    key: str | None  # None: every key


JobEvent = JobStarted | JobChanged | JobEnded | ClockMoved | KeysReset
EVERY_EVENT: tuple[type, ...] = (JobStarted, JobChanged, JobEnded, ClockMoved, KeysReset)
Listener = Callable[[JobEvent], None]
_tuple_new = tuple.__new__


class JobEngine:
    def __init__(self, store: JobStore, seed: int, kinds: Iterable[JobKind]) -> None:
        self.store = store
        self.seed = seed
        self.kinds: dict[str, JobKind] = {kind.name: kind for kind in kinds}
        self._listeners: dict[type, list[Listener]] = {}  # by event type: a start reaches only those who asked

    def subscribe(self, listener: Listener, events: tuple[type, ...] = EVERY_EVENT) -> None:
        """Call ``listener`` with every event of these types from now on, synchronously, on the caller's thread."""
        for event_type in events:
            self._listeners.setdefault(event_type, []).append(listener)

    def _announce(self, event: JobEvent) -> None:
        for listener in self._listeners.get(type(event), ()):
            listener(event)

    def kind(self, job: Job) -> JobKind:
        return self.kinds[job.kind]

    # The lifecycle ------------------------------------------------------------------------------
    def start(
        self,
        key: str,
        kind: JobKind,
        subject: Any,
        *,
        preference: OutcomePatch | None = None,
        callback_url: str | None = None,
        base_url: str | None = None,
    ) -> Job:
        """A new job: its outcome is an override's if one is pending, else the preference's,
        else what the kind's rules say; the rest of its life follows from that."""
        outcome = choose_outcome(kind.rule_outcome(subject), preference, self.store.take_override(key))
        name = kind.name
        seed = self.seed
        weight = kind.weight(subject) + (len(callback_url) if callback_url else 0)

        # tuple.__new__ with every field, not Job(...): a named tuple's own constructor is one more
        # Python call, and this runs on every job-creating request.
        def build(sequence: int, now: float) -> Job:
            return _tuple_new(Job, (ids.job_id(seed, key, sequence), sequence, name, subject, outcome, now, base_url, callback_url, 0, False, weight, 0, None))

        job = self.store.create(key, build)
        self._announce(_tuple_new(JobStarted, (key, job)))
        return job

    def poll(self, key: str, job_id: str) -> Job:
        """One poll of the job; the job as that poll left it (``job.status`` is the answer).
        PollFault when its outcome's poll_code answers this poll; Expired once it expired."""
        now = self.store.clock(key).now()
        before, after = self.store.update(key, job_id, lambda job: job.polled(now))
        if after.faulted_polls != before.faulted_polls:
            raise PollFault(job_id, after.outcome.poll_code or 500)
        if after.terminal and not before.terminal:
            self._announce(JobEnded(key, after))
        elif after.outcome.expire_seconds is not None and after.expired_at(now):
            raise Expired(job_id, "an expire-after fault: its output_url expired after it ended")
        return after

    def settle(self, key: str, job_id: str) -> Job:
        """End the job if its time has come, without counting as a poll."""
        return self._step(key, job_id, Job.settled)

    def _step(self, key: str, job_id: str, step: Callable[[Job, float], Job]) -> Job:
        """Move the job on by ``step`` at the key's time now; announce it if it ended."""
        now = self.store.clock(key).now()
        before, after = self.store.update(key, job_id, lambda job: step(job, now))
        if after.terminal and not before.terminal:
            self._announce(JobEnded(key, after))
        return after

    def force(self, key: str, job_id: str, status: JobStatus, message: str | None) -> Job:
        """End a processing job now (JobIsTerminal if it already ended)."""
        now = self.store.clock(key).now()
        _, after = self.store.update(key, job_id, lambda job: job.finished(status, message, "forced", now))
        self._announce(JobEnded(key, after))
        return after

    def reschedule(self, key: str, job_id: str, patch: OutcomePatch) -> Job:
        """Give a processing job another outcome (JobIsTerminal if it already ended)."""
        _, after = self.store.update(key, job_id, lambda job: job.rescheduled(patch.apply(job.outcome, "override")))
        self._announce(JobChanged(key, after))
        return after

    def clock_moved(self, key: str) -> None:
        """Tell subscribers that the key's clock jumped, so work timed on it is looked at again."""
        self._announce(ClockMoved(key))

    def expire(self, key: str, job_id: str) -> None:
        """Forget one job before the bounds would: it answers expired from now on."""
        self.store.expire(key, job_id)

    def reset(self, key: str | None = None) -> None:
        self.store.reset(key)
        self._announce(KeysReset(key))

    # Reading ------------------------------------------------------------------------------------
    def read(self, key: str, job_id: str) -> Job:
        return self.store.read(key, job_id)

    def read_if_current(self, key: str, epoch: int, job_id: str) -> Job | None:
        """The job, if its key still holds the state it was started in (no reset since)."""
        if self.store.epoch(key) != epoch:
            return None
        try:
            return self.store.read(key, job_id)
        except NotFound:
            return None

    def jobs(self, key: str) -> list[Job]:
        return self.store.jobs(key)

    # Overrides: outcomes waiting for a key's next jobs ----------------------------------------------
    def add_override(self, key: str, patch: OutcomePatch, count: int) -> None:
        self.store.push_override(key, patch, count)

    def overrides(self, key: str) -> list[PendingOverride]:
        return self.store.overrides(key)

    def clear_overrides(self, key: str) -> None:
        self.store.clear_overrides(key)
