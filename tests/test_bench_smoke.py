"""`mockserver bench` in miniature: the built-in generator against a live emulator for about a second.

Only the shape of the report and that its numbers are positive are checked: timings depend on the
machine and have no place in a test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockserver.bench import goals, report
from mockserver.bench.app_journey import app_journey
from mockserver.bench.load import LoadSettings, run_load
from mockserver.bench.scenarios import journey
from mockserver.bench.targets import Target, start_emulator
from mockserver.bench.wrk import render_script


@pytest.fixture(scope="module")
def emulator() -> Iterator[Target]:
    target = start_emulator()
    try:
        yield target
    finally:
        target.stop()


def test_the_builtin_generator_reports_a_journey_run(emulator):
    settings = LoadSettings(connections=4, seconds=0.8, warmup_seconds=0.2)
    result = run_load("builtin", "emulator", emulator.url, journey(goals.JOURNEY, "sk-bench-smoke"), settings, emulator.process.pid)

    assert result.errors == 0
    assert result.requests > 0 and result.rps > 0 and result.seconds > 0
    assert 0 < result.p50_ms <= result.p99_ms
    assert result.server_cpu_us is None or result.server_cpu_us >= 0
    assert result.extra["created"] > 0 and result.extra["terminal"] > 0, "jobs were created and polled to the end"

    results = {
        "machine": report.machine(),
        "versions": report.versions(None),
        "settings": {"connections": 4, "seconds": 0.8, "warmup_seconds": 0.2, "tool": "builtin"},
        "load": [result.to_dict()],
        "ratios": goals.ratios([result]),
        "started_seconds": {"emulator": emulator.started_seconds},
        "measures": {},
        "verdicts": [v.to_dict() for v in goals.judge([result], {})],
    }
    table = report.to_markdown(results)
    assert f"| {goals.JOURNEY} | emulator |" in table
    assert "cores (nproc)" in table


def test_the_wrk_script_carries_every_create_of_the_journey():
    script = render_script(journey(goals.JOURNEY, "sk-x"))
    assert "function request()" in script and "function response(" in script and "function done(" in script
    assert script.count("/clip") == 6 and "sk" in script


def test_the_app_journey_measure_uploads_indexes_and_finds_shots(emulator):
    figures = app_journey(emulator, http_runs=3, sdk_runs=1)
    assert figures["shots"] > 0, "the uploaded football match, indexed, has penalty shots"
    assert 0 < figures["http_median_ms"] <= figures["http_p99_ms"]
    assert figures["sdk"]["runs"] == 1 and figures["sdk"]["median_s"] > 0
