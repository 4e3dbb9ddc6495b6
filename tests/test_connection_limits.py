"""Bounds below the app, over real sockets: header size, open connections, slow or idle clients,
and clients that abort mid-body. After each, the server answers normally."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.app import Settings, create_app
from mockserver.connection_limits import ConnectionLimits
from mockserver.server import ServerThread

KEY = b"sk-limits"
GET = b"GET /collection/default HTTP/1.1\r\nHost: x\r\nx-access-token: " + KEY + b"\r\n"


@pytest.fixture
def serve() -> Iterator:
    started: list[ServerThread] = []

    def start(**limits: float) -> tuple[ServerThread, int]:
        app = create_app(Settings())
        server = ServerThread(app, limits=ConnectionLimits(**limits)).start()
        started.append(server)
        server.app = app
        return server, int(server.url.rsplit(":", 1)[1])

    yield start
    for server in started:
        server.stop()


def _connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    return connection


def _answer(connection: socket.socket) -> tuple[int, dict, bytes]:
    """Status, headers and body of one answer, read until the connection closes or the body is whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    while len(body) < int(headers.get("content-length", 0)):
        body += connection.recv(65536)
    return int(lines[0].split()[1]), headers, body


def _still_answers(server: ServerThread) -> None:
    assert httpx.get(f"{server.url}/collection/default", headers={"x-access-token": KEY.decode()}).status_code == 200


@pytest.mark.parametrize(
    "request_head",
    [
        GET + b"x-big: " + b"a" * 70_000 + b"\r\n\r\n",
        GET + b"".join(b"x-%d: a\r\n" % n for n in range(101)) + b"\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["one huge header", "too many fields", "huge request line"],
)
def test_headers_past_the_bound_are_431_json(serve, request_head):
    server, port = serve()
    with _connect(port) as connection:
        connection.sendall(request_head)
        status, headers, body = _answer(connection)
    assert status == 431 and headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "success": False,
        "message": "header: the request line and headers must be at most 65536 bytes and 100 fields",
        "error_code": "headers_too_large",
    }
    _still_answers(server)


def test_what_is_not_http_is_a_json_400(serve):
    server, port = serve()
    with _connect(port) as connection:
        connection.sendall(b"\x16\x03\x01 hello, is this TLS?\r\n\r\n")
        status, headers, body = _answer(connection)
    assert status == 400 and json.loads(body)["error_code"] == "invalid_request"
    _still_answers(server)


def test_headers_at_the_bound_are_served(serve):
    server, port = serve()
    with _connect(port) as connection:
        connection.sendall(GET + b"".join(b"x-%d: a\r\n" % n for n in range(97)) + b"x-pad: " + b"a" * 60_000 + b"\r\n\r\n")
        assert _answer(connection)[0] == 200


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /collection/def",
        b"POST /video/m-7a3f21c4/clip HTTP/1.1\r\nHost: x\r\nx-access-token: " + KEY + b"\r\n"
        b"content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"prompt\"",
    ],
    ids=["nothing at all", "half a request line", "a body that stops"],
)
def test_a_request_that_does_not_arrive_in_time_is_408_and_closed(serve, sent):
    server, port = serve(request_seconds=0.5)
    with _connect(port) as connection:
        connection.sendall(sent)
        began = time.monotonic()
        status, _, body = _answer(connection)
        assert status == 408 and json.loads(body)["error_code"] == "request_timeout"
        assert connection.recv(10) == b"", "and the connection is closed"
    assert time.monotonic() - began < 5
    _still_answers(server)


def test_an_idle_keep_alive_connection_is_closed(serve):
    server, port = serve(keep_alive_seconds=0.3)
    with _connect(port) as connection:
        connection.sendall(GET + b"\r\n")
        assert _answer(connection)[0] == 200
        connection.settimeout(5)
        assert connection.recv(10) == b"", "closed by the keep-alive timeout"


def test_connections_past_the_bound_are_503_with_retry_after(serve):
    server, port = serve(max_connections=4)
    held = [_connect(port) for _ in range(4)]
    try:
        for connection in held:
            connection.sendall(GET + b"\r\n")
            assert _answer(connection)[0] == 200  # each open and served, kept alive
        with _connect(port) as extra:
            status, headers, body = _answer(extra)
            assert status == 503 and headers["retry-after"] == "1" and json.loads(body)["error_code"] == "too_many_connections"
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.2)
    _still_answers(server)


def test_a_client_aborting_mid_body_is_journaled_as_aborted_without_a_500(serve, caplog):
    server, port = serve()
    _still_answers(server)  # the key has state from here on
    with caplog.at_level(logging.ERROR, logger="mockserver"):
        with _connect(port) as connection:
            connection.sendall(
                b"POST /video/m-7a3f21c4/clip HTTP/1.1\r\nHost: x\r\nx-access-token: " + KEY + b"\r\n"
                b"content-type: application/json\r\ncontent-length: 500\r\n\r\n{\"prompt\": \"de"
            )
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while True:
            entries = server.app.state.emulator.store.journal(KEY.decode()).entries()
            if len(entries) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    aborted = entries[-1]
    assert (aborted.method, aborted.status) == ("POST", 499)
    assert aborted.body == "(aborted: the client closed the connection before its body arrived)"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no traceback, no error"
    _still_answers(server)
