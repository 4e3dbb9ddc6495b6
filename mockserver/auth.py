"""Who may call: API keys for the VideoDB operations, an admin token for the control API."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from .addresses import host_name, is_loopback
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
        refusal = emulator.key_refusal(key)
        if refusal is not None:
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: {refusal}")
        return key

    return authenticate


def _same_origin(origin: bytes, host: bytes | None) -> bool:
    parts = urlsplit(origin.decode("latin-1"))
    return host is not None and parts.scheme in ("http", "https") and parts.netloc.lower() == host.decode("latin-1").lower()


def admin_authenticator(token: str | None, open_without_token: bool, allowed_hosts: frozenset[str] | None = None) -> Authenticate:
    """Without a token the control API is open only where ``open_without_token`` (loopback) says so.

    A browser may be steered at it too: a request from another site (its ``Origin`` is not the
    emulator's own) is refused always, and while it is open without a token only the host names
    in ``allowed_hosts`` are answered, so a DNS name rebound to 127.0.0.1 reaches nothing.
    ``allowed_hosts`` None answers any name (in-process apps, whose Host is made up).
    """
    if token == "":
        raise ValueError("an empty admin token would let anyone use the control API")

    def authenticate(headers: RawHeaders) -> str:
        host = headers.get(b"host")
        origin = headers.get(b"origin")
        if origin is not None and not _same_origin(origin, host):
            raise HttpError(403, "forbidden", "header.origin: a request from another site may not use the control API")
        if token is None and allowed_hosts is not None:
            name = host_name(host.decode("latin-1")) if host else ""
            if name not in allowed_hosts and not is_loopback(name):
                raise HttpError(403, "forbidden", "header.host: without --admin-token the control API answers only its own host names")
        if token is None:
            if open_without_token:
                return "admin"
            raise HttpError(401, "unauthorized", "the control API needs --admin-token when the server listens beyond loopback")
        given = headers.get(_ADMIN_TOKEN, b"")
        if not hmac.compare_digest(given, token.encode()):
            raise HttpError(401, "unauthorized", f"header.{ADMIN_TOKEN_HEADER}: {'wrong' if given else 'required'} (the admin token)")
        return "admin"

    return authenticate
