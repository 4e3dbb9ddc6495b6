"""Starting a job as a request asks for it: its callback URL checked first, then the engine starts it."""

from __future__ import annotations

from typing import Any, NamedTuple

from .callback_policy import CallbackPolicy
from .engine import JobEngine
from .jobs import Job
from .kinds import JobKind
from .outcomes import OutcomePatch


class JobOptions(NamedTuple):
    """What a job-creating request says besides its subject."""

    preference: OutcomePatch | None = None  # from a Prefer header
    base_url: str | None = None  # where the client reached us
    callback_url: str | None = None
    reached_at: tuple[tuple[str, int], ...] = ()  # (host, port) pairs that are the emulator itself


NO_OPTIONS = JobOptions()


class Launcher:
    def __init__(self, engine: JobEngine, callback_policy: CallbackPolicy) -> None:
        self.engine = engine
        self.callback_policy = callback_policy

    def check(self, options: JobOptions) -> None:
        """Refuse a callback URL off the allowlist or pointing back at the emulator."""
        if options.callback_url is not None:
            self.callback_policy.check_url(options.callback_url, own=options.reached_at)

    def start(self, key: str, kind: JobKind, subject: Any, options: JobOptions) -> Job:
        self.check(options)
        return self.engine.start(key, kind, subject, preference=options.preference, callback_url=options.callback_url, base_url=options.base_url)
