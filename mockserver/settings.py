"""How one emulator app is set up. The defaults here are the only ones: the command line and
the pytest plugin read them from this class and its parts (``StoreLimits``, ``CallbackPolicy``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from .callback_policy import CallbackPolicy
from .connection_limits import ConnectionLimits
from .library import LibraryLimits
from .request_log import RequestLog
from .store import StoreLimits


@dataclass(frozen=True)
class Settings:
    fixtures_dir: Path | None = None  # None: the bundled fixtures
    spec_path: Path | None = None  # None: the project's openapi.yaml
    seed: int = 0  # of every generated id
    public_url: str | None = None  # base of the URLs handed out; None: where each client reached us
    body_limit: int = 1024 * 1024  # largest request body, in bytes
    upload_limit: int = 64 * 1024 * 1024  # largest file posted to an upload URL (hashed as it streams, never kept)
    limits: StoreLimits = field(default_factory=StoreLimits)
    library: LibraryLimits = field(default_factory=LibraryLimits)  # what each key may add: uploads, indexes
    frozen_clocks: bool = False  # every key's clock starts frozen (virtual) instead of real
    admin_token: str | None = None
    admin_open: bool = True  # without a token, the control API answers only when served on loopback
    # Host names the control API answers while it has no token (loopback names always); None: any.
    admin_hosts: frozenset[str] | None = None
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    request_log: RequestLog | None = None  # one line per request; None logs nothing
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)  # applied by the server (server.py)
    fault_rules: tuple[Any, ...] = ()  # fault_rules.SeededRule, from mockserver serve --faults FILE
    extra_key_prefix: str | None = None  # keys accepted besides the fixtures' api_keys (the pytest plugin's)
