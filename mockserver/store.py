"""Where per-key state lives: the verbs the engine and the control API use, and the limits.

Every piece of state belongs to one API key (its namespace): jobs, clock, journal, pending
outcome overrides, callback deliveries. A store never decides anything about a job's life:
it hands out sequence numbers, keeps what the engine gives it, and applies the engine's
changes one at a time. ``MemoryStore`` (memory_store.py) is the default; another store (one
shared by several server processes, say) implements the same protocol and changes nothing
else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .clock import NamespaceClock
from .deliveries import DeliveryLog
from .jobs import Job
from .journal import Journal
from .outcomes import OutcomePatch


@dataclass(frozen=True)
class StoreLimits:
    """What bounds a store's memory; every layer takes these defaults from here."""

    max_jobs: int = 100_000  # in all: the least recently used key loses its oldest jobs first
    max_jobs_per_namespace: int = 10_000  # a key's oldest jobs go first
    max_namespaces: int = 1_000  # the least recently used key is forgotten whole
    # Client-sent text kept with jobs (prompts, callback URLs), in all: past it the least recently
    # used key loses its oldest jobs, as for max_jobs. A hostile client's long strings cannot
    # multiply the per-job memory by the job count.
    max_job_bytes: int = 32 * 1024 * 1024
    journal_size: int = 500  # entries kept per key, and delivery attempts per key
    # Keys forgotten whole by the bound above whose next sequence number is remembered, so that a
    # returning key never hands out an id it gave before (an old output_url answers "expired").
    remembered_keys: int = 10_000


@dataclass(frozen=True, slots=True)
class PendingOverride:
    """An outcome patch for the next ``remaining`` jobs of a key."""

    patch: OutcomePatch
    remaining: int


class JobStore(Protocol):
    limits: StoreLimits

    # Jobs ---------------------------------------------------------------------------------------
    def create(self, key: str, build: Callable[[int, float], Job]) -> Job:
        """Store the job ``build`` makes from the key's next sequence number (1, 2, …) and the
        time on the key's clock."""
        ...

    def read(self, key: str, job_id: str) -> Job:
        """The job as it is now; NotFound, or Expired for one this key had and lost to the bounds."""
        ...

    def update(self, key: str, job_id: str, change: Callable[[Job], Job]) -> tuple[Job, Job]:
        """Apply ``change`` to the job as one step; the job before and after it."""
        ...

    def expire(self, key: str, job_id: str) -> None:
        """Forget one job: it answers Expired from now on."""
        ...

    def jobs(self, key: str) -> list[Job]:
        """The key's jobs, oldest first."""
        ...

    @property
    def job_count(self) -> int: ...

    # The rest of a key's state ------------------------------------------------------------------
    def clock(self, key: str) -> NamespaceClock: ...

    def journal(self, key: str) -> Journal: ...

    def deliveries(self, key: str) -> DeliveryLog: ...

    def push_override(self, key: str, patch: OutcomePatch, count: int) -> None: ...

    def take_override(self, key: str) -> OutcomePatch | None:
        """The patch for the job being created now, if one is pending; uses it up once."""
        ...

    def overrides(self, key: str) -> list[PendingOverride]: ...

    def clear_overrides(self, key: str) -> None: ...

    # Keys ---------------------------------------------------------------------------------------
    def epoch(self, key: str) -> int | None:
        """A number that changes whenever the key's state is dropped (reset or evicted) and begun
        anew; None while it has none. Lets long-running work notice its jobs are gone."""
        ...

    def keys(self) -> list[str]: ...

    def reset(self, key: str | None = None) -> None:
        """Forget one key's state, or every key's."""
        ...
