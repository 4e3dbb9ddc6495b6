"""Deliver each job's final answer to its ``callback_url``: signed, retried, bounded.

The dispatcher subscribes to the job engine. A job started with a callback URL is watched:
such a job ends by its clock alone, so the dispatcher asks the engine to settle it on each
tick. When the engine says it ended (by that, by a poll, or forced), the final poll answer
plus ``job_id`` is POSTed. Failed attempts (connection error, timeout, non-2xx) are retried
with exponential backoff timed on the key's clock, so a virtual clock drives retries too.
Deliveries run off the request path, each with a timeout, so a receiver that hangs never
blocks the emulator. A key that is reset or evicted takes its pending callbacks with it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import __version__, ids, render
from .callback_policy import ATTEMPT_HEADER, DELIVERY_HEADER, SIGNATURE_HEADER, CallbackPolicy, signature
from .deliveries import DeliveryAttempt
from .engine import ClockMoved, JobChanged, JobEngine, JobEnded, JobEvent, JobStarted, KeysReset
from .errors import NotFound
from .jobs import Job

if TYPE_CHECKING:
    import httpx

# Waiting work is looked at when it falls due on a running clock, when the engine says something
# changed (a job, a clock moved through the control API), and at least this often, for clocks
# moved without a word (a base clock an in-process user drives).
_RECHECK_SECONDS = 1.0


@dataclass(slots=True)
class _Pending:
    key: str
    epoch: int  # the key's state it belongs to: a reset or eviction drops it
    job: Job
    payload: bytes
    delivery_id: str
    due: float  # on the key's clock
    attempt: int = 1
    duplicate: bool = False
    held_until: float | None = None  # out-of-order: waiting for a later job's callback

    @property
    def ready_at(self) -> float:
        """When it may go, on the key's clock: once due and no longer held."""
        return self.due if self.held_until is None else max(self.due, self.held_until)


