"""The command line's manners: one-line start-up errors with the fix, --version, defaults and
environment variables in --help, output paths checked before a long run."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import httpx
import pytest

from mockserver import __version__

from .test_cli import _cli, _served


def _one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_version_names_the_package_version():
    result = _cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"mockserver {__version__}"


def test_a_busy_port_is_one_line_naming_the_port_and_the_fix():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = _cli("serve", "--port", str(busy))
    assert result.returncode == 2
    line = _one_line(result)
    assert f"port {busy}" in line and "in use" in line and "--port" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "80000"], "80000 is not a port"),
        (["--port", "eighty"], "'eighty' is not a port number"),
        (["--host", "no-such-host.invalid"], "not a known host name or IP address"),
        (["--host", "10.255.255.254"], "not an address of this machine"),
        (["--clock", "sundial"], "invalid choice: 'sundial'"),
    ],
)
def test_start_up_mistakes_are_one_line_and_a_non_zero_exit(args, expected):
    result = _cli("serve", *args)
    assert result.returncode == 2
    assert expected in _one_line(result)


def test_an_environment_variable_stands_in_for_an_option_and_a_bad_one_is_named():
    result = _cli("serve", env={**os.environ, "MOCKSERVER_PORT": "70000"})
    assert result.returncode == 2 and "$MOCKSERVER_PORT" in _one_line(result)
    result = _cli("serve", env={**os.environ, "MOCKSERVER_CALLBACK_ALLOW_SELF": "perhaps"})
    assert result.returncode == 2 and "$MOCKSERVER_CALLBACK_ALLOW_SELF" in _one_line(result)
    with _served(env={"MOCKSERVER_SEED": "7"}) as (url, lines):
        seven = httpx.post(f"{url}/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": "sk-env"}).json()
    with _served() as (url, lines):
        zero = httpx.post(f"{url}/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": "sk-env"}).json()
    assert seven["data"]["id"] != zero["data"]["id"], "the seed from $MOCKSERVER_SEED was used"


def test_the_command_line_wins_over_the_environment():
    with _served("--seed", "0", env={"MOCKSERVER_SEED": "7"}) as (url, _):
        first = httpx.post(f"{url}/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": "sk-env"}).json()
    with _served() as (url, _):
        plain = httpx.post(f"{url}/video/m-7a3f21c4/clip", json={"prompt": "demo"}, headers={"x-access-token": "sk-env"}).json()
    assert first["data"]["id"] == plain["data"]["id"]


def test_every_help_shows_defaults_and_says_what_the_command_does():
    serve = " ".join(_cli("serve", "--help").stdout.split())  # as one line: argparse wraps at the terminal's width
    for shown in ("(default: 8000)", "(default: 127.0.0.1)", "(default: 0)", "(default: real)", "(default: info)", "[$MOCKSERVER_PORT]"):
        assert shown in serve, shown
    check = " ".join(_cli("check", "--help").stdout.split())
    assert "without serving" in check and "--fixtures DIR" in check and "default: the bundled" in check
    assert "(default 20" in " ".join(_cli("conform", "--help").stdout.split())  # --max-jobs


def test_check_names_the_reason_a_contract_file_is_unreadable(tmp_path):
    for name, text in (("notes.md", "# notes\n\n- a list\n@ not yaml\n"), ("empty.yaml", ""), ("list.yaml", "- 1\n- 2\n")):
        spec = tmp_path / name
        spec.write_text(text)
        result = _cli("check", "--spec", str(spec))
        assert result.returncode == 1, name
        failure = result.stderr.strip().splitlines()[0]
        assert failure.startswith(f"FAIL {spec}: ") and len(failure) > len(f"FAIL {spec}: ") + 12, failure


@pytest.mark.parametrize("option", ["--junit", "--report"])
def test_conform_checks_its_output_paths_before_it_starts(tmp_path, option):
    began = time.monotonic()
    result = _cli("conform", "--base-url", "http://127.0.0.1:9", option, str(tmp_path / "missing" / "out.xml"))
    assert result.returncode == 2 and "does not exist" in result.stderr and "missing" in result.stderr
    assert time.monotonic() - began < 20, "refused while reading the options, not after a run"


def test_bench_checks_its_output_path_before_it_starts(tmp_path):
    result = _cli("bench", "--out", str(tmp_path))
    assert result.returncode == 2 and "is a folder" in _one_line(result)


def test_an_unforeseen_error_is_one_line_unless_debug_asks_for_the_traceback(monkeypatch, capsys):
    from mockserver import cli

    def broken(args):
        raise LookupError("a bug")

    monkeypatch.setattr(cli, "_check", broken)
    assert cli.main(["check"]) == 1
    assert capsys.readouterr().err.strip() == "mockserver check: LookupError: a bug (run with --debug for the traceback)"
    with pytest.raises(LookupError):
        cli.main(["--debug", "check"])
