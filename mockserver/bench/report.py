"""The results: the machine they were measured on, a Markdown table, and a JSON file."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .goals import Verdict
from .loadrun import LoadResult


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _wrk_version() -> str | None:
    if not shutil.which("wrk"):
        return None
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" [")[0].removeprefix("wrk ") if first else "?"


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def versions(prism: str | None) -> dict[str, str | None]:
    return {
        "starlette": _version("starlette"),
        "uvicorn": _version("uvicorn"),
        "uvloop": _version("uvloop"),
        "httptools": _version("httptools"),
        "wrk": _wrk_version(),
        "prism": prism,
    }


def machine_line(info: dict[str, Any]) -> str:
    return f"{info['nproc']} cores (nproc), {info['cpu']}, Python {info['python']}, {info['system']}"


def _load_table(results: list[LoadResult]) -> list[str]:
    lines = [
        "| scenario | server | req/s | p50 ms | p99 ms | server CPU µs/req | errors | tool |",
        "|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in results:
        cpu = f"{r.server_cpu_us:.0f}" if r.server_cpu_us is not None else "?"
        lines.append(f"| {r.scenario} | {r.target} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {cpu} | {r.errors} | {r.tool} |")
    return lines


def _verdict_table(verdicts: list[Verdict]) -> list[str]:
    marks = {True: "met", False: "**missed**", None: "n/a"}
    lines = ["| target | measured | |", "|---|---|---|"]
    lines += [f"| {v.goal} | {v.measured} | {marks[v.met]} |" for v in verdicts]
    return lines


def _other_lines(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, value in results["ratios"].items():
        lines.append(f"- {name}: {value:g}")
    memory = results["measures"].get("memory") or {}
    if "bytes_per_job" in memory:
        lines.append(
            f"- memory: {memory['bytes_per_job']:.0f} B per stored job at {memory['jobs']:,} jobs (RSS); "
            f"{memory['flood_jobs_into_full_key']:,} more into a full key grew RSS by {memory['flood_growth_bytes'] / 1024:.0f} KiB; "
            f"{memory['namespace_churn_keys']:,} new keys past the namespace bound grew it by "
            f"{memory['namespace_churn_growth_bytes'] / 1024:.0f} KiB; bound at the defaults "
            f"({memory['max_jobs']:,} jobs in all, {memory['max_jobs_per_namespace']:,} per key): ~{memory['bound_bytes'] / 2**20:.0f} MiB of jobs"
        )
        lines.append(
            f"- a full GC pass with {memory['jobs']:,} jobs stored: {memory['full_gc_ms']:.0f} ms "
            f"({memory['gc_tracked_objects']:,} objects tracked); it grows with the jobs kept"
        )
        lines.append(
            f"- a new namespace: {memory['namespace_bytes_first_job_included']:.0f} B with its first job; "
            f"first request under a new key {memory['us_first_request_new_key']:.0f} us vs "
            f"{memory['us_request_known_key']:.0f} us under a known key (in-process)"
        )
    startup = results["measures"].get("startup") or {}
    if "median_s" in startup:
        lines.append(f"- start-up to first answer: median {startup['median_s']:.3f} s, min {startup['min_s']:.3f} s over {startup['runs']} runs")
    started = results.get("started_seconds") or {}
    if started:
        lines.append("- spawn to first answer: " + ", ".join(f"{k} {v:.2f} s" for k, v in started.items()))
    sdk = results["measures"].get("sdk") or {}
    if "median_s" in sdk:
        lines.append(f"- SDK journey ({sdk['sdk']}): median {sdk['median_s']:.3f} s, first {sdk['first_s']:.3f} s, {sdk['shots']} shots")
    app = results["measures"].get("app_journey") or {}
    if "http_median_ms" in app:
        through_sdk = app.get("sdk") or {}
        sdk_part = f"; through the SDK median {through_sdk['median_s']:.3f} s" if "median_s" in through_sdk else ""
        lines.append(
            f"- app journey (upload by URL, index, search v2; {app['requests_per_journey']} requests): "
            f"median {app['http_median_ms']:.2f} ms, p99 {app['http_p99_ms']:.2f} ms over {app['http_runs']} runs, {app['shots']} shots{sdk_part}"
        )
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    loads = [LoadResult(**r) for r in results["load"]]
    verdicts = [Verdict(**v) for v in results["verdicts"]]
    settings = results["settings"]
    lines = [
        f"Measured on {machine_line(results['machine'])}; load average {results['machine']['load_average_1m']} at the start, "
        f"{results.get('load_average_1m_end', '?')} at the end.",
        f"{settings['connections']} connections, {settings['seconds']:g} s per scenario after {settings['warmup_seconds']:g} s of warm-up; "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items() if v),
        "",
        *_load_table(loads),
        "",
        *_verdict_table(verdicts),
        "",
        *_other_lines(results),
    ]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], json_path: Path) -> Path:
    """The JSON results, and the Markdown table beside them (same name, ``.md``)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    markdown = json_path.with_suffix(".md")
    markdown.write_text(to_markdown(results), encoding="utf-8")
    return markdown