class Dispatcher:
    """Runs on the server's event loop, started and stopped with the app's lifespan."""

    def __init__(self, policy: CallbackPolicy, engine: JobEngine) -> None:
        self.policy = policy
        self._engine = engine
        self._store = engine.store
        self._watched: dict[tuple[str, str], int] = {}  # (key, job id) -> epoch, for jobs still processing
        self._pending: list[_Pending] = []
        self._in_flight = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._httpx: Any = None  # the httpx module, imported on the first delivery
        self._slots: asyncio.Semaphore | None = None
        self._attempt_tasks: dict[asyncio.Task[None], str] = {}  # in flight, with their key
        engine.subscribe(self._on_event)

    # Told by the engine, on request handlers' thread ---------------------------------------------
    def _on_event(self, event: JobEvent) -> None:
        # `type(...) is`, not isinstance: this runs on every job-creating request.
        if type(event) is JobStarted:
            if event.job.callback_url is not None:
                self._watch(event.key, event.job)
        elif type(event) is JobEnded:
            epoch = self._watched.pop((event.key, event.job.id), None)
            if epoch is not None:
                self._queue(event.key, epoch, event.job)
                self._wake_up()
        elif type(event) is JobChanged or type(event) is ClockMoved:
            self._wake_up()
        elif type(event) is KeysReset:
            self._forget(event.key)

    def _watch(self, key: str, job: Job) -> None:
        if not self.policy.deliver:
            return
        if len(self._watched) + len(self._pending) + self._in_flight >= self.policy.max_pending:
            now = self._store.clock(key).now()
            dropped = DeliveryAttempt("-", job.id, 0, now, job.callback_url or "", error="dropped: too many callbacks pending")
            self._store.deliveries(key).record(dropped)
            return
        self._watched[(key, job.id)] = self._store.epoch(key) or 0  # the key's state this job lives in
        self._wake_up()

    def _queue(self, key: str, epoch: int, job: Job) -> None:
        """The job ended: render its final answer once, and schedule the first attempt."""
        now = self._store.clock(key).now()
        answer = render.job(job, self._engine.kind(job), job.base_url or "")
        payload = render.encode_json({**answer, "job_id": job.id}).encode("utf-8")
        faults = job.outcome.callback
        pending = _Pending(key, epoch, job, payload, ids.delivery_id(self._engine.seed, key, job.id), due=now + faults.delay_seconds)
        if faults.out_of_order:
            pending.held_until = now + self.policy.hold_limit_seconds
        self._pending.append(pending)

    def _forget(self, key: str | None) -> None:
        """A reset: the key's callbacks stop now, those waiting and those on the wire alike."""
        self._watched = {watched: epoch for watched, epoch in self._watched.items() if key is not None and watched[0] != key}
        self._pending = [p for p in self._pending if key is not None and p.key != key]
        for task, owner in list(self._attempt_tasks.items()):
            if key is None or owner == key:
                task.cancel()

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # Lifespan ----------------------------------------------------------------------------------
    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.policy.max_in_flight)
        self._task = asyncio.create_task(self._run(), name="callback dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            for task in list(self._attempt_tasks):
                task.cancel()
            await asyncio.gather(self._task, *self._attempt_tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        self._task = self._client = self._wake = None

    # The loop ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            self._tick()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._next_wait())
            except asyncio.TimeoutError:
                pass

    def _next_wait(self) -> float | None:
        """Real seconds until the soonest waiting work falls due; None when nothing waits.

        Only running clocks count: a frozen one moves through the control API, which wakes us."""
        if not (self._watched or self._pending):
            return None
        soonest = _RECHECK_SECONDS
        for (key, job_id), epoch in self._watched.items():
            job = self._engine.read_if_current(key, epoch, job_id)  # never brings a reset key back
            if job is None:
                continue
            clock = self._store.clock(key)
            if not clock.frozen:
                soonest = min(soonest, job.clock_due_at - clock.now())
        for pending in self._pending:
            if not self._is_current(pending.key, pending.epoch):
                continue
            clock = self._store.clock(pending.key)
            if not clock.frozen:
                soonest = min(soonest, pending.ready_at - clock.now())
        return max(soonest, 0.0)

    def _is_current(self, key: str, epoch: int) -> bool:
        return self._store.epoch(key) == epoch

    def _tick(self) -> None:
        for (key, job_id), epoch in list(self._watched.items()):
            if not self._is_current(key, epoch):
                del self._watched[(key, job_id)]  # the key was reset or evicted: its jobs are gone
                continue
            try:
                self._engine.settle(key, job_id)  # if it ends, the engine's JobEnded queues it
            except NotFound:
                self._watched.pop((key, job_id), None)

        waiting = []
        for pending in self._pending:
            if not self._is_current(pending.key, pending.epoch):
                continue
            if self._store.clock(pending.key).now() < pending.ready_at:
                waiting.append(pending)
                continue
            self._in_flight += 1
            task = asyncio.create_task(self._attempt(pending))
            self._attempt_tasks[task] = pending.key
            task.add_done_callback(self._finished_attempt)
        self._pending = waiting

    def _finished_attempt(self, task: asyncio.Task[None]) -> None:
        self._attempt_tasks.pop(task, None)

    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made on the first delivery: importing httpx costs a tenth of a second
        of start-up, which servers that never call back should not pay."""
        if self._client is None:
            import httpx

            self._httpx = httpx
            self._client = httpx.AsyncClient(timeout=self.policy.timeout_seconds, follow_redirects=False, trust_env=False)
        return self._client

    async def _attempt(self, pending: _Pending) -> None:
        assert self._slots is not None
        client = self._http()
        job = pending.job
        url = job.callback_url or ""
        clock = self._store.clock(pending.key)
        timestamp = f"{clock.now():.3f}"
        moved_before = clock.moved
        headers = {
            "content-type": "application/json",
            "user-agent": f"videodb-emulator/{__version__}",
            DELIVERY_HEADER: pending.delivery_id,
            ATTEMPT_HEADER: str(pending.attempt),
            SIGNATURE_HEADER: signature(self.policy.secret, timestamp, pending.payload),
        }
        status: int | None = None
        error: str | None = None
        try:
            async with self._slots:
                # A deadline for the whole attempt: httpx's own timeouts restart on every byte,
                # so a receiver that drips its answer would hold the attempt for as long as it liked.
                response = await asyncio.wait_for(client.post(url, content=pending.payload, headers=headers), self.policy.timeout_seconds)
            status = response.status_code
        except (self._httpx.TimeoutException, asyncio.TimeoutError):
            error = f"timeout after {self.policy.timeout_seconds:g}s"
        except self._httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            self._in_flight -= 1
        if not self._is_current(pending.key, pending.epoch):
            return  # reset while in flight: nothing of that key's state is left to record in
        now = clock.now()
        record = DeliveryAttempt(pending.delivery_id, job.id, pending.attempt, now, url, status, error, pending.duplicate)
        self._store.deliveries(pending.key).record(record)
        # A test sees the attempt at its receiver and advances the clock, often before the answer
        # is back here: a move made while the attempt was on the wire counts towards the wait.
        self._after(pending, record, now, max(clock.moved - moved_before, 0.0))
        self._wake_up()

    def _after(self, pending: _Pending, record: DeliveryAttempt, now: float, moved_meanwhile: float = 0.0) -> None:
        if record.ok:
            self._release_held(pending)
            if pending.job.outcome.callback.duplicate and not pending.duplicate:
                again = _Pending(pending.key, pending.epoch, pending.job, pending.payload, pending.delivery_id, now, 1, duplicate=True)
                self._pending.append(again)
            return
        if pending.attempt < self.policy.max_attempts:
            backoff = self.policy.backoff_seconds * 2 ** (pending.attempt - 1)
            pending.attempt += 1
            pending.due = now + backoff - moved_meanwhile
            pending.held_until = None
            self._pending.append(pending)

    def _release_held(self, delivered: _Pending) -> None:
        """A later job's callback went out: callbacks held back for reordering may go now."""
        for pending in self._pending:
            if (
                pending.key == delivered.key
                and pending.epoch == delivered.epoch
                and pending.held_until is not None
                and pending.job.sequence < delivered.job.sequence
            ):
                pending.held_until = None
