"""One load run's report, the same shape whichever generator produced it, and the choice of generator."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass, field
from typing import Any

from .scenarios import Scenario

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


def choose_tool(wanted: str) -> str:
    """``auto`` means wrk when it is on PATH, else the built-in generator."""
    if wanted == "auto":
        return WRK if shutil.which("wrk") else BUILTIN
    if wanted == WRK and not shutil.which("wrk"):
        raise RuntimeError("wrk is not on PATH (apt-get install wrk), or use --tool builtin")
    return wanted


def run_load(tool: str, target: str, url: str, scenario: Scenario, settings: LoadSettings, pid: int | None = None) -> LoadResult:
    """``pid``: the server's process, whose CPU time is read around the measured window."""
    if tool == WRK:
        from .wrk import run_wrk

        return run_wrk(target, url, scenario, settings, pid)
    from .loadgen import run_builtin

    return run_builtin(target, url, scenario, settings, pid)
