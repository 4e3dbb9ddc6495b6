"""A run that cannot be made says why in one line and exits 2: never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from mockserver.app import create_app


def _closed_port_url() -> str:
    """A loopback URL nothing listens on: bind a free port, then let it go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_an_unreachable_base_url(conform):
    run = conform(_closed_port_url())
    assert run.exit_code == 2
    assert "cannot reach http://127.0.0.1:" in run.errors and "Traceback" not in run.errors
    assert run.junit is None, "no report for a run that never started"


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("paths: [unclosed", "not valid YAML or JSON"), ("just: a mapping\n", "not an OpenAPI 3 document")],
    ids=["missing", "not-yaml", "not-openapi"],
)
def test_a_bad_spec(serve, conform, tmp_path, content, message):
    spec = tmp_path / "openapi.yaml"
    if content is not None:
        spec.write_text(content)
    run = conform(serve(create_app()).url, "--spec", str(spec))
    assert run.exit_code == 2
    assert f"{spec}: {message}" in run.errors and "Traceback" not in run.errors


def test_a_spec_without_the_operations_the_job_phases_need(serve, conform, tmp_path):
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\n")
    run = conform(serve(create_app()).url, "--spec", str(spec))
    assert run.exit_code == 2
    assert "no operation with operationId `getVideo`" in run.errors


def test_a_refused_key(serve, conform):
    run = conform(serve(create_app()).url, key="not-a-key")
    assert run.exit_code == 2 and "refuses the API key" in run.errors


def test_bad_options_are_refused_before_anything_is_sent(conform):
    run = conform("ftp://127.0.0.1/")
    assert run.exit_code == 2 and "not an http(s) URL" in run.errors


def test_the_command_itself_prints_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "mockserver.conformance", "--base-url", _closed_port_url(), "--api-key", "sk-x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("mockserver conform: cannot reach") and "Traceback" not in result.stderr
