"""The servers under test, each its own process on a loopback port, stopped by PID.

- the emulator: ``python -m mockserver serve --port 0``, read back from its ready line;
- the ceiling: ``python -m mockserver.bench.ceiling``, a bare Starlette route, same uvicorn settings;
- the peer: Prism (``@stoplight/prism-cli``) mocking the same ``openapi.yaml``, when Node has it.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import yaml

from .. import resources
from .ceiling import READY_PREFIX as CEILING_READY
from .client import wait_until_answers

HOST = "127.0.0.1"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder that holds the mockserver package
EMULATOR_READY = re.compile(r"ready at (\S+)")
EMULATOR_KEY = re.compile(r"API key:\s*(\S+)")
PRISM_LOCAL_BIN = Path(".bench-tools") / "node_modules" / ".bin" / "prism"


class _Lines:
    """Reads a child's output on a thread: lines can be awaited with a deadline, and the pipe never fills."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=1_000)
        self.tail: deque[str] = deque(maxlen=40)
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.tail.append(line.rstrip())
            try:
                self._queue.put_nowait(line)
            except queue.Full:  # nobody waits for lines once a server is ready; the tail keeps the latest
                pass
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], deadline: float) -> re.Match[str]:
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("no ready line in time")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError("the process ended before it was ready")
            found = pattern.search(line)
            if found:
                return found


@dataclass
class Target:
    name: str
    url: str
    api_key: str
    process: subprocess.Popen[str]
    output: _Lines
    started_seconds: float  # from spawning the process to its first answer
    errors: IO[bytes]  # its stderr (the emulator's request log): a file, so reading it costs the run nothing
    scratch: Path | None = None  # a folder of ours the process reads, removed when it stops

    def stop(self, grace: float = 5.0) -> None:
        """Ask the process to stop (SIGINT lets uvicorn shut down cleanly), then kill it by PID."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(grace)
        self.output.thread.join(grace)  # the pipe reaches its end once the process is gone
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.errors.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def child_environment() -> dict[str, str]:
    # The children must import this very package, wherever the bench was started from.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _spawn(command: list[str]) -> tuple[subprocess.Popen[str], _Lines, IO[bytes]]:
    errors = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=child_environment(), stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    return process, _Lines(process.stdout), errors


def _tail(errors: IO[bytes], size: int = 4000) -> str:
    errors.seek(0, os.SEEK_END)
    errors.seek(max(0, errors.tell() - size))
    return errors.read().decode("utf-8", "replace")


def _started(
    name: str,
    command: list[str],
    ready: re.Pattern[str] | None,
    probe: str,
    timeout: float,
    key_pattern: re.Pattern[str] | None = None,
    url: str | None = None,
    accept: range = range(200, 300),
) -> Target:
    """Spawn, read the URL (and key) it prints, and return once ``probe`` answers; the clock runs from the spawn."""
    began = time.perf_counter()
    process, lines, errors = _spawn(command)
    try:
        deadline = began + timeout
        if ready is not None:
            url = lines.wait_for(ready, deadline).group(1)
        key = lines.wait_for(key_pattern, deadline).group(1) if key_pattern else "sk-bench"
        assert url is not None
        wait_until_answers(url, probe, {"x-access-token": key}, deadline, accept)
    except BaseException as error:
        process.kill()
        process.wait()
        lines.thread.join(5)
        if process.stdout is not None:
            process.stdout.close()
        tail = "\n".join(lines.tail) + "\n" + _tail(errors)
        errors.close()
        raise RuntimeError(f"{name} did not start: {error}\n{tail}") from error
    return Target(name, url, key, process, lines, time.perf_counter() - began, errors)


def start_emulator(python: str = sys.executable, extra_args: tuple[str, ...] = (), timeout: float = 30.0) -> Target:
    command = [python, "-m", "mockserver", "serve", "--host", HOST, "--port", "0", *extra_args]
    return _started("emulator", command, EMULATOR_READY, "/collection/default", timeout, key_pattern=EMULATOR_KEY)


def start_ceiling(python: str = sys.executable, timeout: float = 30.0) -> Target:
    command = [python, "-m", "mockserver.bench.ceiling"]
    ready = re.compile(re.escape(CEILING_READY) + r"(\S+)")
    # Its only route is the clip POST: a GET there answers 405, which proves it is serving.
    return _started("ceiling", command, ready, "/video/m-1/clip", timeout, accept=range(200, 500))


def find_prism(explicit: str | None = None) -> str | None:
    """Prism's command: the one given, else a local install under .bench-tools, else one on PATH."""
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    for base in (Path.cwd(), PACKAGE_ROOT):
        candidate = base / PRISM_LOCAL_BIN
        if candidate.exists():
            return str(candidate)
    return shutil.which("prism")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def spec_for_prism(spec: Path, folder: Path) -> Path:
    """The contract without its ``callbacks``: Prism fires a declared callback after every request,
    even one that gave no callback URL, and fails it; that would measure the failure, not the mock."""
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for item in (document.get("paths") or {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("callbacks", None)
    copy = folder / spec.name
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return copy


def start_prism(prism: str, spec: Path | None = None, timeout: float = 60.0) -> Target:
    """Prism at its quietest (``-v warn``): logging every request would slow it and be unfair to it."""
    scratch = Path(tempfile.mkdtemp(prefix="mockserver-bench-prism-"))
    try:
        mocked = spec_for_prism(spec or resources.spec_path(), scratch)
        port = free_port()  # Prism cannot bind port 0 and tell us; a short race we accept
        url = f"http://{HOST}:{port}"
        command = [prism, "mock", "-h", HOST, "-p", str(port), "-v", "warn", str(mocked)]
        target = _started("prism", command, None, "/collection/default", timeout, url=url)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    target.scratch = scratch
    return target
