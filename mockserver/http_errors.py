"""Errors of the HTTP layer, the one table that turns domain errors into answers, and the one
JSON shape every error answer takes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import EmulatorError, Expired, FixtureError, InvalidInput, JobIsTerminal, NotFound, PollFault
from .faults import FAULT_HEADER


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def bad_request(field: str, rule: str) -> HttpError:
    return HttpError(400, "invalid_request", f"{field}: {rule}")


# Domain error -> (status, error_code, message). The most specific class is looked up first,
# so Expired answers "expired" though it is a NotFound too.
DOMAIN_ERRORS: dict[type[EmulatorError], tuple[int, str, Callable[[Any], str]]] = {
    Expired: (404, "expired", str),
    NotFound: (404, "not_found", str),
    InvalidInput: (400, "invalid_request", str),
    JobIsTerminal: (409, "job_is_terminal", str),
    FixtureError: (400, "invalid_fixtures", lambda error: "fixtures: " + "; ".join(error.reasons)),
}


def from_domain(error: EmulatorError) -> HttpError:
    """The answer to a domain error: the first class of its MRO that the table names."""
    if isinstance(error, PollFault):  # its status is the one the test asked for
        return HttpError(error.status, "emulated_fault", str(error), {FAULT_HEADER: f"poll-code={error.status}"})
    for cls in type(error).__mro__:
        entry = DOMAIN_ERRORS.get(cls)  # type: ignore[call-overload]
        if entry is not None:
            status, code, message = entry
            return HttpError(status, code, message(error))
    raise TypeError(f"no answer is declared for {type(error).__name__}") from error


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"success": False, "message": message, "error_code": code}
