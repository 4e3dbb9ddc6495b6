"""Bounds on connections, below the app: how many may be open, how large a request's headers may
be, and how long a client may take to send a whole request.

uvicorn has a keep-alive timeout but nothing for the rest: headers of any size are buffered, and a
client that sends half a request line (or drips a body) holds its connection forever. Each bound
here answers with the emulator's JSON error shape and closes the connection. The checks cost a few
attribute writes per request; the clock is read by one sweep a second, not per request.
"""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 1_000  # open at once; more are answered 503 and closed
    max_header_bytes: int = 64 * 1024  # request line and headers
    max_headers: int = 100
    request_seconds: float = 30.0  # from a connection's opening, or a request's first byte, to its last
    keep_alive_seconds: float = 5.0  # idle between requests (uvicorn's own timeout)


SWEEP_SECONDS = 1.0
# The scope key under which the server tells the app about how many bytes the request's head took
# (an upper bound: a body's first bytes may be counted too), so the journal need not measure it.
HEAD_BYTES = "mockserver.head_bytes"
CONNECTION = "mockserver.connection"  # the protocol serving the request: faults may drop its connection


def _response(status: int, reason: str, code: str, message: str, extra: bytes = b"") -> bytes:
    body = json.dumps({"success": False, "message": message, "error_code": code}).encode()
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n"
    return head.encode("latin-1") + extra + b"\r\n" + body


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits`` applied: pass it as uvicorn's ``http``."""
    too_many = _response(503, "Service Unavailable", "too_many_connections", f"more than {limits.max_connections} connections are open: retry shortly", b"retry-after: 1\r\n")
    too_large = _response(
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        f"header: the request line and headers must be at most {limits.max_header_bytes} bytes and {limits.max_headers} fields",
    )
    not_http = _response(400, "Bad Request", "invalid_request", "request: not a valid HTTP/1.1 request")
    too_slow = _response(408, "Request Timeout", "request_timeout", f"the whole request must arrive within {limits.request_seconds:g}s")

    class GuardedProtocol(HttpToolsProtocol):
        # When the request being read began; the sweep closes a connection whose request is overdue.
        _reading_since: float | None = None
        _header_bytes = 0  # bytes received since the request began, headers and perhaps some body
        _in_headers = True  # reading a request's line and headers
        _refused = False

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                self._refuse(too_many)
                return
            self._reading_since = time.monotonic()  # a connection that never sends a request is a straggler too
            _sweeper.watch(self.loop, self.connections)

        # Two overrides only, calling the base class's methods directly rather than through
        # super(): they run on every request.
        def data_received(self, data: bytes) -> None:
            # uvicorn's data_received, inlined with the bounds: less its warning on every bad
            # request (a client's mistake is answered, not logged) and with no protocol upgrades
            # (the server runs with ws="none"); one Python frame per chunk, as before.
            if not self._in_headers:
                cycle = self.cycle
                if cycle is not None and not cycle.more_body:
                    # The last request was read whole: these bytes begin the next one.
                    self._in_headers, self._header_bytes, self._reading_since = True, 0, time.monotonic()
            elif self._refused:
                return
            if self._in_headers:
                self._header_bytes += len(data)
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserUpgrade:
                pass  # answered as plain HTTP: on_headers_complete has run
            except httptools.HttpParserError:
                if not self._refused:  # after a refusal the parser may still complain: one answer is enough
                    self._refuse(not_http)
                return
            if self._in_headers and self._header_bytes > limits.max_header_bytes:
                self._refuse(too_large)

        def on_headers_complete(self) -> None:
            self._in_headers = False
            # Exact sizes only when the bytes seen could exceed the bound: not on ordinary requests.
            too_large_perhaps = self._header_bytes > limits.max_header_bytes and _head_size(self) > limits.max_header_bytes
            if too_large_perhaps or len(self.headers) > limits.max_headers:
                self._refuse(too_large)
                return
            scope = self.scope
            scope[HEAD_BYTES] = self._header_bytes  # type: ignore[literal-required]
            scope[CONNECTION] = self  # type: ignore[literal-required]
            _on_headers_complete(self)

        def straggling(self, now: float) -> bool:
            """Its request (line, headers and body) is not all here, and its time is up."""
            since = self._reading_since
            if since is None or now - since <= limits.request_seconds or self._refused:
                return False
            return self._in_headers or (self.cycle is not None and self.cycle.more_body)

        def time_out(self) -> None:
            if self.cycle is not None and self.cycle.response_started:
                self._refused = True
                self.transport.close()  # the app has answered (or begun to): a 408 now would garble that
            else:
                self._refuse(too_slow)

        def _refuse(self, answer: bytes) -> None:
            self._refused = True
            self._in_headers = True  # so that data_received drops whatever still comes
            self._reading_since = None
            if not self.transport.is_closing():
                self.transport.write(answer)
                self.transport.close()

    return GuardedProtocol


_on_headers_complete = HttpToolsProtocol.on_headers_complete


def _head_size(protocol: HttpToolsProtocol) -> int:
    return len(protocol.url) + sum(len(name) + len(value) + 4 for name, value in protocol.headers)


class _Sweeper:
    """Once a second while connections are open, closes those whose request is overdue. A timer
    chain, not a task: nothing is left pending when the loop stops."""

    def __init__(self) -> None:
        # The connection sets being swept, by id; weakly, so a server that stopped mid-sweep
        # leaves nothing behind and its set's id, once reused, is not mistaken for it.
        self._armed: dict[int, weakref.ref[set[Any]]] = {}

    def watch(self, loop: Any, connections: set[Any]) -> None:
        armed = self._armed.get(id(connections))
        if armed is None or armed() is not connections:
            self._armed[id(connections)] = weakref.ref(connections)
            loop.call_later(SWEEP_SECONDS, self._sweep, loop, connections)

    def _sweep(self, loop: Any, connections: set[Any]) -> None:
        now = time.monotonic()
        for connection in list(connections):
            straggling = getattr(connection, "straggling", None)
            if straggling is not None and straggling(now):
                connection.time_out()
        if connections:
            loop.call_later(SWEEP_SECONDS, self._sweep, loop, connections)
        else:
            self._armed.pop(id(connections), None)


_sweeper = _Sweeper()
