"""What callbacks may do and how receivers trust them: the policy (allowlist, retries,
bounds) and the signature.

Receivers verify ``X-Emulator-Signature: t=<t>,v1=<hex>``: ``hex`` is
HMAC-SHA256(secret, ``f"{t}."`` + raw body), where ``t`` is the time on the key's clock.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from .addresses import host_and_port, is_loopback, reaches
from .errors import InvalidInput

SIGNATURE_HEADER = "x-emulator-signature"
DELIVERY_HEADER = "x-emulator-delivery-id"
ATTEMPT_HEADER = "x-emulator-attempt"


@dataclass(frozen=True)
class CallbackPolicy:
    allowed_hosts: frozenset[str] = frozenset()  # beyond loopback, which is always allowed; "*" allows any
    max_attempts: int = 5
    backoff_seconds: float = 1.0  # before the 2nd attempt; doubled for each one after
    timeout_seconds: float = 5.0  # the deadline of each whole attempt, in real time
    secret: str = "emulator-callback-secret"
    max_pending: int = 10_000  # deliveries waiting or in flight, across keys
    max_in_flight: int = 32
    hold_limit_seconds: float = 60.0  # an out-of-order callback is held at most this long
    deliver: bool = True  # False: accept callback URLs but never call them (for fuzzing)
    # A callback that reaches the emulator itself could drive its control API for any client:
    # refused unless this says otherwise.
    allow_self: bool = False

    def check_url(self, url: str, field_name: str = "body.callback_url", own: Iterable[tuple[str, int]] = ()) -> None:
        """Refuse a callback URL off the allowlist, or one that would reach the emulator itself:
        ``own`` holds the (host, port) pairs it was reached at for this request."""
        try:
            named = host_and_port(url)
        except ValueError:
            raise InvalidInput(field_name, "has a port that is not a number from 0 to 65535") from None
        if named is None:
            raise InvalidInput(field_name, "must name a host")
        host, port = named
        if not ("*" in self.allowed_hosts or host in self.allowed_hosts or is_loopback(host)):
            allowed = ", ".join(sorted({"loopback", *self.allowed_hosts}))
            raise InvalidInput(field_name, f"host {host!r} is not on the callback allowlist ({allowed}); see --callback-allow")
        if not self.allow_self and reaches(host, port, own):
            raise InvalidInput(field_name, f"{host}:{port} is this emulator itself, which callbacks may not call; see --callback-allow-self")


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
