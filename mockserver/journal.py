"""What each key's clients sent and got back, newest last, bounded."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

# Never recorded: they carry credentials.
SECRET_HEADERS = frozenset({"x-access-token", "x-admin-token", "authorization", "cookie", "proxy-authorization"})
SECRET_RAW_HEADERS = frozenset(name.encode("latin-1") for name in SECRET_HEADERS)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field, per request
class JournalEntry:
    sequence: int
    time: float  # on the key's clock
    method: str
    path: str
    query: dict[str, str]
    headers: tuple[tuple[bytes, bytes], ...]  # as the server gave them, secrets left out; decoded when read
    body: Any  # parsed JSON when it was JSON, else the text (cut short), else None
    status: int

    def to_dict(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["headers"] = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.headers}
        return entry


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
