"""Per-key state, bounded: each API key is a namespace with its own job sequence.

Memory stays bounded under a flood: each namespace keeps at most ``max_jobs_per_namespace``
jobs and at most ``max_namespaces`` namespaces are kept; the oldest go first.
"""

from __future__ import annotations

from collections import OrderedDict

from . import ids
from .errors import Expired, NotFound
from .jobs import Job
from .model import ClipRequest, Outcome


class Namespace:
    __slots__ = ("key", "jobs", "next_sequence")

    def __init__(self, key: str) -> None:
        self.key = key
        self.jobs: dict[str, Job] = {}  # insertion order is creation order
        self.next_sequence = 1


class Store:
    def __init__(self, seed: int, max_jobs_per_namespace: int = 10_000, max_namespaces: int = 1_000) -> None:
        self.seed = seed
        self.max_jobs_per_namespace = max_jobs_per_namespace
        self.max_namespaces = max_namespaces
        self._namespaces: OrderedDict[str, Namespace] = OrderedDict()

    def namespace(self, key: str) -> Namespace:
        """The key's namespace, created on first use; marks it recently used."""
        namespace = self._namespaces.get(key)
        if namespace is None:
            namespace = self._namespaces[key] = Namespace(key)
            while len(self._namespaces) > self.max_namespaces:
                self._namespaces.popitem(last=False)
        else:
            self._namespaces.move_to_end(key)
        return namespace

    def add_job(self, key: str, request: ClipRequest, outcome: Outcome, now: float) -> Job:
        namespace = self.namespace(key)
        sequence = namespace.next_sequence
        namespace.next_sequence += 1
        job = Job(ids.job_id(self.seed, key, sequence), sequence, request, outcome, now)
        namespace.jobs[job.id] = job
        if len(namespace.jobs) > self.max_jobs_per_namespace:
            del namespace.jobs[next(iter(namespace.jobs))]
        return job

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
        if key is None:
            self._namespaces.clear()
        else:
            self._namespaces.pop(key, None)
