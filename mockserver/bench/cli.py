"""``mockserver bench``: the options, and a run that prints the table and writes the results.

Only the standard library is imported up front: the main command line registers these options
for every command, and ``mockserver serve`` should not pay for the benchmark's imports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..conformance.output_paths import output_file
from ..store import StoreLimits
from .loadrun import LoadSettings

if TYPE_CHECKING:
    from .suite import Options

_LOAD = LoadSettings()  # the home of the load defaults shown below
MEMORY_JOBS = StoreLimits().max_jobs  # the memory figure is taken with the store full


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=_LOAD.seconds, help="measured seconds per scenario (default %(default)g)")
    parser.add_argument("--warmup", type=float, default=_LOAD.warmup_seconds, help="warm-up seconds before each scenario (default %(default)g)")
    parser.add_argument("--connections", type=int, default=_LOAD.connections, help="concurrent keep-alive connections (default %(default)s)")
    parser.add_argument("--tool", choices=["auto", "wrk", "builtin"], default="auto", help="load generator (auto: wrk when on PATH)")
    parser.add_argument("--prism", default="auto", help="Prism's command, 'auto' (.bench-tools or PATH) or 'off'")
    parser.add_argument("--out", type=output_file, default=Path("bench-results.json"), help="JSON results; a .md table is written beside it")
    parser.add_argument("--no-measures", action="store_true", help="only the load scenarios: no start-up, memory or SDK figures")
    parser.add_argument("--memory-jobs", type=int, default=MEMORY_JOBS, help="jobs stored for the memory figure (default %(default)s, the store's total cap)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 s per scenario, small memory figure")


def _options(args: argparse.Namespace) -> Options:
    from .load import choose_tool
    from .suite import Options
    from .targets import find_prism

    prism = None if args.prism == "off" else find_prism(None if args.prism == "auto" else args.prism)
    if args.prism not in ("auto", "off") and prism is None:
        raise SystemExit(f"mockserver bench: no Prism at {args.prism!r}")
    seconds, warmup, jobs, runs = args.seconds, args.warmup, args.memory_jobs, 5
    if args.quick:
        seconds, warmup, jobs, runs = 1.0, 0.3, min(jobs, 10_000), 2
    return Options(
        load=LoadSettings(connections=args.connections, seconds=seconds, warmup_seconds=warmup),
        tool=choose_tool(args.tool),
        prism=prism,
        measures=not args.no_measures,
        startup_runs=runs,
        memory_jobs=jobs,
        memory_flood=max(1_000, jobs // 5),
        sdk_runs=runs,
        app_journey_runs=20 if args.quick else 200,
    )


def run(args: argparse.Namespace) -> int:
    from .report import to_markdown, write
    from .suite import run_suite

    try:
        options = _options(args)
    except RuntimeError as error:  # e.g. --tool wrk without wrk
        print(f"mockserver bench: {error}", file=sys.stderr)
        return 2
    results = run_suite(options)
    markdown = write(results, args.out)
    print()
    print(to_markdown(results))
    print(f"results: {args.out} and {markdown}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockserver.bench", description="Benchmark the emulator.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
