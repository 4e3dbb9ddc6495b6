"""What one conformance run is asked to do, resolved from the command line."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PHASES = ("schema", "lifecycle", "callbacks")
CALLBACK_MODES = ("auto", "required", "optional", "off")

# A remote deployment is someone's production or staging: unless told otherwise, it gets these in
# place of ConformSettings' rate_limit and poll_interval, which suit a local one.
REMOTE_RATE_LIMIT = 5.0
REMOTE_POLL_INTERVAL = 2.0


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_url(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


@dataclass(frozen=True)
class ConformSettings:
    base_url: str
    api_key: str
    spec_path: Path
    video_ids: tuple[str, ...] = ()
    second_api_key: str | None = None  # another tenant's key: each key's objects must stay invisible to the other
    # The target serves any well-formed key as a tenant of its own (the emulator does, unless its
    # fixtures list api_keys): an unknown key is then judged by what it sees (no one's job), not refused.
    open_keys: bool = False
    upload_url: str | None = None  # media the deployment can fetch: upload jobs are judged only with it
    seed: int = 0
    phases: tuple[str, ...] = PHASES
    # Each job costs the deployment's owner money: this many at most, over every phase.
    max_jobs: int = 20
    read_only: bool = False
    rate_limit: float | None = None  # requests per second; None sends as fast as answers come
    request_timeout: float = 30.0
    max_response_time: float = 10.0
    job_timeout: float = 30.0
    poll_interval: float = 0.2
    # Terminal answers are polled again this long after the job ended (and at the end of the run):
    # they must still answer, byte for byte the same.
    stable_after: float = 2.0
    # Schema phase: examples per operation, stateful scenarios and their length, and its time budget.
    max_examples: int = 25
    stateful_examples: int = 20
    stateful_steps: int = 6
    max_time: float = 300.0
    # Lifecycle phase: scenarios of the job state machine and their length.
    lifecycle_examples: int = 4
    lifecycle_steps: int = 8
    callbacks: str = "auto"
    callback_host: str | None = None
    callback_listen: str | None = None
    callback_wait: float = 10.0
    junit: Path | None = None
    report: Path | None = None
    quiet: bool = False

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def target_is_local(self) -> bool:
        return is_local_url(self.base_url)

    @property
    def callbacks_required(self) -> bool:
        """auto requires callbacks where the receiver is surely reachable: a loopback target (it
        calls back on this machine) or a --callback-host someone chose."""
        auto_required = self.callback_host is not None or self.target_is_local
        return self.callbacks == "required" or (self.callbacks == "auto" and auto_required)

    def runs(self, phase: str) -> bool:
        if phase in ("lifecycle", "callbacks") and self.read_only:
            return False
        return phase in self.phases
