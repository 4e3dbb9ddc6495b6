"""What callbacks may do and how receivers trust them: the policy (allowlist, retries,
bounds) and the signature.

Receivers verify ``X-Emulator-Signature: t=<t>,v1=<hex>``: ``hex`` is
HMAC-SHA256(secret, ``f"{t}."`` + raw body), where ``t`` is the time on the key's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable
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
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise InvalidInput(field_name, "must name a host")
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
        except ValueError:
            raise InvalidInput(field_name, "has a port that is not a number from 0 to 65535") from None
        if not ("*" in self.allowed_hosts or host in self.allowed_hosts or is_loopback(host)):
            allowed = ", ".join(sorted({"loopback", *self.allowed_hosts}))
            raise InvalidInput(field_name, f"host {host!r} is not on the callback allowlist ({allowed}); see --callback-allow")
        if not self.allow_self and _reaches(host, port, own):
            raise InvalidInput(field_name, f"{host}:{port} is this emulator itself, which callbacks may not call; see --callback-allow-self")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def own_addresses(base_url: str, server: tuple[str, int] | None) -> tuple[tuple[str, int], ...]:
    """Where a request reached the emulator: its base URL (Host header or public URL) and the
    listening socket that accepted it."""
    found: list[tuple[str, int]] = []
    parts = urlsplit(base_url)
    try:
        if parts.hostname:
            found.append((parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)))
    except ValueError:
        pass  # a Host header with a port that is no number: the socket below still counts
    if server:
        found.append((str(server[0]), int(server[1])))
    return tuple(found)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP a host names, in any spelling a resolver accepts (``127.1``, ``2130706433``, ``::ffff:127.0.0.1``)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))  # the shorthand forms inet_aton takes
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP, in any spelling a resolver accepts."""
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def _is_this_machine(host: str) -> bool:
    """Loopback, or the unspecified address (connecting to 0.0.0.0 reaches this machine)."""
    address = _address(host)
    return is_loopback(host) or (address is not None and address.is_unspecified)


def _reaches(host: str, port: int, own: Iterable[tuple[str, int]]) -> bool:
    """Whether host:port is one of the emulator's own addresses. Any spelling of this machine on
    the emulator's port counts: a server bound to every interface answers on loopback too."""
    for own_host, own_port in own:
        if port != own_port:
            continue
        if host.lower() == own_host.lower() or _is_this_machine(host):
            return True
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
