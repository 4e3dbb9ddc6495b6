"""Job kinds: what each asynchronous operation adds to the job engine.

The engine runs every job's lifecycle the same way; a kind supplies what differs: its name,
the outcome a new job gets when nothing overrides it, the ``data`` of its done answer, and how
the control API describes it, and what a done job leaves behind. Adding an asynchronous operation is a kind module here plus its
operations in openapi.yaml and their handlers.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..jobs import Job
from ..outcomes import Outcome


class JobKind(Protocol):
    name: str
    failure_message: str  # the message of a failed answer when the outcome names none

    def rule_outcome(self, subject: Any) -> Outcome:
        """The outcome the fixture rules (or the kind's default) give a job on ``subject``."""
        ...

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        """The ``data`` of the job's done answer; the same job always gives the same data."""
        ...

    def describe(self, subject: Any) -> dict[str, Any]:
        """What the control API shows of ``subject`` beside the job's lifecycle."""
        ...

    def weight(self, subject: Any) -> int:
        """About how many bytes of client-sent text ``subject`` keeps (the store bounds their sum)."""
        ...

    def on_done(self, key: str, job: Job) -> None:
        """What the job leaves behind once it ended done (an upload: a video on the key's shelf)."""
        ...
