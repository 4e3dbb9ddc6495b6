"""Deliver each job's final answer to its ``callback_url``: signed, retried, bounded.

When a job with a callback URL turns terminal (by a poll, by its clock, or forced), the
dispatcher POSTs the final poll answer plus ``job_id``. Failed attempts (connection error,
timeout, non-2xx) are retried with exponential backoff timed on the key's clock, so a
virtual clock drives retries too. Deliveries run off the request path, each with a
timeout, so a receiver that hangs never blocks the emulator.

Receivers verify ``X-Emulator-Signature: t=<t>,v1=<hex>``: ``hex`` is
HMAC-SHA256(secret, ``f"{t}."`` + raw body), where ``t`` is the time on the key's clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import __version__
from .errors import InvalidInput
from .jobs import Job

if TYPE_CHECKING:
    import httpx


SIGNATURE_HEADER = "x-emulator-signature"
DELIVERY_HEADER = "x-emulator-delivery-id"
ATTEMPT_HEADER = "x-emulator-attempt"
LOOPBACK_NAMES = frozenset({"localhost"})
_TICK_SECONDS = 0.02  # how often pending work is re-examined; clocks may move at any time


@dataclass(frozen=True)
class CallbackPolicy:
    allowed_hosts: frozenset[str] = frozenset()  # beyond loopback, which is always allowed; "*" allows any
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # before the 2nd attempt; doubled for each one after
    timeout_seconds: float = 5.0  # per attempt, in real time
    secret: str = "emulator-callback-secret"
    max_pending: int = 10_000  # deliveries waiting or in flight, across keys
    max_in_flight: int = 32
    hold_limit_seconds: float = 60.0  # an out-of-order callback is held at most this long
    deliver: bool = True  # False: accept callback URLs but never call them (for fuzzing)

    def check_url(self, url: str, field_name: str = "body.callback_url") -> None:
        host = urlsplit(url).hostname
        if not host:
            raise InvalidInput(field_name, "must name a host")
        if "*" in self.allowed_hosts or host in self.allowed_hosts or _is_loopback(host):
            return
        allowed = ", ".join(sorted({"loopback", *self.allowed_hosts}))
        raise InvalidInput(field_name, f"host {host!r} is not on the callback allowlist ({allowed}); see --callback-allow")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for this body, as receivers recompute it."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes) -> bool:
    """The documented receiver recipe: split the header, recompute, compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in parts or "v1" not in parts:
        return False
    return hmac.compare_digest(signature(secret, parts["t"], body), f"t={parts['t']},v1={parts['v1']}")


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    delivery_id: str
    job_id: str
    attempt: int
    time: float  # on the key's clock
    url: str
    status: int | None = None
    error: str | None = None
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class DeliveryLog:
    def __init__(self, capacity: int = 1_000) -> None:
        self._attempts: deque[DeliveryAttempt] = deque(maxlen=capacity)

    def record(self, attempt: DeliveryAttempt) -> None:
        self._attempts.append(attempt)

    def attempts(self, job_id: str | None = None) -> list[DeliveryAttempt]:
        return [a for a in self._attempts if job_id is None or a.job_id == job_id]

    def clear(self) -> None:
        self._attempts.clear()


@dataclass(slots=True)
class _Pending:
    namespace: Any  # store.Namespace; kept to notice when its key was reset
    job: Job
    payload: bytes
    delivery_id: str
    due: float  # on the key's clock
    attempt: int = 1
    duplicate: bool = False
    held_until: float | None = None  # out-of-order: waiting for a later job's callback


