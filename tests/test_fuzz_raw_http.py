"""hypothesis against the raw HTTP layer: request lines, headers and bodies written to plain
sockets, well-formed or not. The server must answer each with a status other than 500 (or close
a connection it cannot read), never hang, never crash, and answer normally afterwards."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.app import Settings, create_app
from mockserver.connection_limits import ConnectionLimits
from mockserver.server import ServerThread

KEY = "sk-raw-fuzz"
ANSWER_WAIT = 10.0  # seconds; the server's own request timeout below is shorter, so a wait this long is a hang

PATHS = ["/collection/default", "/video/m-7a3f21c4/clip", "/async-response/job-x-1", "/compile", "/video", "/_emulator/health", "*", "/"]
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT", "BREW"]
HEADER_NAMES = ["host", "content-type", "content-length", "transfer-encoding", "x-access-token", "prefer", "origin", "expect", "connection", "x-junk"]

_token = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=40)
_header_value = st.one_of(
    st.sampled_from(["application/json", "chunked", "0", "5", "-1", "99999999999", KEY, "outcome=failed; polls=2", "100-continue", "close", "x"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    _token,
)
_clean_target = st.one_of(
    st.sampled_from(PATHS),
    st.builds(lambda base, tail: base + tail, st.sampled_from(PATHS), st.text(st.sampled_from("/%0aAZ?=&#.;:-_~"), max_size=20)),
)
_any_target = st.one_of(
    _clean_target,
    st.builds(lambda base, tail: base + tail, st.sampled_from(PATHS), st.text(st.sampled_from("/%0aAZ?=&#.;:\x00\x7f é"), max_size=20)),
)
_clean_value = st.one_of(
    st.sampled_from(["application/json", "chunked", "0", "5", "-1", "99999999999", KEY, "outcome=failed; polls=2", "100-continue", "close", "x"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
)
_body = st.one_of(
    st.just(b""),
    st.sampled_from([b'{"prompt": "demo"}', b'{"prompt": ', b"[]", b"0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n"]),
    st.binary(max_size=200),
)


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    # Mostly well-formed, so that most examples reach the app; a fraction is garbage at each level.
    well_formed = draw(st.integers(0, 9)) > 1
    method = draw(st.sampled_from(METHODS) if well_formed else st.one_of(st.sampled_from(METHODS), _token))
    target = draw(_clean_target if well_formed else _any_target)
    version = "HTTP/1.1" if well_formed else draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 extra", ""]))
    names = st.sampled_from(HEADER_NAMES) if well_formed else st.one_of(st.sampled_from(HEADER_NAMES), _token)
    headers = draw(st.lists(st.tuples(names, _clean_value if well_formed else _header_value), max_size=8))
    if draw(st.integers(0, 3)):
        headers.insert(0, ("x-access-token", KEY))
    body = draw(_body)
    if well_formed:  # framing that matches the body; the other branch mixes framing at will
        headers = [(name, value) for name, value in headers if name not in ("content-length", "transfer-encoding")]
        if body:
            headers.append(("content-length", str(len(body))))
    line_end = "\r\n" if well_formed else draw(st.sampled_from(["\r\n", "\n", "\r"]))
    head = f"{method} {target} {version}{line_end}" + "".join(f"{name}: {value}{line_end}" for name, value in headers) + line_end
    return head.encode("utf-8", "surrogatepass") + body


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    # A short request timeout: a request the server cannot finish reading is answered 408 quickly.
    with ServerThread(create_app(Settings()), limits=ConnectionLimits(request_seconds=2.0)) as running:
        yield running


def _exchange(url: str, data: bytes) -> bytes:
    """Writes ``data``, half-closes, and reads until the server closes: everything it answered."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=ANSWER_WAIT) as connection:
        try:
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close first: what it answered is still read below
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                pytest.fail(f"no answer and no close within {ANSWER_WAIT}s for {data[:200]!r}")
            if not chunk:
                return received
            received += chunk
    return received


def _answers(received: bytes) -> Iterator[tuple[int, dict[bytes, bytes], bytes]]:
    """Each answer in what a connection received: status, headers, body (by its content-length)."""
    while received.startswith(b"HTTP/1."):
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        headers = dict(line.lower().split(b": ", 1) for line in lines[1:] if b": " in line)
        length = int(headers.get(b"content-length", b"0"))
        yield int(lines[0].split()[1]), headers, rest[:length]
        received = rest[length:]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=raw_requests())
def test_raw_requests_never_get_a_500_a_hang_or_a_crash(server, caplog, data):
    with caplog.at_level(logging.ERROR):
        answer = _exchange(server.url, data)
    for status, headers, body in _answers(answer):
        assert status != 500, answer[:500]
        if status >= 400 and body:  # every error the emulator writes is its JSON error shape
            assert headers.get(b"content-type") == b"application/json", answer[:500]
            error = json.loads(body)
            assert error["success"] is False and error["message"], error
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    healthy = httpx.get(f"{server.url}/collection/default", headers={"x-access-token": KEY}, timeout=ANSWER_WAIT)
    assert healthy.status_code == 200
