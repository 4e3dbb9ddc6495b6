"""Errors of the HTTP layer and the one JSON shape every error answer takes."""

from __future__ import annotations

from typing import Any


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def bad_request(field: str, rule: str) -> HttpError:
    return HttpError(400, "invalid_request", f"{field}: {rule}")


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"success": False, "message": message, "error_code": code}
