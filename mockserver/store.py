"""Per-key state, bounded: each API key is a namespace with its own jobs, clock, journal and
pending outcome overrides.

Memory stays bounded under a flood: at most ``max_jobs_per_namespace`` jobs per namespace
(its oldest go first), at most ``max_jobs`` jobs in all (the least recently used namespace
loses its oldest first), and at most ``max_namespaces`` namespaces (least recently used go
first). An evicted job answers "expired".
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable

from . import ids
from .callbacks import DeliveryLog
from .clock import NamespaceClock
from .errors import Expired, NotFound
from .jobs import Job
from .journal import Journal
from .model import ClipRequest, Outcome, Video
from .preferences import OutcomePatch


class PendingOverride:
    """An outcome patch for the next ``remaining`` jobs of a namespace."""

    __slots__ = ("patch", "remaining")

    def __init__(self, patch: OutcomePatch, remaining: int) -> None:
        self.patch = patch
        self.remaining = remaining


class Namespace:
    __slots__ = ("key", "jobs", "order", "next_sequence", "clock", "journal", "overrides", "deliveries")

    def __init__(self, key: str, clock: NamespaceClock, journal_size: int) -> None:
        self.key = key
        self.jobs: dict[str, Job] = {}  # insertion order is creation order
        # Oldest first, for O(1) eviction: next(iter(dict)) rescans the deleted slots at the front.
        self.order: deque[str] = deque()
        self.next_sequence = 1
        self.clock = clock
        self.journal = Journal(journal_size)
        self.overrides: deque[PendingOverride] = deque()
        self.deliveries = DeliveryLog(journal_size)

    def take_override(self) -> OutcomePatch | None:
        """The patch for the job being created now, if an override is pending."""
        if not self.overrides:
            return None
        pending = self.overrides[0]
        pending.remaining -= 1
        if pending.remaining <= 0:
            self.overrides.popleft()
        return pending.patch


class Store:
    def __init__(
        self,
        seed: int,
        clock_factory: Callable[[], NamespaceClock],
        max_jobs_per_namespace: int = 10_000,
        max_namespaces: int = 1_000,
        journal_size: int = 500,
        max_jobs: int = 100_000,
    ) -> None:
        self.seed = seed
        self.clock_factory = clock_factory
        self.max_jobs_per_namespace = max_jobs_per_namespace
        self.max_namespaces = max_namespaces
        self.journal_size = journal_size
        self.max_jobs = max_jobs
        self._namespaces: OrderedDict[str, Namespace] = OrderedDict()
        self._live = 0  # jobs stored, across namespaces

    def namespace(self, key: str) -> Namespace:
        """The key's namespace, created on first use; marks it recently used."""
        namespace = self._namespaces.get(key)
        if namespace is None:
            namespace = self._namespaces[key] = Namespace(key, self.clock_factory(), self.journal_size)
            while len(self._namespaces) > self.max_namespaces:
                self._forget(self._namespaces.popitem(last=False)[1])
        else:
            self._namespaces.move_to_end(key)
        return namespace

    def current(self, key: str) -> Namespace | None:
        """The key's namespace if it exists, without creating it or marking it used."""
        return self._namespaces.get(key)

    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    def add_job(self, namespace: Namespace, request: ClipRequest, video: Video, outcome: Outcome, base_url: str | None = None) -> Job:
        sequence = namespace.next_sequence
        namespace.next_sequence += 1
        job = Job(ids.job_id(self.seed, namespace.key, sequence), sequence, request, video, outcome, namespace.clock.now(), base_url)
        namespace.jobs[job.id] = job
        namespace.order.append(job.id)
        self._live += 1
        while len(namespace.jobs) > self.max_jobs_per_namespace:
            self._evict_oldest(namespace)
        while self._live > self.max_jobs:
            # The namespace just used is the most recent, so another key pays first.
            self._evict_oldest(next(ns for ns in self._namespaces.values() if ns.jobs))
        return job

    def _evict_oldest(self, namespace: Namespace) -> None:
        # Every removal of a job goes through here, so `order` always lists exactly `jobs`.
        del namespace.jobs[namespace.order.popleft()]
        self._live -= 1

    def _forget(self, namespace: Namespace) -> None:
        self._live -= len(namespace.jobs)

    @property
    def job_count(self) -> int:
        return self._live

    def job(self, key: str, job_id: str) -> Job:
        namespace = self.namespace(key)
        job = namespace.jobs.get(job_id)
        if job is not None:
            return job
        sequence = ids.job_sequence(self.seed, key, job_id)
        if sequence is not None and sequence < namespace.next_sequence:
            raise Expired(job_id)
        raise NotFound("job", job_id)

    def jobs(self, key: str) -> list[Job]:
        return list(self.namespace(key).jobs.values())

    def reset(self, key: str | None = None) -> None:
        """Forget one namespace (its jobs, clock, journal, overrides), or all of them."""
        if key is None:
            self._namespaces.clear()
            self._live = 0
        else:
            namespace = self._namespaces.pop(key, None)
            if namespace is not None:
                self._forget(namespace)
