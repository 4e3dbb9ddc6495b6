"""A second JobStore, written only from the protocol in mockserver/store.py.

It keeps every job as pickled bytes, the way a store shared by several processes would: no
object it hands out is ever the one it keeps, so a caller that changed a job in place, or
kept one and expected it to move on, would be caught. Bounds: per key only.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

from mockserver import ids
from mockserver.clock import NamespaceClock, RealClock
from mockserver.deliveries import DeliveryLog
from mockserver.errors import Expired, NotFound
from mockserver.jobs import Job
from mockserver.journal import Journal
from mockserver.outcomes import OutcomePatch
from mockserver.store import PendingOverride, StoreLimits


class PickledStore:
    def __init__(self, seed: int, limits: StoreLimits | None = None, *, frozen_clocks: bool = False) -> None:
        self.seed = seed
        self.limits = limits or StoreLimits()
        self.frozen_clocks = frozen_clocks
        self._jobs: dict[str, dict[str, bytes]] = {}
        self._issued: dict[str, int] = {}
        self._epochs: dict[str, int] = {}
        self._next_epoch = 1
        self._clocks: dict[str, NamespaceClock] = {}
        self._journals: dict[str, Journal] = {}
        self._deliveries: dict[str, DeliveryLog] = {}
        self._overrides: dict[str, list[PendingOverride]] = {}
        self.writes = 0  # how often a job was written back: the seam is really used

    def _begin(self, key: str) -> None:
        if key not in self._epochs:
            self._epochs[key] = self._next_epoch
            self._next_epoch += 1
            self._jobs[key] = {}
            self._issued[key] = 0
            self._clocks[key] = NamespaceClock(RealClock(), frozen=self.frozen_clocks)
            self._journals[key] = Journal(self._clocks[key], self.limits.journal_size)
            self._deliveries[key] = DeliveryLog(self.limits.journal_size)
            self._overrides[key] = []

    def create(self, key: str, build: Callable[[int], Job]) -> Job:
        self._begin(key)
        self._issued[key] += 1
        job = build(self._issued[key], self._clocks[key].now())
        jobs = self._jobs[key]
        jobs[job.id] = pickle.dumps(job)
        while len(jobs) > self.limits.max_jobs_per_namespace:
            del jobs[next(iter(jobs))]
        return pickle.loads(jobs[job.id])

    def read(self, key: str, job_id: str) -> Job:
        self._begin(key)
        stored = self._jobs[key].get(job_id)
        if stored is not None:
            return pickle.loads(stored)
        sequence = ids.job_sequence(self.seed, key, job_id)
        if sequence is not None and sequence <= self._issued[key]:
            raise Expired(job_id)
        raise NotFound("job", job_id)

    def update(self, key: str, job_id: str, change: Callable[[Job], Job]) -> tuple[Job, Job]:
        before = self.read(key, job_id)
        after = change(before)
        self._jobs[key][job_id] = pickle.dumps(after)
        self.writes += 1
        return before, pickle.loads(self._jobs[key][job_id])

    def expire(self, key: str, job_id: str) -> None:
        self.read(key, job_id)
        del self._jobs[key][job_id]

    def jobs(self, key: str) -> list[Job]:
        self._begin(key)
        return [pickle.loads(stored) for stored in self._jobs[key].values()]

    @property
    def job_count(self) -> int:
        return sum(len(jobs) for jobs in self._jobs.values())

    def clock(self, key: str) -> NamespaceClock:
        self._begin(key)
        return self._clocks[key]

    def journal(self, key: str) -> Journal:
        self._begin(key)
        return self._journals[key]

    def deliveries(self, key: str) -> DeliveryLog:
        self._begin(key)
        return self._deliveries[key]

    def push_override(self, key: str, patch: OutcomePatch, count: int) -> None:
        self._begin(key)
        self._overrides[key].append(PendingOverride(patch, count))

    def take_override(self, key: str) -> OutcomePatch | None:
        self._begin(key)
        pending = self._overrides[key]
        if not pending:
            return None
        first = pending[0]
        if first.remaining <= 1:
            pending.pop(0)
        else:
            pending[0] = PendingOverride(first.patch, first.remaining - 1)
        return first.patch

    def overrides(self, key: str) -> list[PendingOverride]:
        self._begin(key)
        return list(self._overrides[key])

    def clear_overrides(self, key: str) -> None:
        self._begin(key)
        self._overrides[key].clear()

    def epoch(self, key: str) -> int | None:
        return self._epochs.get(key)

    def keys(self) -> list[str]:
        return list(self._epochs)

    def reset(self, key: str | None = None) -> None:
        for name in [key] if key is not None else list(self._epochs):
            for table in (self._epochs, self._jobs, self._issued, self._clocks, self._journals, self._deliveries, self._overrides):
                table.pop(name, None)  # type: ignore[attr-defined]