class Dispatcher:
    """Runs on the server's event loop, started and stopped with the app's lifespan."""

    def __init__(
        self,
        policy: CallbackPolicy,
        render: Callable[[Job], dict[str, Any]],
        delivery_id: Callable[[str, Job], str],
        current_namespace: Callable[[str], Any],
    ) -> None:
        self.policy = policy
        self._render = render
        self._delivery_id = delivery_id
        self._current_namespace = current_namespace
        self._watched: list[tuple[Any, Job]] = []
        self._pending: list[_Pending] = []
        self._in_flight = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._httpx: Any = None  # the httpx module, imported by start()
        self._slots: asyncio.Semaphore | None = None
        self._attempt_tasks: set[asyncio.Task[None]] = set()

    # Called from request handlers --------------------------------------------------------------
    def watch(self, namespace: Any, job: Job) -> None:
        if not self.policy.deliver:
            return
        if len(self._watched) + len(self._pending) + self._in_flight >= self.policy.max_pending:
            namespace.deliveries.record(
                DeliveryAttempt("-", job.id, 0, namespace.clock.now(), job.request.callback_url or "", error="dropped: too many callbacks pending")
            )
            return
        self._watched.append((namespace, job))
        self.wake()

    def wake(self) -> None:
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
            busy = bool(self._watched or self._pending)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=_TICK_SECONDS if busy else None)
            except asyncio.TimeoutError:
                pass

    def _is_current(self, namespace: Any) -> bool:
        return self._current_namespace(namespace.key) is namespace

    def _tick(self) -> None:
        still_watched = []
        for namespace, job in self._watched:
            if not self._is_current(namespace):
                continue  # the key was reset: its jobs are gone
            now = namespace.clock.now()
            if not job.settle(now):
                still_watched.append((namespace, job))
                continue
            faults = job.outcome.callback
            payload = json.dumps(self._render(job), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
            pending = _Pending(namespace, job, payload, self._delivery_id(namespace.key, job), due=now + faults.delay_seconds)
            if faults.out_of_order:
                pending.held_until = now + self.policy.hold_limit_seconds
            self._pending.append(pending)
        self._watched = still_watched

        waiting = []
        for pending in self._pending:
            if not self._is_current(pending.namespace):
                continue
            now = pending.namespace.clock.now()
            held = pending.held_until is not None and now < pending.held_until
            if held or now < pending.due:
                waiting.append(pending)
                continue
            self._in_flight += 1
            task = asyncio.create_task(self._attempt(pending))
            self._attempt_tasks.add(task)
            task.add_done_callback(self._attempt_tasks.discard)
        self._pending = waiting

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
        namespace, job = pending.namespace, pending.job
        url = job.request.callback_url or ""
        timestamp = f"{namespace.clock.now():.3f}"
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
                response = await client.post(url, content=pending.payload, headers=headers)
            status = response.status_code
        except self._httpx.TimeoutException:
            error = f"timeout after {self.policy.timeout_seconds:g}s"
        except self._httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            self._in_flight -= 1
        record = DeliveryAttempt(pending.delivery_id, job.id, pending.attempt, namespace.clock.now(), url, status, error, pending.duplicate)
        namespace.deliveries.record(record)
        self._after(pending, record)
        self.wake()

    def _after(self, pending: _Pending, record: DeliveryAttempt) -> None:
        now = pending.namespace.clock.now()
        if record.ok:
            self._release_held(pending)
            if pending.job.outcome.callback.duplicate and not pending.duplicate:
                self._pending.append(_Pending(pending.namespace, pending.job, pending.payload, pending.delivery_id, now, 1, duplicate=True))
            return
        if pending.attempt < self.policy.max_attempts:
            backoff = self.policy.backoff_seconds * 2 ** (pending.attempt - 1)
            pending.attempt += 1
            pending.due = now + backoff
            pending.held_until = None
            self._pending.append(pending)

    def _release_held(self, delivered: _Pending) -> None:
        """A later job's callback went out: callbacks held back for reordering may go now."""
        for pending in self._pending:
            if (
                pending.namespace is delivered.namespace
                and pending.held_until is not None
                and pending.job.sequence < delivered.job.sequence
            ):
                pending.held_until = None
