"""``mockserver serve | check``: run the emulator, or vet the contract and the fixtures."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import gc
import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__, resources
from .addresses import is_loopback
from .bench import cli as bench_cli
from .callback_policy import CallbackPolicy
from .connection_limits import ConnectionLimits
from .cli_options import Parser, fail, port, read_environment
from .conformance import cli as conformance_cli
from .errors import FixtureError
from .request_log import LEVELS, RequestLog
from .settings import Settings


ADMIN_TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"


class StartError(Exception):
    """A setting the server cannot start with; its message says what to change."""


def _admin_token(args: argparse.Namespace) -> str | None:
    """The control API's token: --admin-token, else --admin-token-file, else $MOCKSERVER_ADMIN_TOKEN.
    The last two keep it out of the process list."""
    if args.admin_token is not None:
        token, source = args.admin_token, "--admin-token"
    elif args.admin_token_file is not None:
        try:
            token, source = args.admin_token_file.read_text(encoding="utf-8").strip(), "--admin-token-file"
        except (OSError, UnicodeDecodeError) as error:
            raise StartError(f"--admin-token-file {args.admin_token_file}: cannot read it ({error.__class__.__name__})") from None
    elif ADMIN_TOKEN_VARIABLE in os.environ:
        token, source = os.environ[ADMIN_TOKEN_VARIABLE], f"${ADMIN_TOKEN_VARIABLE}"
    else:
        return None
    if not token:
        raise StartError(f"{source} is empty: an empty admin token would leave the control API open to anyone")
    return token


def public_url(text: str) -> str:
    """An argparse type: an absolute http(s) URL with a host, and nothing after its path."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not an absolute http(s) URL such as https://videodb.test")
    return text


