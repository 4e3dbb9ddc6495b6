"""What each key's clients sent and got back, newest last, bounded."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

# Never recorded: they carry credentials.
SECRET_HEADERS = frozenset({"x-access-token", "x-admin-token", "authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True, slots=True)
class JournalEntry:
    sequence: int
    time: float  # on the key's clock
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON when it was JSON, else the text (cut short), else None
    status: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    def __init__(self, capacity: int = 1_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._next = 1

    def record(self, **fields: Any) -> None:
        self._entries.append(JournalEntry(sequence=self._next, **fields))
        self._next += 1

    def entries(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Entries whose method matches (any case) and whose path contains ``path``."""
        wanted = method.upper() if method else None
        return [
            e for e in self._entries if (wanted is None or e.method == wanted) and (path is None or path in e.path)
        ]

    def clear(self) -> None:
        self._entries.clear()
