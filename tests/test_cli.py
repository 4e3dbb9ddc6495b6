"""`mockserver serve` announces a usable URL and key; `mockserver check` vets spec and fixtures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from mockserver.resources import default_fixtures_dir


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60, **kwargs)


def test_check_passes_on_the_shipped_spec_and_fixtures():
    result = _cli("check")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_check_fails_with_reasons_on_bad_fixtures(tmp_path):
    (tmp_path / "a.yaml").write_text("collections:\n  - {id: bad-id, name: x}\n")
    result = _cli("check", "--fixtures", str(tmp_path))
    assert result.returncode == 1
    assert "a.yaml: collections[0].id" in result.stderr


def test_check_fails_on_a_broken_spec(tmp_path):
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n")
    result = _cli("check", "--spec", str(spec))
    assert result.returncode == 1 and "version" in result.stderr


def test_serve_refuses_bad_fixtures(tmp_path):
    (tmp_path / "a.yaml").write_text("videos: 3\n")
    result = _cli("serve", "--port", "0", "--fixtures", str(tmp_path))
    assert result.returncode == 2 and "a.yaml: videos" in result.stderr


def test_serve_prints_a_url_and_key_that_work():
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--fixtures", str(default_fixtures_dir())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline()
        key_line = process.stdout.readline()
        assert ready.startswith("VideoDB emulator ready at http://127.0.0.1:"), ready + process.stderr.read()
        url = ready.split(" at ")[1].split()[0]
        key = key_line.split("API key:")[1].strip()
        answer = httpx.get(f"{url}/collection/default", headers={"x-access-token": key})
        assert answer.status_code == 200 and answer.json()["data"]["id"] == "c-product-videos"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            raise
    assert process.returncode in (0, -signal.SIGINT)
