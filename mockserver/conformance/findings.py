"""What a run found, check by check: failures with their evidence, checks that passed, and notes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

# Beyond this many distinct failures of one check, further ones are only counted: reports stay readable.
DISTINCT_FAILURES_KEPT = 10
API_KEY_PLACEHOLDER = "$VIDEODB_API_KEY"
SECOND_KEY_PLACEHOLDER = "$VIDEODB_SECOND_API_KEY"


@dataclass(frozen=True)
class Finding:
    phase: str
    check: str
    subject: str  # the operation or the job it is about
    summary: str  # one line
    evidence: str = ""  # requests and answers that show it
    reproduction: tuple[str, ...] = ()  # curl commands, oldest first
    operation: str | None = None  # the contract's operation it is about ("GET /video/{video_id}"), when one

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.phase, self.check, self.subject, self.summary)


@dataclass
class CheckTally:
    phase: str
    check: str
    passed: int = 0
    passed_by_operation: Counter[str] = field(default_factory=Counter)  # of those passes told their operation
    failures: list[Finding] = field(default_factory=list)
    occurrences: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    unlisted: int = 0  # failures beyond DISTINCT_FAILURES_KEPT

    @property
    def failed(self) -> int:
        return sum(self.occurrences.values()) + self.unlisted


@dataclass(frozen=True)
class Note:
    phase: str
    text: str


def api_key_redactor(header: str, api_key: str, second_api_key: str | None = None) -> Callable[[str], str]:
    """Replace each key by a shell variable, so reports and reproductions can be shared as they are."""
    named = ((api_key, API_KEY_PLACEHOLDER), (second_api_key, SECOND_KEY_PLACEHOLDER))
    # The longer key first: one key may contain the other.
    placeholders = sorted(((key, placeholder) for key, placeholder in named if key), key=lambda pair: -len(pair[0]))

    def redact(text: str) -> str:
        for key, placeholder in placeholders:
            text = text.replace(f"'{header}: {key}'", f'"{header}: {placeholder}"')
            text = text.replace(key, placeholder)
        return text

    return redact


class Findings:
    def __init__(self, progress: Callable[[str], None], redact: Callable[[str], str] = lambda text: text) -> None:
        self._progress = progress
        self._redact = redact
        self._tallies: dict[tuple[str, str], CheckTally] = {}
        self._expected: set[tuple[str, str]] = set()  # checks a phase promised to apply
        self.notes: list[Note] = []
        # Operations the run meant to exercise that never answered 2xx (coverage.Coverage), set at its end.
        self.unproven_operations: list[str] = []
        self.coverage_rows: list[tuple[str, int, int, str]] = []  # (operation, requests, 2xx, remark)
        self._lock = threading.Lock()

    def _tally(self, phase: str, check: str) -> CheckTally:
        key = (phase, check)
        if key not in self._tallies:
            self._tallies[key] = CheckTally(phase, check)
        return self._tallies[key]

    def passed(self, phase: str, check: str, operation: str | None = None) -> None:
        with self._lock:
            tally = self._tally(phase, check)
            tally.passed += 1
            if operation is not None:
                tally.passed_by_operation[operation] += 1

    def fail(self, finding: Finding) -> None:
        finding = replace(
            finding,
            summary=self._redact(finding.summary),
            evidence=self._redact(finding.evidence),
            reproduction=tuple(self._redact(step) for step in finding.reproduction),
        )
        with self._lock:
            tally = self._tally(finding.phase, finding.check)
            if finding.key in tally.occurrences:
                tally.occurrences[finding.key] += 1
                return
            if len(tally.failures) >= DISTINCT_FAILURES_KEPT:
                tally.unlisted += 1
                return
            tally.failures.append(finding)
            tally.occurrences[finding.key] = 1
        self._progress(f"  FAIL {finding.check} [{finding.subject}]: {finding.summary}")

    def note(self, phase: str, text: str) -> None:
        with self._lock:
            self.notes.append(Note(phase, text))
        self._progress(f"  note ({phase}): {text}")

    def say(self, text: str) -> None:
        self._progress(text)

    def tallies(self) -> list[CheckTally]:
        with self._lock:
            return list(self._tallies.values())

    def failed_checks(self) -> list[str]:
        return sorted({tally.check for tally in self.tallies() if tally.failed})

    def expect(self, phase: str, checks: Iterable[str]) -> None:
        """Checks this phase means to apply: one that never does (neither passes nor fails) makes
        the verdict INCONCLUSIVE, never CONFORMS."""
        with self._lock:
            self._expected.update((phase, check) for check in checks)

    def never_applied(self) -> list[str]:
        applied = {(t.phase, t.check) for t in self.tallies() if t.passed or t.failed}
        return sorted(f"{phase}/{check}" for phase, check in self._expected - applied)

    @property
    def conforms(self) -> bool:
        return not self.failed_checks() and not self.never_applied() and not self.unproven_operations

    @property
    def verdict(self) -> str:
        failed = self.failed_checks()
        if failed:
            return f"DOES NOT CONFORM: {', '.join(failed)}"
        reasons = []
        unapplied = self.never_applied()
        if unapplied:
            reasons.append(f"never applied: {', '.join(unapplied)}")
        if self.unproven_operations:
            reasons.append(f"never answered 2xx: {', '.join(self.unproven_operations)}")
        if reasons:
            return "INCONCLUSIVE: " + "; ".join(reasons)
        return "CONFORMS"
