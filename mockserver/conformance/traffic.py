"""What keeps a run safe to point at a real deployment, whatever sends the request.

Every request, from schemathesis or from our own phases, passes one ``TrafficPolicy``: it goes only to
the base URL or to an ``output_url`` the deployment handed out, at a bounded rate, never creating more
jobs than the budget allows, and waiting as a ``Retry-After`` asks (within limits).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

Answer = TypeVar("Answer")

MAX_RETRIES = 3
MAX_RETRY_WAIT = 30.0  # seconds; a deployment asking for longer gets its 429 judged as it is
_SLASHES = re.compile(r"/{2,}")


class RequestRefused(Exception):
    """The policy stopped a request before it was sent."""


class OutsideAllowList(RequestRefused):
    pass


class JobBudgetSpent(RequestRefused):
    pass


class AllowList:
    """The base URL (scheme, host, port and path prefix) and the exact URLs the deployment handed out."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._origin = (parts.scheme.lower(), parts.netloc.lower())
        self._prefix = parts.path.rstrip("/")
        self._handed_out: set[str] = set()
        self._lock = threading.Lock()

    def admit(self, url: str) -> None:
        with self._lock:
            self._handed_out.add(url)

    def permits(self, url: str) -> bool:
        parts = urlsplit(url)
        if (parts.scheme.lower(), parts.netloc.lower()) == self._origin:
            path = parts.path or "/"
            if not self._prefix or path == self._prefix or path.startswith(self._prefix + "/"):
                return True
        with self._lock:
            return url in self._handed_out

    def relative_path(self, url: str) -> str:
        """The path below the base URL, slashes collapsed and no trailing slash, as routes are matched."""
        path = _SLASHES.sub("/", urlsplit(url).path)
        if self._prefix and path.startswith(self._prefix):
            path = path[len(self._prefix) :]
        return path.rstrip("/") or "/"


class RateLimiter:
    """At most ``per_second`` request starts per second, spaced evenly."""

    def __init__(self, per_second: float | None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next_start = 0.0
        self._sleep = sleep
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            self._sleep(start - now)


class JobBudget:
    """How many jobs may still be created. A share draws on its parent too, so phases cannot overspend the run.

    A request that might create a job claims one before it is sent; a 4xx answer (the deployment refused
    it) gives the claim back. Anything else, a network error included, keeps it spent.
    """

    def __init__(self, limit: int, parent: JobBudget | None = None) -> None:
        self.limit = max(0, limit)
        self.spent = 0
        self._parent = parent
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        own = self.limit - self.spent
        return min(own, self._parent.remaining) if self._parent else own

    def share(self, limit: int) -> JobBudget:
        return JobBudget(min(limit, self.remaining), parent=self)

    def claim(self) -> bool:
        with self._lock:
            if self.spent >= self.limit:
                return False
            if self._parent is not None and not self._parent.claim():
                return False
            self.spent += 1
            return True

    def refund(self) -> None:
        with self._lock:
            self.spent -= 1
        if self._parent is not None:
            self._parent.refund()


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date); None when unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class TrafficPolicy:
    def __init__(
        self,
        base_url: str,
        *,
        rate_limit: float | None,
        budget: JobBudget,
        job_creation: Sequence[tuple[str, re.Pattern[str]]] = (),
        on_wait: Callable[[str], None] = lambda message: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allow_list = AllowList(base_url)
        self.budget = budget
        self._limiter = RateLimiter(rate_limit, sleep)
        self._job_creation = job_creation
        self._on_wait = on_wait
        self._sleep = sleep
        self.requests_sent = 0
        self.job_requests_sent = 0
        # Told of every answer (method, path, status): the run's coverage of the contract.
        self.on_answer: Callable[[str, str, int], None] | None = None

    def creates_job(self, method: str, url: str) -> bool:
        """Whether the request is one of the contract's job-creating operations (the budget counts them)."""
        if not self._job_creation:
            return False
        method, path = method.upper(), self.allow_list.relative_path(url)
        return any(method == known and pattern.match(path) is not None for known, pattern in self._job_creation)

    def send(
        self,
        method: str,
        url: str,
        transmit: Callable[[], Answer],
        status_of: Callable[[Answer], int],
        retry_after_of: Callable[[Answer], str | None],
    ) -> Answer:
        """Send through ``transmit`` once the policy allows it, retrying as Retry-After asks."""
        if not self.allow_list.permits(url):
            raise OutsideAllowList(f"{method} {url}: outside the base URL and the output_urls the deployment handed out")
        creates_job = self.creates_job(method, url)
        for attempt in range(MAX_RETRIES + 1):
            if creates_job and not self.budget.claim():
                raise JobBudgetSpent(f"{method} {url}: the job budget is spent")
            self._limiter.wait()
            self.requests_sent += 1
            self.job_requests_sent += creates_job
            answer = transmit()  # an exception keeps a claimed job spent: it may have been created
            status = status_of(answer)
            if self.on_answer is not None:
                self.on_answer(method.upper(), self.allow_list.relative_path(url), status)
            if creates_job and 400 <= status < 500:
                self.budget.refund()
            delay = self._retry_delay(method, status, retry_after_of(answer))
            if delay is None or attempt == MAX_RETRIES:
                return answer
            self._on_wait(f"{method} {url} answered {status}; waiting {delay:.1f}s as Retry-After asks")
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns

    @staticmethod
    def _retry_delay(method: str, status: int, retry_after: str | None) -> float | None:
        # A 429 was not processed, so even a POST may be repeated; a 503 only for reads.
        if status != 429 and not (status == 503 and method.upper() in ("GET", "HEAD")):
            return None
        delay = retry_after_seconds(retry_after)
        if delay is None or delay > MAX_RETRY_WAIT:
            return None
        return delay
