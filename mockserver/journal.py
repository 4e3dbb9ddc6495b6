"""What each key's clients sent and got back, newest last, bounded.

Recording happens on every VideoDB call, reading rarely: so an entry is kept as the raw pieces
the server handed over, and decoded (credentials left out) only when it is read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from .clock import Clock

# Never shown: they carry credentials.
SECRET_HEADERS = frozenset({"x-access-token", "x-admin-token", "authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class JournalEntry:
    sequence: int
    time: float  # on the key's clock
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # credentials left out
    body: Any  # parsed JSON when it was JSON, else the text, else None
    status: int
    refused: str | None = None  # why, when it was refused before reaching an operation (bad key, unknown path)
    fault: str | None = None  # the fault its answer carried, asked for by the Prefer header (code=503, drop=close…)
    given: bool = False  # its answer was given through the control API, served as it was given

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Record(NamedTuple):
    sequence: int
    time: float
    method: str
    path: str
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    body: Any
    status: int
    refused: str | None
    size: int  # about how many bytes of the request it keeps
    fault: str | None
    given: bool

    def decoded(self) -> JournalEntry:
        headers = {}
        for name, value in self.headers:
            text = name.decode("latin-1").lower()
            if text not in SECRET_HEADERS:
                headers.setdefault(text, value.decode("latin-1"))
        query = dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))
        return JournalEntry(self.sequence, self.time, self.method, self.path, query, headers, self.body, self.status, self.refused, self.fault, self.given)


BYTE_BUDGET = 256 * 1024  # of request bytes kept per key: the oldest entries go first past it


class Journal:
    """A key's last ``capacity`` calls, holding at most about ``byte_budget`` bytes of what they sent."""

    def __init__(self, clock: Clock, capacity: int = 1_000, byte_budget: int = BYTE_BUDGET) -> None:
        self._clock = clock  # the key's: entries are timed as its jobs are
        self._records: deque[_Record] = deque()
        self._capacity = capacity
        self._budget = byte_budget
        self._bytes = 0
        self._next = 1

    def record(
        self,
        method: str,
        path: str,
        query_string: bytes,
        headers: list[tuple[bytes, bytes]],
        body: Any,
        status: int,
        refused: str | None = None,
        size: int = 0,
        fault: str | None = None,
        given: bool = False,
    ) -> None:
        """``size``: about how many bytes the entry holds (headers and body), for the byte budget."""
        records = self._records
        # A plain tuple in _Record's field order: its named constructor is a Python call per request.
        records.append((self._next, self._clock.now(), method, path, query_string, headers, body, status, refused, size, fault, given))  # type: ignore[arg-type]
        self._next += 1
        self._bytes += size
        if len(records) > self._capacity or self._bytes > self._budget:
            self._trim()

    def _trim(self) -> None:
        records = self._records
        while len(records) > self._capacity or (self._bytes > self._budget and len(records) > 1):
            self._bytes -= records.popleft()[9]

    def entries(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Entries whose method matches (any case) and whose path contains ``path``."""
        wanted = method.upper() if method else None
        records = map(_Record._make, self._records)
        return [r.decoded() for r in records if (wanted is None or r.method == wanted) and (path is None or path in r.path)]

    def clear(self) -> None:
        self._records.clear()
        self._bytes = 0
