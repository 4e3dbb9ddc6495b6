"""One benchmark run, in order: the ceiling, the emulator, the peer, then the other measures.

Only one server is under load at a time; the others are stopped or idle. Each clip POST (the
ceiling's, the emulator's and the peer's) is measured twice, apart in time, and the better run
kept, so that a burst of other work on the machine moves neither side of a ratio alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import goals, measures, report
from .app_journey import app_journey
from ..store import StoreLimits
from .client import call
from .load import run_load
from .loadrun import LoadResult, LoadSettings
from .scenarios import CLIP_PATH, Scenario, clip_post, fixed_get, fresh_key_post, journey
from .targets import Target, start_ceiling, start_emulator, start_prism

Say = Callable[[str], None]
PEER_WARMUP_SECONDS = 3.0


@dataclass(frozen=True)
class Options:
    load: LoadSettings
    tool: str  # wrk | builtin (already resolved)
    prism: str | None  # Prism's command, or None to leave the peer out
    measures: bool = True
    startup_runs: int = 5
    memory_jobs: int = StoreLimits().max_jobs
    memory_flood: int = 20_000
    sdk_runs: int = 5
    app_journey_runs: int = 200
    python: str = sys.executable


def _prism_version(prism: str) -> str | None:
    try:
        done = subprocess.run([prism, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return done.stdout.strip() or None


def _finished_job(target: Target, key: str) -> str:
    """A job that has reached its terminal answer, for the poll scenario to read again and again."""
    status, body = call(target.url, "POST", CLIP_PATH, {"x-access-token": key}, {"prompt": "every goal and the penalty"})
    if status != 200:
        raise RuntimeError(f"creating a job answered {status}: {body[:200]!r}")
    job = json.loads(body)["data"]["id"]
    call(target.url, "GET", f"/async-response/{job}", {"x-access-token": key})
    return job


def _measure(results: list[LoadResult], say: Say, tool: str, target: Target, scenario: Scenario, settings: LoadSettings) -> None:
    result = run_load(tool, target.name, target.url, scenario, settings, target.process.pid)
    results.append(result)
    _say_result(say, result)


def _better(first: LoadResult, second: LoadResult) -> LoadResult:
    best = max(first, second, key=lambda r: r.rps)
    best.extra["runs_rps"] = [first.rps, second.rps]
    return best


def _say_result(say: Say, result: LoadResult) -> None:
    cpu = f"{result.server_cpu_us:6.0f}" if result.server_cpu_us is not None else "     ?"
    say(
        f"  {result.target:8} {result.scenario:36} {result.rps:7,.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:7.2f} ms  server CPU {cpu} us/req  errors {result.errors}"
    )


def run_suite(options: Options, say: Say = print) -> dict[str, Any]:
    settings = options.load
    results: list[LoadResult] = []
    started: dict[str, float] = {}
    extra: dict[str, Any] = {}
    machine = report.machine()
    say(f"bench: {report.machine_line(machine)}; load average {machine['load_average_1m']}; tool {options.tool}")

    # The ceiling is measured before and after the emulator (it waits idle in between).
    ceiling = start_ceiling(options.python)
    emulator = None
    try:
        started["ceiling"] = round(ceiling.started_seconds, 3)
        first = run_load(options.tool, ceiling.name, ceiling.url, clip_post(goals.CLIP_POST, "sk-bench"), settings, ceiling.process.pid)
        emulator = start_emulator(options.python)
        started["emulator"] = round(emulator.started_seconds, 3)
        post = clip_post(goals.CLIP_POST, "sk-bench-post")
        first_post = run_load(options.tool, emulator.name, emulator.url, post, settings, emulator.process.pid)
        job = _finished_job(emulator, "sk-bench-poll")
        _measure(results, say, options.tool, emulator, fixed_get(goals.ASYNC_GET, f"/async-response/{job}", "sk-bench-poll"), settings)
        _measure(results, say, options.tool, emulator, journey(goals.JOURNEY, "sk-bench-journey"), settings)
        _measure(results, say, options.tool, emulator, fresh_key_post(goals.FRESH_KEY), settings)
        # Measured again after the rest, the better run kept: the same rule as the ceiling's, so a
        # burst of other work on the machine moves neither side of the ratio alone.
        results.insert(0, _better(first_post, run_load(options.tool, emulator.name, emulator.url, post, settings, emulator.process.pid)))
        _say_result(say, results[0])
        if options.measures:
            extra["sdk"] = measures.sdk_journey(emulator, options.sdk_runs)
            say(f"  sdk journey: {extra['sdk']}")
            extra["app_journey"] = app_journey(emulator, options.app_journey_runs, options.sdk_runs)
            say(f"  app journey (upload, index, search): {extra['app_journey']}")
        emulator.stop()
        second = run_load(options.tool, ceiling.name, ceiling.url, clip_post(goals.CLIP_POST, "sk-bench"), settings, ceiling.process.pid)
        results.insert(0, _better(first, second))
        _say_result(say, results[0])
    finally:
        for target in (emulator, ceiling):
            if target is not None:
                target.stop()

    prism_version = None
    if options.prism:
        prism_version = _prism_version(options.prism)
        peer = start_prism(options.prism)
        try:
            started["prism"] = round(peer.started_seconds, 3)
            # Node needs longer than Python to reach its stride (the JIT): a fair peer gets a longer warm-up.
            # Its clip POST is measured twice too, the better run kept, as the ceiling's is.
            peer_settings = replace(settings, warmup_seconds=max(settings.warmup_seconds, PEER_WARMUP_SECONDS))
            post = clip_post(goals.CLIP_POST, "sk-bench")
            first = run_load(options.tool, peer.name, peer.url, post, peer_settings, peer.process.pid)
            _measure(results, say, options.tool, peer, fixed_get(goals.ASYNC_GET, "/async-response/job-1", "sk-bench"), peer_settings)
            results.append(_better(first, run_load(options.tool, peer.name, peer.url, post, settings, peer.process.pid)))
            _say_result(say, results[-1])
        finally:
            peer.stop()
    else:
        say("  prism: left out (--prism off, or no install of @stoplight/prism-cli found)")

    if options.measures:
        extra["startup"] = measures.startup(options.startup_runs, options.python)
        say(f"  start-up: {extra['startup']}")
        extra["memory"] = measures.memory(options.memory_jobs, options.memory_flood, options.python)
        say(f"  memory: {extra['memory']}")

    verdicts = goals.judge(results, extra)
    return {
        "machine": machine,
        "load_average_1m_end": round(os.getloadavg()[0], 2),
        "versions": report.versions(prism_version),
        "settings": {
            "connections": settings.connections,
            "seconds": settings.seconds,
            "warmup_seconds": settings.warmup_seconds,
            "tool": options.tool,
        },
        "load": [r.to_dict() for r in results],
        "ratios": goals.ratios(results),
        "started_seconds": started,
        "measures": extra,
        "verdicts": [v.to_dict() for v in verdicts],
    }

