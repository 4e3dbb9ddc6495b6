"""Every error is a JSON object naming the field and the rule; bad input never causes a 500."""

from __future__ import annotations

import socket

import pytest

from .conftest import AUTH, KEY

CLIP = "/video/m-7a3f21c4/clip"
JSON = {**AUTH, "content-type": "application/json"}


def _error(response, status: int, code: str, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error_code"] == code
    for fragment in fragments:
        assert fragment in body["message"]
    return body


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({}, ["body.prompt: required"]),
        ({"prompt": ""}, ["body.prompt:", "at least 1"]),
        ({"prompt": 7}, ["body.prompt:", "type string"]),
        ({"prompt": "x", "content_type": "highlights"}, ["body.content_type:", '"spoken"']),
        ({"prompt": "x", "model_name": "default"}, ["body.model_name:", '"ultra"']),
        ({"prompt": "x", "callback_url": "not a url"}, ["body.callback_url:"]),
        ({"prompt": "x", "callback_url": "http://127.0.0.1:9/" + "a" * 2048}, ["body.callback_url:", "at most 2048"]),
        ({"prompt": "x" * 5000}, ["body.prompt:", "at most 4096"]),
        ([{"prompt": "x"}], ["body:", "type object"]),
        ("prompt", ["body:", "type object"]),
    ],
)
def test_invalid_clip_bodies_are_400_naming_field_and_rule(client, body, fragments):
    _error(client.post(CLIP, json=body), 400, "invalid_request", *fragments)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{", "malformed JSON"),
        (b'{"prompt": "x",}', "malformed JSON"),
        (b"\xff\xfe{}", "valid UTF-8"),
        (b'{"prompt": NaN}', "NaN"),
        (b'{"prompt": "x", "n": 1e999}', "out of range"),
        (b"[" * 50_000, "nested too deeply"),
        (b"", "body: required"),
    ],
)
def test_malformed_bodies_are_400(client, raw, fragment):
    _error(client.post(CLIP, content=raw, headers=JSON), 400, "invalid_request", fragment)


def test_a_bad_path_parameter_is_400(client):
    _error(client.post("/video/v-1/clip", json={"prompt": "x"}), 400, "invalid_request", "path.video_id:", "'^m-[A-Za-z0-9_-]+$'")


def test_missing_and_unknown_keys_are_401(client):
    _error(client.get("/collection/default", headers={"x-access-token": ""}), 401, "unauthorized", "required")
    _error(client.get("/collection/default", headers={"x-access-token": "pk-123"}), 401, "unauthorized", "not an accepted")
    _error(client.get("/collection/default", headers={"x-access-token": "sk-"}), 401, "unauthorized")


def test_auth_is_checked_before_the_body(client):
    _error(client.post(CLIP, content=b"{", headers={"x-access-token": "nope", "content-type": "application/json"}), 401, "unauthorized")


@pytest.mark.parametrize(
    ("method", "path", "fragment"),
    [
        ("GET", "/video/m-nope", "video 'm-nope'"),
        ("GET", "/collection/c-nope", "collection 'c-nope'"),
        ("GET", "/video?collection_id=c-nope", "collection 'c-nope'"),
        ("GET", "/video/m-e18c52d7?collection_id=c-product-videos", "not in collection"),
        ("GET", "/async-response/job-0000000000-1", "job 'job-0000000000-1'"),
        ("GET", "/no/such/path", "no such operation"),
    ],
)
def test_unknown_things_are_404(client, method, path, fragment):
    _error(client.request(method, path), 404, "not_found", fragment)


def test_a_wrong_method_is_405_with_allow(client):
    response = client.delete(CLIP)
    _error(response, 405, "method_not_allowed", "DELETE")
    assert response.headers["allow"] == "POST"


def test_a_body_over_the_limit_is_413(client):
    _error(client.post(CLIP, content=b'{"prompt": "' + b"x" * (1 << 20) + b'"}', headers=JSON), 413, "payload_too_large", "1048576")


