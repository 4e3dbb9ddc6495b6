"""`mockserver serve` announces a usable URL and key; `mockserver check` vets spec and fixtures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def _served(*args: str, env: dict[str, str] | None = None, lines: int = 3, log: Path | None = None) -> Iterator[tuple[str, list[str]]]:
    """`mockserver serve` in a process of its own: the URL it announced, and its start-up lines.
    Its stderr (the request log) goes to ``log``, a file, so it can never fill a pipe and stall it."""
    with tempfile.TemporaryDirectory() as scratch:
        log = log or Path(scratch) / "stderr.log"
        with log.open("w") as errors:
            yield from _run_served(args, env, lines, errors, log)


def _run_served(args, env, lines, errors, log):
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--fixtures", str(default_fixtures_dir()), *args],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        said = [process.stdout.readline() for _ in range(lines)]
        assert said[0].startswith("VideoDB emulator ready at http://127.0.0.1:"), said[0] + log.read_text()
        yield said[0].split(" at ")[1].split()[0], said
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            raise
    assert process.returncode in (0, 130, -signal.SIGINT)  # 130: interrupted, as shells report it


def test_serve_prints_a_url_and_key_that_work():
    with _served() as (url, lines):
        key = lines[1].split("API key:")[1].strip()
        answer = httpx.get(f"{url}/collection/default", headers={"x-access-token": key})
        assert answer.status_code == 200 and answer.json()["data"]["id"] == "c-product-videos"


def test_the_start_up_line_names_the_real_address_beside_a_public_url():
    with _served("--public-url", "https://videodb.test", lines=4) as (url, lines):
        assert "https://videodb.test" not in lines[0], "the ready line is where the server really listens"
        assert "https://videodb.test (--public-url)" in lines[3]
        answer = httpx.post(f"{url}/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": "sk-cli"})
        assert answer.json()["data"]["output_url"].startswith("https://videodb.test/async-response/")


def test_a_public_url_must_be_an_absolute_http_url():
    for bad in ("ftp://videodb.test", "videodb.test", "https://", "https://videodb.test/?a=1"):
        result = _cli("serve", "--port", "0", "--public-url", bad)
        assert result.returncode == 2 and "not an absolute http(s) URL" in result.stderr, bad


def test_an_empty_admin_token_is_refused_at_start(tmp_path):
    empty = tmp_path / "token"
    empty.write_text("\n")
    for args, env in ((["--admin-token", ""], {}), (["--admin-token-file", str(empty)], {}), ([], {"MOCKSERVER_ADMIN_TOKEN": ""})):
        result = _cli("serve", "--port", "0", *args, env={**os.environ, **env})
        assert result.returncode == 2 and "empty" in result.stderr and "control API" in result.stderr, args


def test_the_admin_token_can_come_from_a_file_or_the_environment(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("from-a-file\n")
    for args, env, token in ((["--admin-token-file", str(secret)], {}, "from-a-file"), ([], {"MOCKSERVER_ADMIN_TOKEN": "from-env"}, "from-env")):
        with _served(*args, env=env) as (url, _):
            assert httpx.get(f"{url}/_emulator/health").status_code == 401
            assert httpx.get(f"{url}/_emulator/health", headers={"x-admin-token": token}).status_code == 200


def test_the_served_control_api_answers_only_its_own_names():
    with _served() as (url, _):
        assert httpx.get(f"{url}/_emulator/health").status_code == 200
        assert httpx.get(f"{url}/_emulator/health", headers={"host": "rebound.example"}).status_code == 403
        assert httpx.get(f"{url}/_emulator/health", headers={"origin": "https://evil.example"}).status_code == 403
