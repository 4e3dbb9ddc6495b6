"""The choice of load generator, and one load run with the chosen one.

The settings and result types live in ``loadrun``; they are imported here, and so stay
importable from this module too.
"""

from __future__ import annotations

import shutil

from .loadgen import run_builtin
from .loadrun import BUILTIN, WRK, LoadResult, LoadSettings
from .scenarios import Scenario
from .wrk import run_wrk

__all__ = ["BUILTIN", "WRK", "LoadResult", "LoadSettings", "choose_tool", "run_load"]


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
        return run_wrk(target, url, scenario, settings, pid)
    return run_builtin(target, url, scenario, settings, pid)
