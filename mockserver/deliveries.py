"""Each key's record of callback delivery attempts: when, where, and what came back. Bounded."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


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
