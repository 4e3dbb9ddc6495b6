"""What callbacks may do and how receivers trust them: the policy (allowlist, retries,
bounds) and the signature.

Receivers verify ``X-Emulator-Signature: t=<t>,v1=<hex>``: ``hex`` is
HMAC-SHA256(secret, ``f"{t}."`` + raw body), where ``t`` is the time on the key's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InvalidInput

SIGNATURE_HEADER = "x-emulator-signature"
DELIVERY_HEADER = "x-emulator-delivery-id"
ATTEMPT_HEADER = "x-emulator-attempt"
LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class CallbackPolicy:
    allowed_hosts: frozenset[str] = frozenset()  # beyond loopback, which is always allowed; "*" allows any
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # before the 2nd attempt; doubled for each one after
    timeout_seconds: float = 5.0  # per attempt, in real time
    secret: str = "emulator-callback-secret"
    max_pending: int = 10_000  # deliveries waiting or in flight, across keys
    max_in_flight: int = 32
    hold_limit_seconds: float = 60.0  # an out-of-order callback is held at most this long
    deliver: bool = True  # False: accept callback URLs but never call them (for fuzzing)

    def check_url(self, url: str, field_name: str = "body.callback_url") -> None:
        host = urlsplit(url).hostname
        if not host:
            raise InvalidInput(field_name, "must name a host")
        if "*" in self.allowed_hosts or host in self.allowed_hosts or _is_loopback(host):
            return
        allowed = ", ".join(sorted({"loopback", *self.allowed_hosts}))
        raise InvalidInput(field_name, f"host {host!r} is not on the callback allowlist ({allowed}); see --callback-allow")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for this body, as receivers recompute it."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, header: str, body: bytes) -> bool:
    """The documented receiver recipe: split the header, recompute, compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in parts or "v1" not in parts:
        return False
    return hmac.compare_digest(signature(secret, parts["t"], body), f"t={parts['t']},v1={parts['v1']}")