def _serve(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    from .app import create_app
    from .fixtures import load_fault_file
    from .server import bind_socket, serve_forever

    try:
        admin_token = _admin_token(args)
    except StartError as error:
        return fail("mockserver serve", f"refusing to start: {error}")
    try:
        sock = bind_socket(args.host, args.port)  # first, so a busy port costs no fixture loading
    except OSError as error:
        return fail("mockserver serve", _cannot_listen(args.host, args.port, error))
    settings = Settings(
        fixtures_dir=args.fixtures,
        seed=args.seed,
        public_url=args.public_url,
        body_limit=args.body_limit,
        upload_limit=args.upload_limit,
        frozen_clocks=args.clock == "virtual",
        admin_token=admin_token,
        admin_open=is_loopback(args.host),
        admin_hosts=frozenset(h for h in (args.host.strip("[]").lower(), urlsplit(args.public_url or "").hostname) if h),
        callbacks=CallbackPolicy(
            allowed_hosts=frozenset(args.callback_allow),
            max_attempts=args.callback_attempts,
            backoff_seconds=args.callback_backoff,
            timeout_seconds=args.callback_timeout,
            secret=args.callback_secret,
            allow_self=args.callback_allow_self,
        ),
        request_log=RequestLog.to_stream(sys.stderr, LEVELS[args.log_level], args.log_format == "json"),
        connections=ConnectionLimits(
            max_connections=args.max_connections,
            max_header_bytes=args.max_header_bytes,
            request_seconds=args.request_timeout,
            keep_alive_seconds=args.keep_alive_timeout,
        ),
    )
    try:
        if args.faults is not None:
            settings = dataclasses.replace(settings, fault_rules=load_fault_file(args.faults))
        app = create_app(settings)
    except FixtureError as error:
        sock.close()
        return fail("mockserver serve", f"refusing to start: {error}")
    key = app.state.emulator.example_key()

    def announce(url: str) -> None:
        print(f"VideoDB emulator ready at {url} (in {time.perf_counter() - started:.2f}s)", flush=True)
        print(f"  API key: {key}", flush=True)
        print(f'  try: curl -s -H "x-access-token: {key}" {url}/collection/default', flush=True)
        if args.public_url:
            print(f"  URLs in its answers start with {args.public_url.rstrip('/')} (--public-url)", flush=True)
        if not settings.admin_open and settings.admin_token is None:
            print("  control API (/_emulator/) is closed: it needs --admin-token beyond loopback", flush=True)

    # What start-up built (specs, validators, fixtures, modules) lives as long as the server: keep it
    # out of the collector's scans, so each collection walks only what requests left behind.
    gc.freeze()
    # uvicorn's own lines (start-up chatter, protocol warnings) only when asked for everything
    uvicorn_level = "debug" if args.log_level == "debug" else max(args.log_level, "warning", key=LOG_LEVELS.index)
    serve_forever(app, sock, on_ready=announce, limits=settings.connections, log_level=uvicorn_level)
    return 0


def _cannot_listen(host: str, port_number: int, error: OSError) -> str:
    """Why the listening socket could not be made, and what to change."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port_number} on {host} is in use: stop what holds it, or pick another with --port (0 picks a free one)"
    if error.errno == errno.EACCES:
        return f"no permission to listen on port {port_number}: use a port above 1023, or 0 for a free one"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own addresses with --host"
    if isinstance(error, socket.gaierror):
        return f"--host {host!r} is not a known host name or IP address: use e.g. 127.0.0.1 or 0.0.0.0"
    return f"cannot listen on {host}:{port_number}: {error.strerror or error}"


def _reason(error: Exception) -> str:
    """An exception as one line; some of the spec reader's carry no message, only their kind."""
    text = " ".join(str(error).split())
    if not text or text in ("None", "''"):
        text = "not an OpenAPI document it can read"
    if len(text) > 300:
        text = text[:300] + "…"
    return f"{error.__class__.__name__}: {text}"


def _check(args: argparse.Namespace) -> int:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    from .app import create_app
    from .fixtures import load_fixtures

    failures: list[str] = []
    spec_file = Path(args.spec) if args.spec else resources.spec_path()
    try:
        document, _ = read_from_filename(str(spec_file))
        validate(document)
    except Exception as error:  # the validator raises several kinds; each is a reason to report
        failures.append(f"{spec_file}: {_reason(error)}")
    fixtures_dir = args.fixtures or resources.default_fixtures_dir()
    try:
        load_fixtures(fixtures_dir)
    except FixtureError as error:
        failures.extend(f"{fixtures_dir}: {reason}" for reason in error.reasons)
    if not failures:
        try:
            create_app(Settings(fixtures_dir=fixtures_dir, spec_path=spec_file))
        except Exception as error:  # e.g. an operation without a handler
            failures.append(f"{spec_file}: {error}")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"ok: {spec_file} and {fixtures_dir} are valid")
    return 0


