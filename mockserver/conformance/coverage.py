"""What a run exercised, per operation of the contract: requests sent and 2xx answers seen, in every phase.

An operation never seen answering 2xx was never shown to work, so a run that meant to exercise it
cannot say CONFORMS; its remark says what it answered instead, with the likely reason in the words of
schemathesis's own warnings (missing authentication, missing test data, validation mismatch).
Operations a run deliberately leaves alone (job creation under --read-only, uploads without
--upload-url) are excused, and the table says why.
"""

from __future__ import annotations

import re
from collections import Counter

from .contract import Contract

_VARIABLE = re.compile(r"\{[^}]+\}")
_SLASHES = re.compile(r"/{2,}")


class Coverage:
    def __init__(self, contract: Contract) -> None:
        # The most literal template first, so /collection/default wins over /collection/{id}.
        templates = sorted(contract.operations.values(), key=lambda ref: (len(_VARIABLE.findall(ref.path)), -len(ref.path)))
        self._patterns = [
            (ref.label, ref.method, re.compile("^" + "[^/]+".join(re.escape(p) for p in _VARIABLE.split(ref.path)) + "$"))
            for ref in templates
        ]
        self.labels = [ref.label for ref in contract.operations.values()]
        self.requests: Counter[str] = Counter()
        self.successes: Counter[str] = Counter()
        self.statuses: dict[str, Counter[int]] = {}  # label -> how often each status answered
        self.excused: dict[str, str] = {}  # label -> why the run left it alone

    def record(self, method: str, path: str, status: int) -> None:
        path = _SLASHES.sub("/", path.split("?", 1)[0])
        path = path.rstrip("/") or "/"
        for label, known, pattern in self._patterns:
            if known == method.upper() and pattern.match(path):
                self.requests[label] += 1
                self.successes[label] += 200 <= status < 300
                self.statuses.setdefault(label, Counter())[status] += 1
                return

    def excuse(self, label: str, why: str) -> None:
        self.excused.setdefault(label, why)

    def unproven(self) -> list[str]:
        """Operations the run meant to exercise that never answered 2xx."""
        return [label for label in self.labels if not self.successes[label] and label not in self.excused]

    def rows(self) -> list[tuple[str, int, int, str]]:
        """(operation, requests, 2xx answers, remark) for every operation of the contract."""
        rows = []
        for label in self.labels:
            remark = self.excused.get(label, "" if self.successes[label] else self._never_2xx(label))
            rows.append((label, self.requests[label], self.successes[label], remark))
        return rows

    def _never_2xx(self, label: str) -> str:
        statuses = self.statuses.get(label)
        if not statuses:
            return "never answered 2xx: never sent"
        seen = ", ".join(f"{count} × {status}" for status, count in statuses.most_common(3))
        if set(statuses) <= {401, 403}:
            why = "missing authentication: is the key accepted?"
        elif set(statuses) == {404}:
            why = "missing test data: no object it could use"
        elif all(400 <= status < 500 for status in statuses):
            why = "validation mismatch: the deployment refuses what the contract allows"
        else:
            why = "server errors" if any(status >= 500 for status in statuses) else "no success"
        return f"never answered 2xx ({seen}; {why})"
