"""The oracle itself must fail on answers that break openapi.yaml, or its passes mean nothing."""

from __future__ import annotations

import json

import pytest

from .contract import Exchange, violations


def _exchange(method: str, path: str, status: int, body: object, headers: list[tuple[bytes, bytes]] | None = None) -> Exchange:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
    }
    raw = json.dumps(body).encode()
    return Exchange(scope, b"", status, headers or [(b"content-type", b"application/json")], raw)


PROCESSING = {"success": True, "status": "processing", "data": {"id": "job-1", "output_url": "http://testserver/async-response/job-1"}}


def test_a_conforming_answer_passes():
    assert violations(_exchange("GET", "/async-response/job-1", 200, PROCESSING)) == []


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/async-response/job-1", 200, {**PROCESSING, "status": "completed"}),
        ("/async-response/job-1", 200, {**PROCESSING, "data": {"id": "job-1", "output_url": "/async-response/job-1"}}),
        ("/async-response/job-1", 200, {**PROCESSING, "request_type": "async"}),
        ("/async-response/job-1", 200, {"success": True, "status": "done", "data": {"results": [{"video_id": "m-1", "docs": []}]}}),
        ("/async-response/job-1", 200, {"success": False, "status": "failed"}),
        ("/async-response/job-1", 404, "job not found"),
        ("/async-response/job-1", 500, {"success": False, "message": "boom"}),
        ("/video", 200, {"success": True, "data": {"videos": [{"id": "m-1", "collection_id": "c-1", "length": None}]}}),
        ("/nowhere", 404, "plain text"),
    ],
)
def test_a_broken_answer_is_caught(path, status, body):
    assert violations(_exchange("GET", path, status, body))


def test_a_405_without_allow_is_caught():
    assert violations(_exchange("DELETE", "/video/m-1/clip", 405, {"success": False, "message": "no"}))
