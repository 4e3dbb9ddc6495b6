"""Who may call: API keys for the VideoDB operations, an admin token for the control API."""

from __future__ import annotations

import hmac

from .emulator import Emulator
from .endpoint import Authenticate, RawHeaders
from .http_errors import HttpError

API_KEY_HEADER = "x-access-token"
ADMIN_TOKEN_HEADER = "x-admin-token"
_API_KEY = API_KEY_HEADER.encode("latin-1")
_ADMIN_TOKEN = ADMIN_TOKEN_HEADER.encode("latin-1")


def api_key_authenticator(emulator: Emulator) -> Authenticate:
    def authenticate(headers: RawHeaders) -> str:
        raw = headers.get(_API_KEY)
        key = raw.decode("latin-1") if raw else None
        if not key:
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: required (the API key)")
        if not emulator.accepts_key(key):
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: not an accepted API key")
        return key

    return authenticate


def admin_authenticator(token: str | None, open_without_token: bool) -> Authenticate:
    """Without a token the control API is open only where ``open_without_token`` (loopback) says so."""
    if token == "":
        raise ValueError("an empty admin token would let anyone use the control API")

    def authenticate(headers: RawHeaders) -> str:
        if token is None:
            if open_without_token:
                return "admin"
            raise HttpError(401, "unauthorized", "the control API needs --admin-token when the server listens beyond loopback")
        given = headers.get(_ADMIN_TOKEN, b"")
        if not hmac.compare_digest(given, token.encode()):
            raise HttpError(401, "unauthorized", f"header.{ADMIN_TOKEN_HEADER}: {'wrong' if given else 'required'} (the admin token)")
        return "admin"

    return authenticate
