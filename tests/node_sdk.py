"""Running the unmodified Node SDK (npm ``videodb@0.2.0``) from pytest.

The SDK lives in tests/node, pinned by its package-lock.json; ``node_sdk_installed`` installs it once
(``npm ci``) under a file lock so that xdist workers never install side by side, and ``run_node`` runs
one of the scripts there against a server and hands back the JSON document it printed.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
MODULES = NODE_DIR / "node_modules"
LOCKFILE = NODE_DIR / "package-lock.json"
INSTALL_LOCK = NODE_DIR / ".install.lock"
INSTALL_TIMEOUT = 180.0
# --ignore-scripts: the SDK's install script only fetches a screen-recorder binary (not for Linux,
# and from outside the package registry); nothing the journeys use needs it.
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts")


class NodeSdkMissing(Exception):
    """node or npm is not on PATH."""


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = [name for name, path in (("node", node), ("npm", npm)) if path is None]
        verb = "are" if len(missing) > 1 else "is"
        raise NodeSdkMissing(f"{' and '.join(missing)} {verb} not installed: the Node SDK journeys did not run")
    return node, npm


def _installed() -> bool:
    """node_modules holds the SDK and is no older than the lockfile it was installed from."""
    marker = MODULES / ".package-lock.json"  # npm writes it on every install
    sdk = MODULES / "videodb" / "package.json"
    return sdk.is_file() and marker.is_file() and marker.stat().st_mtime >= LOCKFILE.stat().st_mtime


def ensure_node_sdk() -> str:
    """Install the pinned SDK when needed; the path of node. Raises NodeSdkMissing without node."""
    node, npm = _tools()
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the second xdist worker waits here, then finds it installed
        try:
            if not _installed():
                _npm_ci(npm)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return node


def _npm_ci(npm: str) -> None:
    command = [npm, *NPM_CI[1:]]
    try:
        done = subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr)
        pytest.fail(f"{' '.join(NPM_CI)} in {NODE_DIR} took over {INSTALL_TIMEOUT:.0f} s:\n{output}", pytrace=False)
    if done.returncode != 0 or not _installed():
        pytest.fail(
            f"{' '.join(NPM_CI)} in {NODE_DIR} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


@pytest.fixture(scope="session")
def node_sdk() -> str:
    """The node executable, with the SDK installed; a loud skip where node is absent."""
    try:
        return ensure_node_sdk()
    except NodeSdkMissing as missing:
        pytest.skip(str(missing))


def run_node(script: str, base_url: str, api_key: str, *args: str, timeout: float = 60.0) -> Any:
    """Run ``node tests/node/<script> <base_url> <api_key> <args…>``; the one JSON document it printed.

    A script prints ``{"result": ..., "elapsed_ms": n}``, or, when the journey threw, ``{"error":
    {"name", "message", "cause", "status", "sdk_error"}, ...}`` (``name``: the SDK's error class;
    a thrown error that is not the SDK's also carries its ``stack``) and exits 0. A non-zero exit
    is the script's own failure and fails the test with its stderr.
    """
    node, _ = _tools()
    command = [node, str(NODE_DIR / script), base_url, api_key, *args]
    env = {**os.environ, "NODE_NO_WARNINGS": "1"}
    env.pop("VIDEO_DB_API_KEY", None)  # the SDK falls back on it: the key must be the one given
    try:
        done = subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"node {script} {' '.join(args)} ran over {timeout} s:\n{_text(expired.stderr)}") from None
    if done.returncode != 0:
        raise AssertionError(f"node {script} {' '.join(args)} exited {done.returncode}:\n{done.stderr}\n{done.stdout}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"node {script} printed no single JSON document:\n{done.stdout}\n{done.stderr}") from None


def result_of(answer: dict[str, Any]) -> Any:
    """What a journey returned; fails the test, showing the error, when the SDK raised."""
    assert "error" not in answer, f"the Node SDK raised {answer['error']}"
    return answer["result"]


def error_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The error a journey raised: one of the SDK's own, not a crash of the script."""
    assert "error" in answer, f"the Node SDK raised nothing and returned {answer.get('result')}"
    assert answer["error"]["sdk_error"], f"a crash, not an error of the SDK: {answer['error']}"
    return answer["error"]


class NodeWorker:
    """One long-lived ``node tests/node/<script>`` that answers a JSON line with a JSON line: for
    runs of many short journeys, where a process each would cost more than the journeys."""

    def __init__(self, node: str, script: str, timeout: float = 30.0) -> None:
        env = {**os.environ, "NODE_NO_WARNINGS": "1"}
        env.pop("VIDEO_DB_API_KEY", None)
        self.timeout = timeout
        self.process = subprocess.Popen(
            [node, str(NODE_DIR / script)], cwd=NODE_DIR, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def ask(self, question: dict[str, Any]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(question) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.close()
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise AssertionError(f"the node worker gave no answer within {self.timeout} s (exit {self.process.returncode}):\n{stderr}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
