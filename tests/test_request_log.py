"""The request log: one line per request (text or JSON), refusals with their reason, levels, and
refused calls kept in the journal of the key that made them."""

from __future__ import annotations

import json
import logging

import httpx

from mockserver.request_log import BATCH_LINES, RequestLog

from .conftest import AUTH
from .test_cli import _served

CLIP = {"prompt": "demo"}


def _traffic(url: str) -> None:
    with httpx.Client(base_url=url, headers={"x-access-token": "sk-logged-key"}) as http:
        created = http.post("/video/m-7a3f21c4/clip", json=CLIP, headers={"prefer": "polls=1"}).json()
        http.get(created["data"]["output_url"])
        http.get("/collection/default/archive")  # no such operation
        http.get("/collection/default", headers={"x-access-token": ""})  # no key


def _job_lines(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if line.strip()]


def test_every_request_is_one_line_with_its_job_or_its_reason(tmp_path):
    log = tmp_path / "stderr.log"
    with _served(log=log) as (url, _):
        _traffic(url)
    lines = _job_lines(log.read_text())
    assert len(lines) == 4, lines
    create, poll, unknown, anonymous = (line.split(" ", 6) for line in lines)
    assert create[1:5] == ["POST", "/video/m-7a3f21c4/clip", "sk-logged-ke...", "200"] and create[5].endswith("ms")
    assert "will be done after 1 polls (prefer-header)" in create[6] and create[6].startswith("job-")
    assert poll[1] == "GET" and poll[4] == "200" and poll[6].endswith(" processing")
    assert unknown[2:5] == ["/collection/default/archive", "sk-logged-ke...", "404"] and "refused: " in unknown[6] and "no such operation" in unknown[6]
    assert anonymous[3:5] == ["-", "401"] and "header.x-access-token: required" in anonymous[6]


def test_json_lines_carry_the_same_fields(tmp_path):
    log = tmp_path / "stderr.log"
    with _served("--log-format", "json", log=log) as (url, _):
        _traffic(url)
    entries = [json.loads(line) for line in _job_lines(log.read_text())]
    assert [(e["method"], e["status"]) for e in entries] == [("POST", 200), ("GET", 200), ("GET", 404), ("GET", 401)]
    assert entries[0]["job"].startswith("job-") and entries[0]["key"] == "sk-logged-ke..."
    assert "no such operation" in entries[2]["refused"] and all(e["ms"] >= 0 and e["time"] > 0 for e in entries)


def test_at_warning_only_refused_and_failed_requests_are_logged(tmp_path):
    log = tmp_path / "stderr.log"
    with _served("--log-level", "warning", log=log) as (url, _):
        _traffic(url)
    statuses = [line.split(" ")[4] for line in _job_lines(log.read_text())]
    assert statuses == ["404", "401"]


def test_a_line_cannot_be_forged_through_the_path():
    written: list[str] = []
    log = RequestLog(lambda batch: written.extend(line for _, line in batch), logging.INFO)
    log.request("GET", "/video/x\n12:00:00.000 GET /forged", "sk-a", 404, 0.0, "path\r\nno")
    assert len(written) == 1 and "\n" not in written[0] and "\\n12:00:00.000" in written[0] and "\\r\\n" in written[0]


def test_lines_are_written_in_batches():
    batches: list[int] = []
    log = RequestLog(lambda batch: batches.append(len(batch)), logging.INFO)
    log.request("GET", "/x", None, 200, 0.0)  # outside an event loop: at once
    assert batches == [1]
    for _ in range(BATCH_LINES):
        log._pending.append((1.0, 0.5, "GET", "/held", None, 200, None))  # as if a loop were waiting to flush them
    log.request("GET", "/x", None, 200, 0.0)
    assert batches == [1, BATCH_LINES + 1]


def test_a_refused_call_is_journaled_under_the_key_that_made_it(client, emulator):
    client.get("/collection/default")  # the key is known from here on
    client.get("/collection/default/archive")
    client.put("/video/m-7a3f21c4")
    entries = emulator.store.journal(AUTH["x-access-token"]).entries()
    assert [(e.path, e.status, e.refused is not None) for e in entries] == [
        ("/collection/default", 200, False),
        ("/collection/default/archive", 404, True),
        ("/video/m-7a3f21c4", 405, True),
    ]
    assert "no such operation" in entries[1].refused and "not allowed" in entries[2].refused


def test_a_refusal_gives_no_state_to_a_key_never_seen(client, emulator):
    client.get("/collection/default/archive", headers={"x-access-token": "sk-never-seen"})
    client.get("/collection/default", headers={"x-access-token": "not-a-key"})
    assert "sk-never-seen" not in emulator.store.keys() and "not-a-key" not in emulator.store.keys()


def test_refusals_show_in_the_control_api_journal(client):
    client.get("/collection/default")
    client.get("/nothing/here")
    entries = client.get(f"/_emulator/namespaces/{AUTH['x-access-token']}/journal").json()["data"]["entries"]
    assert entries[-1]["refused"] == "path '/nothing/here': no such operation" and entries[0]["refused"] is None
