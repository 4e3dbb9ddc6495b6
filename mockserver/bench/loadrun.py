"""What one load run is asked for and what it reports, shared by both load generators.

The settings, the result (the same shape whichever generator produced it), the names of the
generators, and the arithmetic both use to fill a result: server CPU time and percentiles.
It imports no generator, so that the generators and the module choosing between them can all
import it without a cycle.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

# The generators, as named on the command line and in each result's ``tool``.
WRK = "wrk"
BUILTIN = "builtin"


@dataclass(frozen=True)
class LoadSettings:
    connections: int = 32
    seconds: float = 3.0
    warmup_seconds: float = 1.0
    timeout_seconds: float = 2.0


@dataclass
class LoadResult:
    target: str
    scenario: str
    tool: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors, timeouts and answers outside 2xx
    # The server's own CPU time per answered request: steadier than req/s on a machine shared with
    # other work, and 1e6 / it is what one core could serve.
    server_cpu_us: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU time of a process (all its threads), from /proc; None where unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_us_per_request(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or requests <= 0:
        return None
    return round((after - before) / requests * 1e6, 1)


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list (``share`` in 0..100)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(share / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]
