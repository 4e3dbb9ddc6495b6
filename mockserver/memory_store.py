"""The default store: per-key state in this process's memory, bounded.

Memory stays bounded under a flood: at most ``max_jobs_per_namespace`` jobs per key (its
oldest go first), at most ``max_jobs`` jobs in all (the least recently used key loses its
oldest first), and at most ``max_namespaces`` keys (the least recently used is forgotten
whole). An evicted job answers "expired".
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Callable

from . import ids
from .clock import Clock, NamespaceClock, RealClock
from .deliveries import DeliveryLog
from .errors import Expired, NotFound
from .jobs import Job
from .journal import Journal
from .outcomes import OutcomePatch
from .store import PendingOverride, StoreLimits


class _Namespace:
    __slots__ = ("key", "epoch", "jobs", "order", "next_sequence", "clock", "journal", "overrides", "deliveries")

    def __init__(self, key: str, epoch: int, clock: NamespaceClock, journal_size: int, next_sequence: int = 1) -> None:
        self.key = key
        self.epoch = epoch
        self.jobs: dict[str, Job] = {}  # insertion order is creation order
        # Oldest first, for O(1) eviction: next(iter(dict)) rescans the deleted slots at the front.
        self.order: deque[str] = deque()
        self.next_sequence = next_sequence
        self.clock = clock
        self.journal = Journal(clock, journal_size)
        self.overrides: deque[PendingOverride] = deque()
        self.deliveries = DeliveryLog(journal_size)


class MemoryStore:
    def __init__(
        self, seed: int, limits: StoreLimits | None = None, *, clock: Clock | None = None, frozen_clocks: bool = False
    ) -> None:
        self.seed = seed  # job ids carry it: a lost job is told from a stranger by its id alone
        self.limits = limits or StoreLimits()
        self._base_clock = clock or RealClock()
        self._frozen_clocks = frozen_clocks
        self._namespaces: OrderedDict[str, _Namespace] = OrderedDict()
        self._retired: OrderedDict[str, int] = OrderedDict()  # key evicted whole -> its next sequence
        self._epochs = itertools.count(1)
        self._live = 0  # jobs stored, across namespaces
        self._bytes = 0  # the weight of the jobs stored (client-sent text), across namespaces
        # The key used last is already the most recent: a request asks for its namespace about
        # three times (override, job, journal), and only the first needs to move it.
        self._recent: str | None = None

    # Namespaces ---------------------------------------------------------------------------------
    def _namespace(self, key: str) -> _Namespace:
        """The key's namespace, created on first use; marks it recently used."""
        namespace = self._namespaces.get(key)
        if namespace is not None and key == self._recent:
            return namespace
        if namespace is None:
            clock = NamespaceClock(self._base_clock, frozen=self._frozen_clocks)
            next_sequence = self._retired.pop(key, 1)  # a key back after eviction goes on where it stopped
            namespace = self._namespaces[key] = _Namespace(key, next(self._epochs), clock, self.limits.journal_size, next_sequence)
            while len(self._namespaces) > self.limits.max_namespaces:
                self._retire(self._namespaces.popitem(last=False)[1])
        else:
            self._namespaces.move_to_end(key)
        self._recent = key
        return namespace

    def epoch(self, key: str) -> int | None:
        namespace = self._namespaces.get(key)  # a look that neither creates nor marks it used
        return None if namespace is None else namespace.epoch

    def keys(self) -> list[str]:
        return list(self._namespaces)

    def reset(self, key: str | None = None) -> None:
        """A reset begins the key anew, ids included (the bounds never do: see _retire)."""
        self._recent = None
        if key is None:
            self._namespaces.clear()
            self._retired.clear()
            self._live = self._bytes = 0
            return
        self._retired.pop(key, None)
        namespace = self._namespaces.pop(key, None)
        if namespace is not None:
            self._forget(namespace)

    def _forget(self, namespace: _Namespace) -> None:
        self._live -= len(namespace.jobs)
        self._bytes -= sum(job.weight for job in namespace.jobs.values())

    def _retire(self, namespace: _Namespace) -> None:
        """Evicted whole by the bound on keys: remember where its ids got to, for a while."""
        self._forget(namespace)
        self._retired[namespace.key] = namespace.next_sequence
        while len(self._retired) > self.limits.remembered_keys:
            self._retired.popitem(last=False)

    # Jobs ---------------------------------------------------------------------------------------
    def create(self, key: str, build: Callable[[int, float], Job]) -> Job:
        namespace = self._namespace(key)
        job = build(namespace.next_sequence, namespace.clock.now())
        namespace.next_sequence += 1
        namespace.jobs[job.id] = job
        namespace.order.append(job.id)
        self._live += 1
        self._bytes += job.weight
        limits = self.limits
        while len(namespace.jobs) > limits.max_jobs_per_namespace:
            self._evict_oldest(namespace)
        while self._live > limits.max_jobs or self._bytes > limits.max_job_bytes:
            # The namespace just used is the most recent, so another key pays first.
            self._evict_oldest(next(ns for ns in self._namespaces.values() if ns.jobs))
        return job

    def _evict_oldest(self, namespace: _Namespace) -> None:
        # Every eviction goes through here, so `order` lists exactly `jobs` (expire() aside,
        # which leaves a gap that this skips).
        while namespace.order:
            job_id = namespace.order.popleft()
            job = namespace.jobs.pop(job_id, None)
            if job is not None:
                self._live -= 1
                self._bytes -= job.weight
                return

    def read(self, key: str, job_id: str) -> Job:
        namespace = self._namespace(key)
        job = namespace.jobs.get(job_id)
        if job is not None:
            return job
        sequence = ids.job_sequence(self.seed, key, job_id)
        if sequence is not None and sequence < namespace.next_sequence:
            raise Expired(job_id)
        raise NotFound("job", job_id)

    def update(self, key: str, job_id: str, change: Callable[[Job], Job]) -> tuple[Job, Job]:
        before = self.read(key, job_id)
        after = change(before)
        if after is not before:
            self._namespaces[key].jobs[job_id] = after
        return before, after

    def expire(self, key: str, job_id: str) -> None:
        job = self.read(key, job_id)  # NotFound / Expired as for any other verb
        del self._namespaces[key].jobs[job_id]
        self._live -= 1
        self._bytes -= job.weight

    def jobs(self, key: str) -> list[Job]:
        return list(self._namespace(key).jobs.values())

    @property
    def job_count(self) -> int:
        return self._live

    @property
    def job_bytes(self) -> int:
        """Client-sent text kept with the stored jobs, in all (bounded by limits.max_job_bytes)."""
        return self._bytes

    # The rest of a key's state ------------------------------------------------------------------
    def clock(self, key: str) -> NamespaceClock:
        return self._namespace(key).clock

    def journal(self, key: str) -> Journal:
        return self._namespace(key).journal

    def deliveries(self, key: str) -> DeliveryLog:
        return self._namespace(key).deliveries

    def push_override(self, key: str, patch: OutcomePatch, count: int) -> None:
        self._namespace(key).overrides.append(PendingOverride(patch, count))

    def take_override(self, key: str) -> OutcomePatch | None:
        overrides = self._namespace(key).overrides
        if not overrides:
            return None
        pending = overrides[0]
        if pending.remaining <= 1:
            overrides.popleft()
        else:
            overrides[0] = PendingOverride(pending.patch, pending.remaining - 1)
        return pending.patch

    def overrides(self, key: str) -> list[PendingOverride]:
        return list(self._namespace(key).overrides)

    def clear_overrides(self, key: str) -> None:
        self._namespace(key).overrides.clear()
