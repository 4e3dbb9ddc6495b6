"""Who may call: API keys for the VideoDB operations, an admin token for the control API."""

from __future__ import annotations

import hmac

from .emulator import Emulator
from .endpoint import Authenticate
from .http_errors import HttpError

API_KEY_HEADER = "x-access-token"
ADMIN_TOKEN_HEADER = "x-admin-token"


def api_key_authenticator(emulator: Emulator) -> Authenticate:
    def authenticate(headers: dict[str, str]) -> str:
        key = headers.get(API_KEY_HEADER)
        if not key:
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: required (the API key)")
        if not emulator.accepts_key(key):
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: not an accepted API key")
        return key

    return authenticate


def admin_authenticator(token: str | None, open_without_token: bool) -> Authenticate:
    """Without a token the control API is open only where ``open_without_token`` (loopback) says so."""

    def authenticate(headers: dict[str, str]) -> str:
        if token is None:
            if open_without_token:
                return "admin"
            raise HttpError(401, "unauthorized", "the control API needs --admin-token when the server listens beyond loopback")
        given = headers.get(ADMIN_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HttpError(401, "unauthorized", f"header.{ADMIN_TOKEN_HEADER}: {'wrong' if given else 'required'} (the admin token)")
        return "admin"

    return authenticate
