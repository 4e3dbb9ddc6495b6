"""The ratios that matter and the targets they are judged by, on a 2-core machine."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .loadrun import LoadResult

# Scenario names, shared by the run and the judgement.
CLIP_POST = "clip POST"
ASYNC_GET = "async-response GET"
JOURNEY = "journey (create, poll to terminal)"
FRESH_KEY = "clip POST, new key each"
LATENCY_SCENARIOS = (CLIP_POST, ASYNC_GET, JOURNEY)

MIN_CEILING_SHARE = 0.5
MAX_P99_MS = 10.0
MIN_PRISM_FACTOR = 4.0
MAX_STARTUP_S = 0.5
MAX_BYTES_PER_JOB = 1024
MAX_SDK_JOURNEY_S = 1.0
FLAT_SHARE = 0.1  # a flood "stays flat" when it grows by under a tenth of what it would unbounded


@dataclass(frozen=True)
class Verdict:
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find(results: list[LoadResult], target: str, scenario: str) -> LoadResult | None:
    return next((r for r in results if r.target == target and r.scenario == scenario), None)


def ratios(results: list[LoadResult]) -> dict[str, float]:
    """emulator / ceiling and emulator / Prism, by requests per second and by server CPU per request.

    The CPU ratio (the other server's CPU per request over the emulator's) is what the req/s ratio
    would be with a core each to themselves; it moves far less when other work shares the machine.
    """
    out: dict[str, float] = {}
    for scenario in (CLIP_POST, ASYNC_GET, JOURNEY, FRESH_KEY):
        mine = find(results, "emulator", scenario)
        if mine is None:
            continue
        for name, other in (("ceiling", find(results, "ceiling", CLIP_POST)), ("prism", find(results, "prism", scenario))):
            if other is None or not other.rps:
                continue
            out[f"{scenario} / {name}"] = round(mine.rps / other.rps, 3)
            if mine.server_cpu_us and other.server_cpu_us:
                out[f"{scenario} / {name}, by server CPU"] = round(other.server_cpu_us / mine.server_cpu_us, 3)
    return out


def _times(by_rps: float, by_cpu: float | None) -> str:
    return f"{by_rps:.2f} x" + (f" ({by_cpu:.2f} x by server CPU per request)" if by_cpu else "")


def _unmeasured(goal: str, why: str = "not measured") -> Verdict:
    return Verdict(goal, why, None)


def judge(results: list[LoadResult], measures: dict[str, Any]) -> list[Verdict]:
    found = ratios(results)
    verdicts: list[Verdict] = []

    goal = f"clip POST >= {MIN_CEILING_SHARE} x bare Starlette route"
    share = found.get(f"{CLIP_POST} / ceiling")
    verdicts.append(Verdict(goal, _times(share, found.get(f"{CLIP_POST} / ceiling, by server CPU")), share >= MIN_CEILING_SHARE) if share is not None else _unmeasured(goal))

    goal = f"p99 <= {MAX_P99_MS:g} ms at {{c}} connections"
    measured = [r for r in results if r.target == "emulator" and r.scenario in LATENCY_SCENARIOS]
    if measured:
        worst = max(measured, key=lambda r: r.p99_ms)
        text = f"worst {worst.p99_ms:.1f} ms ({worst.scenario})"
        verdicts.append(Verdict(goal.format(c=worst.connections), text, worst.p99_ms <= MAX_P99_MS))
    else:
        verdicts.append(_unmeasured(goal.format(c="32")))

    goal = f"clip POST >= {MIN_PRISM_FACTOR:g} x Prism"
    factor = found.get(f"{CLIP_POST} / prism")
    verdicts.append(Verdict(goal, _times(factor, found.get(f"{CLIP_POST} / prism, by server CPU")), factor >= MIN_PRISM_FACTOR) if factor is not None else _unmeasured(goal, "Prism not run"))

    goal = f"start-up to first answer <= {MAX_STARTUP_S} s"
    startup = measures.get("startup") or {}
    if "median_s" in startup:
        verdicts.append(Verdict(goal, f"{startup['median_s']:.3f} s (median of {startup['runs']})", startup["median_s"] <= MAX_STARTUP_S))
    else:
        verdicts.append(_unmeasured(goal))

    goal = f"memory <= {MAX_BYTES_PER_JOB} B per stored job, flat under floods"
    memory = measures.get("memory") or {}
    if "bytes_per_job" in memory:
        per_job = memory["bytes_per_job"]
        flat = memory["flood_growth_bytes_per_job"] <= FLAT_SHARE * per_job and memory["namespace_churn_growth_bytes"] <= (
            FLAT_SHARE * memory["namespace_churn_keys"] * memory["namespace_bytes_first_job_included"]
        )
        text = f"{per_job:.0f} B/job at {memory['jobs']:,} jobs; flood growth {memory['flood_growth_bytes_per_job']:.1f} B/job"
        verdicts.append(Verdict(goal, text, per_job <= MAX_BYTES_PER_JOB and flat))
    else:
        verdicts.append(_unmeasured(goal))

    goal = f"SDK journey (videodb 0.5.1) < {MAX_SDK_JOURNEY_S:g} s"
    sdk = measures.get("sdk") or {}
    if "median_s" in sdk:
        verdicts.append(Verdict(goal, f"{sdk['median_s']:.3f} s (first {sdk['first_s']:.3f} s)", sdk["median_s"] < MAX_SDK_JOURNEY_S))
    else:
        verdicts.append(_unmeasured(goal, sdk.get("skipped", "not measured")))
    return verdicts