LOG_LEVELS = ["debug", "info", "warning", "error", "critical"]
_SETTINGS = Settings()  # the one home of every default below
_CALLBACKS = _SETTINGS.callbacks
_CONNECTIONS = _SETTINGS.connections


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="mockserver", description="A local stand-in for VideoDB's clip API.")
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the whole traceback when something goes wrong")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    serve = commands.add_parser("serve", help="run the emulator", description="Serve the emulator until interrupted. Every option may also come from $MOCKSERVER_<OPTION>.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (beyond loopback the control API needs --admin-token)")
    serve.add_argument("--port", type=port, default=8000, help="port to listen on; 0 picks a free one")
    serve.add_argument("--fixtures", type=Path, default=None, metavar="DIR", help="fixtures folder (default: the bundled ones)")
    serve.add_argument("--faults", type=Path, default=None, metavar="FILE", help="fault rules (fault_rules: as in fixtures) for a stand-in that misbehaves now and then")
    serve.add_argument("--seed", type=int, default=_SETTINGS.seed, help="seed of every generated id")
    serve.add_argument("--public-url", type=public_url, default=None, metavar="URL", help="base of the URLs it hands out, e.g. https://videodb.test (default: where each client reached it)")
    serve.add_argument("--body-limit", type=int, default=_SETTINGS.body_limit, metavar="BYTES", help="largest request body")
    serve.add_argument("--upload-limit", type=int, default=_SETTINGS.upload_limit, metavar="BYTES", help="largest file posted to an upload URL (hashed as it streams, never kept)")
    serve.add_argument("--clock", choices=["real", "virtual"], default="real", help="each key's clock: real time, or frozen until moved through the control API")
    serve.add_argument("--admin-token", default=None, metavar="TOKEN", help=f"required on the control API (/_emulator/); needed to use it beyond loopback [${ADMIN_TOKEN_VARIABLE}, which keeps it out of ps]")
    serve.add_argument("--admin-token-file", type=Path, default=None, metavar="FILE", help="read the admin token from FILE: it stays out of ps")
    callbacks = serve.add_argument_group("callbacks")
    callbacks.add_argument("--callback-allow", action="append", default=[], metavar="HOST", help="a host callbacks may go to besides loopback (repeatable; * for any)")
    callbacks.add_argument(
        "--callback-allow-self",
        action="store_true",
        help="let callbacks reach this emulator itself (off: a client could drive the control API through them)",
    )
    callbacks.add_argument("--callback-secret", default=_CALLBACKS.secret, metavar="SECRET", help="HMAC-SHA256 key of the X-Emulator-Signature header")
    callbacks.add_argument("--callback-attempts", type=int, default=_CALLBACKS.max_attempts, metavar="N", help="attempts per callback before giving up")
    callbacks.add_argument("--callback-backoff", type=float, default=_CALLBACKS.backoff_seconds, metavar="SECONDS", help="seconds before the 2nd attempt, doubled after each failure, on the key's clock")
    callbacks.add_argument("--callback-timeout", type=float, default=_CALLBACKS.timeout_seconds, metavar="SECONDS", help="seconds a whole attempt may take")
    bounds = serve.add_argument_group("connections")
    bounds.add_argument("--max-connections", type=int, default=_CONNECTIONS.max_connections, metavar="N", help="connections open at once; more are answered 503 and closed")
    bounds.add_argument("--max-header-bytes", type=int, default=_CONNECTIONS.max_header_bytes, metavar="BYTES", help="request line and headers; larger is answered 431")
    bounds.add_argument("--request-timeout", type=float, default=_CONNECTIONS.request_seconds, metavar="SECONDS", help="time a client has to send a whole request; then 408")
    bounds.add_argument("--keep-alive-timeout", type=float, default=_CONNECTIONS.keep_alive_seconds, metavar="SECONDS", help="an idle connection is closed after this")
    logs = serve.add_argument_group("request log")
    logs.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="info: one line per request; warning: only refused and failed ones; debug: uvicorn's own too")
    logs.add_argument("--log-format", default="text", choices=["text", "json"], help="a line of text, or one JSON object per line")
    read_environment(serve, skip=frozenset({"admin_token"}))  # the token has its own variable
    serve.set_defaults(run=_serve)

    check = commands.add_parser(
        "check",
        help="validate openapi.yaml and the fixtures",
        description="Check a contract file and a fixtures folder without serving: exit 0 when both are valid, 1 with every fault listed.",
    )
    check.add_argument("--fixtures", type=Path, default=None, metavar="DIR", help="fixtures folder to check (default: the bundled ones)")
    check.add_argument("--spec", type=Path, default=None, metavar="FILE", help="OpenAPI file to check (default: the bundled openapi.yaml)")
    check.set_defaults(run=_check)

    conform = commands.add_parser(
        "conform",
        help="judge a deployment (this emulator, staging, production) against openapi.yaml and the job contract",
        description=conformance_cli.DESCRIPTION,
    )
    conformance_cli.add_arguments(conform)
    conform.set_defaults(run=conformance_cli.run)

    bench = commands.add_parser("bench", help="measure the emulator beside a bare Starlette route and Prism (loopback, about a minute)")
    bench_cli.add_arguments(bench)
    bench.set_defaults(run=bench_cli.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a mistake nobody foresaw: one line, unless asked for the whole story
        if args.debug:
            raise
        reason = str(error) or "(no message)"
        print(f"mockserver {args.command}: {error.__class__.__name__}: {reason} (run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
