"""The ``conform`` command line: options in, a verdict and an exit status out.

Exit status: 0 the deployment conforms, 1 it does not, 2 the run could not be made (bad options, an
unusable contract file, an unreachable target or a refused key), 3 inconclusive: nothing failed, but a
check the run meant to apply never did (no job ever ended done, say), so it cannot say CONFORMS.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .contract import SpecError, default_spec_path
from .output_paths import output_file
from .settings import CALLBACK_MODES, PHASES, REMOTE_POLL_INTERVAL, REMOTE_RATE_LIMIT, ConformSettings, is_local_url

# The phases (schemathesis, hypothesis) are imported by run(), not here: `mockserver serve` builds the
# same parser and should not pay for them.

INCONCLUSIVE = 3  # exit status when nothing failed but a check the run meant to apply never did

DESCRIPTION = "Judge a deployment of the clip API against openapi.yaml and the job contract."
API_KEY_VARIABLE = "VIDEODB_API_KEY"

# ConformSettings' field defaults are the only place a default is written: the options and their
# help texts read them from there, so the two cannot drift apart.
_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(ConformSettings) if f.default is not MISSING}


def _default(name: str) -> Any:
    """The default of ConformSettings' field ``name``."""
    return _DEFAULTS[name]


def _setting(group: Any, flag: str, kind: Callable[[str], Any], help_text: str) -> None:
    """An option whose default is the ConformSettings field of the same name; ``{default}`` in
    ``help_text`` shows it."""
    default = _default(flag.lstrip("-").replace("-", "_"))
    group.add_argument(flag, type=kind, default=default, help=help_text.format(default=f"{default:g}"))


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type: ``kind`` (int or float) of the text, above 0."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
        return value

    return parse


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _phases(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [phase for phase in chosen if phase not in PHASES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"phases are a comma-separated choice of {', '.join(PHASES)}")
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", required=True, help="the deployment to judge, e.g. https://staging.example or http://127.0.0.1:8000")
    target.add_argument("--api-key", default=None, help=f"its API key (default: ${API_KEY_VARIABLE})")
    target.add_argument("--spec", type=Path, default=None, help="the contract (default: the project's openapi.yaml)")
    target.add_argument("--video-id", action="append", default=[], help="clip these videos (repeatable; default: those the deployment lists)")
    target.add_argument("--second-api-key", default=None, metavar="KEY", help="another account's key: what one key makes must stay invisible to the other (default: tenants not judged)")
    target.add_argument(
        "--open-keys",
        action="store_true",
        help="the target serves any well-formed key as a tenant of its own, as the emulator does unless its fixtures list api_keys: "
        "an unknown key must then see no one's job (404) instead of being refused (401) (default: an unknown key must get 401)",
    )
    target.add_argument("--upload-url", default=None, metavar="URL", help="media the deployment can fetch, to judge upload jobs (each adds a video; default: uploads not judged)")

    run = parser.add_argument_group("run")
    run.add_argument("--phases", type=_phases, default=_default("phases"), help=f"comma-separated, from {','.join(PHASES)} (default: all)")
    _setting(run, "--seed", int, "makes a run reproducible (default {default})")
    _setting(run, "--max-examples", _count, "generated requests per operation in the schema phase (default {default})")
    _setting(run, "--stateful-examples", _count, "sequences through the OpenAPI links (default {default}; 0 skips them)")
    _setting(run, "--max-time", _positive(float), "seconds the schema phase may take (default {default})")
    _setting(run, "--lifecycle-examples", _positive(int), "scenarios of the job state machine (default {default})")
    _setting(run, "--lifecycle-steps", _positive(int), "steps per scenario (default {default})")
    _setting(run, "--job-timeout", _positive(float), "seconds a job may take to finish (default {default})")
    _setting(run, "--stable-after", _positive(float), "seconds after a job ended that its answer is polled again, unchanged (default {default})")
    run.add_argument(
        "--poll-interval",
        type=_positive(float),
        default=None,  # not given: chosen by where the target is, in settings_from_args()
        help=f"seconds between polls of a job (default {_default('poll_interval'):g} local, {REMOTE_POLL_INTERVAL:g} remote)",
    )

    safety = parser.add_argument_group("safety")
    _setting(safety, "--max-jobs", _count, "jobs created at most, over every phase (default {default}): each costs money")
    safety.add_argument("--read-only", action="store_true", help="create no job: no clip requests, no lifecycle or callback phase")
    safety.add_argument(
        "--rate-limit", type=float, default=None, help=f"requests per second (default: none local, {REMOTE_RATE_LIMIT:g} remote; 0 for none)"
    )
    _setting(safety, "--request-timeout", _positive(float), "seconds to wait for an answer (default {default})")
    _setting(safety, "--max-response-time", _positive(float), "slower answers fail max_response_time (default {default})")

    callbacks = parser.add_argument_group("callbacks")
    callbacks.add_argument(
        "--callbacks",
        choices=CALLBACK_MODES,
        default=_default("callbacks"),
        help="required, optional (a note if none arrives) or off; auto: required on a loopback target or with --callback-host, else optional",
    )
    callbacks.add_argument("--callback-host", default=None, help="HOST[:PORT] at which the deployment reaches this machine")
    callbacks.add_argument("--callback-listen", default=None, help="address the receiver binds (default 127.0.0.1, or 0.0.0.0 with --callback-host)")
    _setting(callbacks, "--callback-wait", _positive(float), "seconds to wait for callbacks once jobs end (default {default})")

    output = parser.add_argument_group("output")
    output.add_argument("--junit", type=output_file, default=None, help="write a JUnit XML report here")
    output.add_argument("--report", type=output_file, default=None, help="write a Markdown report here")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress lines, only the summary")


def settings_from_args(args: argparse.Namespace) -> ConformSettings:
    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--base-url {args.base_url!r} is not an http(s) URL with a host")
    api_key = args.api_key or os.environ.get(API_KEY_VARIABLE)
    if not api_key:
        raise ValueError(f"give the deployment's API key with --api-key or ${API_KEY_VARIABLE}")
    local = is_local_url(args.base_url)
    rate_limit = args.rate_limit if args.rate_limit is not None else (None if local else REMOTE_RATE_LIMIT)
    if rate_limit is not None and rate_limit < 0:
        raise ValueError("--rate-limit must be 0 (no limit) or more")
    return ConformSettings(
        base_url=args.base_url,
        api_key=api_key,
        second_api_key=args.second_api_key,
        open_keys=args.open_keys,
        spec_path=args.spec or default_spec_path(),
        video_ids=tuple(args.video_id),
        upload_url=args.upload_url,
        seed=args.seed,
        phases=tuple(args.phases),
        max_jobs=args.max_jobs,
        read_only=args.read_only,
        rate_limit=rate_limit or None,
        request_timeout=args.request_timeout,
        max_response_time=args.max_response_time,
        job_timeout=args.job_timeout,
        stable_after=args.stable_after,
        poll_interval=args.poll_interval or (_default("poll_interval") if local else REMOTE_POLL_INTERVAL),
        max_examples=args.max_examples,
        stateful_examples=args.stateful_examples,
        max_time=args.max_time,
        lifecycle_examples=args.lifecycle_examples,
        lifecycle_steps=args.lifecycle_steps,
        callbacks=args.callbacks,
        callback_host=args.callback_host,
        callback_listen=args.callback_listen,
        callback_wait=args.callback_wait,
        junit=args.junit,
        report=args.report,
        quiet=args.quiet,
    )


def _say(text: str) -> None:
    print(text, flush=True)


@contextmanager
def _hypothesis_scratch_space() -> Iterator[None]:
    """hypothesis caches what it learns under ./.hypothesis; a run against a deployment leaves nothing behind."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield  # the user chose where it goes
        return
    from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

    previous = storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="mockserver-conform-") as scratch:
        set_hypothesis_home_dir(scratch)
        try:
            yield
        finally:
            set_hypothesis_home_dir(previous)


EXTRA_HINT = "pip install 'videodb-clip-emulator[conform]'"


def _missing_extra() -> str | None:
    """The first package of the ``conform`` extra that is not installed, if any."""
    import importlib.util

    for module in ("schemathesis", "hypothesis"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


def run(args: argparse.Namespace) -> int:
    missing = _missing_extra()
    if missing is not None:
        print(f"mockserver conform needs {missing}, which comes with the conform extra: {EXTRA_HINT}", file=sys.stderr)
        return 2
    from .report import summary, write_junit, write_markdown
    from .runner import SetupError, conform

    try:
        settings = settings_from_args(args)
    except ValueError as error:
        print(f"mockserver conform: {error}", file=sys.stderr)
        return 2
    try:
        with _hypothesis_scratch_space():
            outcome = conform(settings, (lambda text: None) if settings.quiet else _say)
    except (SpecError, SetupError) as error:
        print(f"mockserver conform: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mockserver conform: interrupted", file=sys.stderr)
        return 130
    print(summary(outcome.findings, outcome.info), flush=True)
    try:
        if settings.junit is not None:
            write_junit(settings.junit, outcome.findings, outcome.info)
        if settings.report is not None:
            write_markdown(settings.report, outcome.findings, outcome.info)
    except OSError as error:
        print(f"mockserver conform: cannot write the report: {error}", file=sys.stderr)
        return 2
    if outcome.findings.failed_checks():
        return 1
    return INCONCLUSIVE if outcome.findings.never_applied() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mockserver conform", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
