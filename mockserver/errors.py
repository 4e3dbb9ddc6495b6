"""Errors the domain raises. They know nothing of HTTP; ``http_errors.DOMAIN_ERRORS`` maps each to an answer."""

from __future__ import annotations


class EmulatorError(Exception):
    """Base of every error the emulator's domain raises on purpose."""


class NotFound(EmulatorError):
    """A video, collection or job that does not exist (for this key)."""

    def __init__(self, kind: str, ident: str, detail: str = "not found") -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r}: {detail}")


class Expired(NotFound):
    """A job that existed once but was evicted to keep memory bounded."""

    def __init__(self, ident: str, why: str = "evicted to bound memory; poll jobs sooner or raise the cap") -> None:
        super().__init__("job", ident, f"expired ({why})")


class PollFault(EmulatorError):
    """A poll its job's outcome answers with an error status, as a test asked (poll_code)."""

    def __init__(self, job_id: str, status: int) -> None:
        self.status = status
        super().__init__(f"emulated fault: poll of job {job_id!r} answered {status}, asked for by the test")


class InvalidInput(EmulatorError):
    """Input that fits the schema but breaks a rule the schema cannot express."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class JobIsTerminal(EmulatorError):
    """A terminal job was asked to change; its answer is final."""

    def __init__(self, ident: str) -> None:
        self.ident = ident
        super().__init__(f"job {ident}: already terminal; its answer is final")


class FixtureError(EmulatorError):
    """Fixture files that cannot be loaded; carries every reason found."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("invalid fixtures:\n  " + "\n  ".join(reasons))
