"""``mockserver serve | check``: run the emulator, or vet the contract and the fixtures."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from . import resources
from .addresses import is_loopback
from .bench import cli as bench_cli
from .callback_policy import CallbackPolicy
from .conformance import cli as conformance_cli
from .errors import FixtureError
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
    from .server import serve_forever

    try:
        admin_token = _admin_token(args)
    except StartError as error:
        print(f"mockserver: refusing to start: {error}", file=sys.stderr)
        return 2
    settings = Settings(
        fixtures_dir=args.fixtures,
        seed=args.seed,
        public_url=args.public_url,
        body_limit=args.body_limit,
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
    )
    try:
        app = create_app(settings)
    except FixtureError as error:
        print(f"mockserver: refusing to start: {error}", file=sys.stderr)
        return 2
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
    serve_forever(app, args.host, args.port, on_ready=announce, log_level=args.log_level)
    return 0


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
        failures.append(f"{spec_file}: {error}")
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


_SETTINGS = Settings()  # the one home of every default below
_CALLBACKS = _SETTINGS.callbacks


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="A local stand-in for VideoDB's clip API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the emulator")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s; beyond loopback the control API needs --admin-token)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s; 0 picks a free port)")
    serve.add_argument("--fixtures", type=Path, default=None, help="fixtures folder (default: the bundled ones)")
    serve.add_argument("--seed", type=int, default=_SETTINGS.seed, help="seed of every generated id (default %(default)s)")
    serve.add_argument("--public-url", type=public_url, default=None, help="base of the URLs it hands out, e.g. https://videodb.test")
    serve.add_argument("--body-limit", type=int, default=_SETTINGS.body_limit, help="largest request body, in bytes (default %(default)s)")
    serve.add_argument("--clock", choices=["real", "virtual"], default="real", help="each key's clock: real time, or frozen until moved through the control API")
    serve.add_argument("--admin-token", default=None, help="required on the control API (/_emulator/); needed to use it beyond loopback")
    serve.add_argument("--admin-token-file", type=Path, default=None, metavar="FILE", help=f"read the admin token from FILE (or set ${ADMIN_TOKEN_VARIABLE}): it stays out of ps")
    callbacks = serve.add_argument_group("callbacks")
    callbacks.add_argument("--callback-allow", action="append", default=[], metavar="HOST", help="a host callbacks may go to besides loopback (repeatable; * for any)")
    callbacks.add_argument(
        "--callback-allow-self",
        action="store_true",
        help="let callbacks reach this emulator itself (off: a client could drive the control API through them)",
    )
    callbacks.add_argument("--callback-secret", default=_CALLBACKS.secret, help="HMAC-SHA256 key of the X-Emulator-Signature header")
    callbacks.add_argument("--callback-attempts", type=int, default=_CALLBACKS.max_attempts, help="attempts per callback before giving up (default %(default)s)")
    callbacks.add_argument("--callback-backoff", type=float, default=_CALLBACKS.backoff_seconds, help="seconds before the 2nd attempt, doubled after each failure, on the key's clock (default %(default)s)")
    callbacks.add_argument("--callback-timeout", type=float, default=_CALLBACKS.timeout_seconds, help="seconds to wait for a receiver's answer (default %(default)s)")
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(run=_serve)

    check = commands.add_parser("check", help="validate openapi.yaml and the fixtures")
    check.add_argument("--fixtures", type=Path, default=None)
    check.add_argument("--spec", type=Path, default=None)
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
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
