"""Run ``conform`` the way a user does (its command line, in process) against servers on free loopback ports."""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockserver.conformance import cli
from mockserver.server import ServerThread

KEY = "sk-conformance"  # broken.RUN_KEY too
# Small on purpose: the suite proves each fault is caught, not that a long run finds more.
FAST = [
    "--max-examples", "3",
    "--stateful-examples", "3",
    "--lifecycle-examples", "2",
    "--lifecycle-steps", "5",
    "--max-jobs", "8",
    "--poll-interval", "0.05",
    "--job-timeout", "5",
    "--stable-after", "0.5",
    "--callback-wait", "3",
    "--max-time", "60",
]  # fmt: skip


@dataclass
class ConformRun:
    exit_code: int
    output: str
    errors: str
    junit: ET.Element | None
    report: str

    @property
    def failed_checks(self) -> set[str]:
        if self.junit is None:
            return set()
        return {_check_of(case) for case in self.junit.iter("testcase") if case.find("failure") is not None}

    @property
    def passed_checks(self) -> set[str]:
        if self.junit is None:
            return set()
        return {_check_of(case) for case in self.junit.iter("testcase") if len(case) == 0}

    def cases_of(self, check: str) -> dict[str, str]:
        """The JUnit cases of one check, by name, with "passed", "failure" or "skipped"."""
        assert self.junit is not None
        return {
            case.get("name", ""): case[0].tag if len(case) else "passed"
            for case in self.junit.iter("testcase")
            if _check_of(case) == check
        }


def _check_of(case: ET.Element) -> str:
    """A JUnit case's check: its name, less the operation in brackets (one case per check per operation)."""
    return case.get("name", "").split(" [", 1)[0]


@pytest.fixture
def conform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., ConformRun]:
    runs = iter(range(1000))

    def run(base_url: str, *options: str, key: str = KEY, open_keys: bool = True) -> ConformRun:
        """``open_keys``: the servers here serve any well-formed key as a tenant (the emulator's default)."""
        number = next(runs)
        junit, report = tmp_path / f"run-{number}.xml", tmp_path / f"run-{number}.md"
        parser = argparse.ArgumentParser()
        cli.add_arguments(parser)
        args = parser.parse_args(["--base-url", base_url, "--api-key", key, *FAST, *(["--open-keys"] if open_keys else []), *options, "--junit", str(junit), "--report", str(report)])
        exit_code = cli.run(args)
        captured = capsys.readouterr()
        return ConformRun(
            exit_code=exit_code,
            output=captured.out,
            errors=captured.err,
            junit=ET.parse(junit).getroot() if junit.exists() else None,
            report=report.read_text(encoding="utf-8") if report.exists() else "",
        )

    return run


@pytest.fixture
def serve() -> Iterator[Callable[[Any], ServerThread]]:
    """Start an ASGI app on a free loopback port; every server started is stopped at teardown."""
    servers: list[ServerThread] = []

    def start(app: Any) -> ServerThread:
        server = ServerThread(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