def test_a_chunked_body_over_the_limit_is_413(client):
    chunks = (b"x" * 65536 for _ in range(20))
    _error(client.post(CLIP, content=chunks, headers=JSON), 413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_non_json_body_is_415(client, content_type):
    _error(client.post(CLIP, content=b"prompt=x", headers={**AUTH, "content-type": content_type}), 415, "unsupported_media_type", "application/json")


def test_json_with_charset_and_json_on_gets_are_accepted(client):
    assert client.post(CLIP, content=b'{"prompt": "demo"}', headers={**AUTH, "content-type": "application/json; charset=utf-8"}).status_code == 200
    assert client.get("/collection/default", headers={**AUTH, "content-type": "application/json"}).status_code == 200


@pytest.mark.parametrize("path", ["/video/", "/video//", "/collection/default/", "/collection//default//"])
def test_slashes_are_forgiven(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.text


def _by_hand(live_server, method: str, target: str) -> bytes:
    """One request whose request line is written by hand (HTTP clients would rewrite it); the whole reply."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nx-access-token: {KEY}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize("path", ["//video", "//collection//default//"])
def test_leading_double_slashes_are_forgiven_on_the_wire(live_server, path):
    """HTTP clients read a leading `//` as a host, so send the request line by hand."""
    reply = _by_hand(live_server, "GET", path)
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
def test_a_target_that_is_not_a_path_gets_a_json_answer(live_server, method):
    """`OPTIONS *` is a valid request line; no operation answers it, and it is no server error."""
    reply = _by_hand(live_server, method, "*")
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line in (b"HTTP/1.1 404 Not Found", b"HTTP/1.1 405 Method Not Allowed"), reply[:200]
    assert b'"success":false' in rest and b"application/json" in rest


@pytest.mark.parametrize("host", ["a b", "x/y", "evil@host", "h:99x", "h:123456", "h<script>"])
def test_a_malformed_host_never_becomes_part_of_a_url(client, host):
    answer = client.post(CLIP, json={"prompt": "x"}, headers={"host": host})
    _error(answer, 400, "invalid_request", "header.host:")
    assert client.get("/collection/default", headers={"host": host}).status_code == 400


@pytest.mark.parametrize("host", ["videodb.test:9000", "[::1]:8000", "127.0.0.1", "my_emulator"])
def test_well_formed_hosts_make_the_output_url(client, host):
    answer = client.post(CLIP, json={"prompt": "x"}, headers={"host": host})
    assert answer.json()["data"]["output_url"].startswith(f"http://{host}/async-response/")


def test_bad_input_leaves_stored_jobs_intact(client):
    created = client.post(CLIP, json={"prompt": "demo"}).json()["data"]
    for raw in (b"{", b"\xff", b"[" * 10_000, b"{}"):
        client.post(CLIP, content=raw, headers=JSON)
    answer = client.get(created["output_url"])
    assert answer.status_code == 200 and answer.json()["status"] == "done"
    assert client.get(created["output_url"]).content == answer.content


def test_compile_checks_each_video_and_its_collection(client):
    ok = client.post("/compile", json=[{"video_id": "m-7a3f21c4", "collection_id": "c-product-videos", "shots": [[1, 9]]}])
    assert ok.status_code == 200 and ok.json()["data"]["player_url"].startswith("http://testserver/watch?v=")
    _error(client.post("/compile", json=[{"video_id": "m-7a3f21c4", "collection_id": "c-conference-talks", "shots": [[1, 9]]}]), 404, "not_found", "not in collection")
    _error(client.post("/compile", json=[{"video_id": "m-7a3f21c4", "shots": [[1, 900]]}]), 400, "invalid_request", "body[0].shots[0]", "176.4")


def test_stream_checks_the_timeline(client):
    _error(client.post("/video/m-7a3f21c4/stream", json={"timeline": [[5, 2]]}), 400, "invalid_request", "body.timeline[0]")
    _error(client.post("/video/m-7a3f21c4/stream", json={"timeline": []}), 400, "invalid_request", "body.timeline:", "at least 1")
    same = [client.post("/video/m-7a3f21c4/stream", json={"timeline": [[1, 2]], "length": "176.4"}).json() for _ in range(2)]
    assert same[0] == same[1], "the same timeline names the same stream"
