"""Which host and port a URL or a Host header names, and whether that is this machine or the
emulator itself. Used where an address could lead back in: callbacks, the control API, the CLI."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_and_port(url: str) -> tuple[str, int] | None:
    """The host and port a URL names (the scheme's port when none is written); None without a
    host. ValueError for a port that is no number from 0 to 65535."""
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: ``[::1]:80`` -> ``::1``, ``A.test:80`` -> ``a.test``."""
    try:
        return urlsplit(f"//{host_header.strip()}").hostname or ""
    except ValueError:  # an unclosed "[": no name at all
        return ""


def own_addresses(base_url: str, server: tuple[str, int] | None) -> tuple[tuple[str, int], ...]:
    """Where a request reached the emulator: its base URL (Host header or public URL) and the
    listening socket that accepted it."""
    found: list[tuple[str, int]] = []
    try:
        named = host_and_port(base_url)
    except ValueError:
        named = None  # a Host header with a port that is no number: the socket below still counts
    if named is not None:
        found.append(named)
    if server:
        found.append((str(server[0]), int(server[1])))
    return tuple(found)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
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
    address = _ip(host)
    return address is not None and address.is_loopback


def _is_this_machine(host: str) -> bool:
    """Loopback, or the unspecified address (connecting to 0.0.0.0 reaches this machine)."""
    address = _ip(host)
    return is_loopback(host) or (address is not None and address.is_unspecified)


def reaches(host: str, port: int, own: Iterable[tuple[str, int]]) -> bool:
    """Whether host:port is one of the emulator's own addresses. Any spelling of this machine on
    the emulator's port counts: a server bound to every interface answers on loopback too."""
    for own_host, own_port in own:
        if port != own_port:
            continue
        if host.lower() == own_host.lower() or _is_this_machine(host):
            return True
    return False
