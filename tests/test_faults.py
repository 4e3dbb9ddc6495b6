"""Faults a request asks for with Prefer: a status instead of the answer, a held answer, a dropped
connection. Each faulted answer says so (X-Emulator-Fault) and the journal records it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.app import Settings, create_app
from mockserver.outcomes import JobStatus
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

KEY = "sk-faults"
AUTH = {"x-access-token": KEY}
CLIP = "/video/m-7a3f21c4/clip"


@pytest.fixture
def served() -> Iterator[tuple[str, ContractRecorder]]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as server:
        yield server.url, recorder
    assert_conforms(recorder)


def _store(recorder: ContractRecorder):
    return recorder.app.state.emulator.store


def test_a_status_fault_answers_instead_and_runs_nothing(served):
    url, recorder = served
    answer = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "code=503; retry-after=2"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
    assert answer.headers["x-emulator-fault"] == "code=503; retry-after=2"
    assert answer.json() == {"success": False, "message": "emulated fault: status 503, asked for by the test", "error_code": "emulated_fault"}
    assert _store(recorder).jobs(KEY) == [], "the operation did not run"
    [entry] = _store(recorder).journal(KEY).entries()
    assert (entry.status, entry.fault, entry.refused) == (503, "code=503; retry-after=2", None)


def test_any_error_status_can_be_asked_for_on_any_operation(served):
    url, _ = served
    for status in (400, 418, 429, 500, 502, 599):
        answer = httpx.get(url + "/collection/default", headers={**AUTH, "prefer": f"code={status}"})
        assert answer.status_code == status and answer.json()["error_code"] == "emulated_fault"


def test_a_delay_holds_only_its_own_answer(served):
    url, _ = served
    finished: dict[str, float] = {}

    def slow() -> None:
        answer = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "delay=3"})
        assert answer.status_code == 200 and answer.headers["x-emulator-fault"] == "delay=3"
        finished["slow"] = time.monotonic()

    began = time.monotonic()
    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.1)
    for _ in range(5):  # another key, meanwhile
        assert httpx.get(url + "/collection/default", headers={"x-access-token": "sk-other"}).status_code == 200
    finished["others"] = time.monotonic()
    worker.join()
    assert finished["others"] - began < 2.0 and finished["slow"] - began >= 3.0


def test_drop_close_runs_the_operation_then_closes_without_an_answer(served):
    url, recorder = served
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "drop=close"})
    [job] = _store(recorder).jobs(KEY)  # documented: the job was created before the connection went
    [entry] = _store(recorder).journal(KEY).entries()
    assert (entry.status, entry.fault) == (200, "drop=close")
    assert httpx.get(url + "/collection/default", headers=AUTH).status_code == 200


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_drop_truncate_sends_the_head_and_half_the_body(served):
    url, _ = served
    body = b'{"prompt": "demo"}'
    received = _raw(
        url,
        b"POST " + CLIP.encode() + b" HTTP/1.1\r\nhost: x\r\nx-access-token: " + KEY.encode()
        + b"\r\nprefer: drop=truncate\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body) + body,
    )
    head, _, partial = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"x-emulator-fault: drop=truncate" in head
    declared = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
    assert 0 < len(partial) < declared and partial.startswith(b'{"success":true')


def test_drop_reset_resets_the_connection(served):
    url, _ = served
    with pytest.raises(ConnectionResetError):
        _raw(url, b"GET /collection/default HTTP/1.1\r\nhost: x\r\nx-access-token: " + KEY.encode() + b"\r\nprefer: drop=reset\r\n\r\n")


@pytest.mark.parametrize(
    ("prefer", "message"),
    [
        ("code=200", "header.prefer.code: must be an error status from 400 to 599"),
        ("code=abc", "header.prefer.code: must be a whole number"),
        ("delay=61", "header.prefer.delay: must be seconds from 0 to 60"),
        ("delay=soon", "header.prefer.delay: must be seconds from 0 to 60"),
        ("drop=sideways", "header.prefer.drop: must be close, truncate, reset"),
        ("retry-after=5", "header.prefer.retry-after: goes with code="),
        ("code=503; drop=close", "header.prefer.drop: cannot go with code="),
        ("cod=503", "header.prefer: unknown preference 'cod'"),
    ],
)
def test_a_malformed_fault_is_a_400_naming_it(served, prefer, message):
    url, _ = served
    answer = httpx.get(url + "/collection/default", headers={**AUTH, "prefer": prefer})
    assert answer.status_code == 400 and answer.json()["message"].startswith(message), answer.text


def test_in_process_a_drop_is_refused_as_impossible(client):
    answer = client.get("/collection/default", headers={"prefer": "drop=close"})
    assert answer.status_code == 400 and "needs a real server connection" in answer.json()["message"]


def test_a_fault_and_an_outcome_in_one_header(served):
    url, recorder = served
    answer = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "outcome=failed; delay=0.1"})
    assert answer.status_code == 200 and answer.headers["x-emulator-fault"] == "delay=0.1"
    assert httpx.get(answer.json()["data"]["output_url"], headers=AUTH).json()["status"] == "failed"


def test_poll_faults_answer_the_first_polls_then_the_job_goes_on(served):
    url, recorder = served
    created = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "poll-code=503; poll-code-times=2; polls=1"})
    output_url = created.json()["data"]["output_url"]
    answers = [httpx.get(output_url, headers=AUTH) for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 503, 200, 200]
    assert answers[0].headers["x-emulator-fault"] == "poll-code=503" and answers[0].json()["error_code"] == "emulated_fault"
    assert [a.json()["status"] for a in answers[2:]] == ["processing", "done"], "faulted polls do not count as polls"
    polls = [e for e in _store(recorder).journal(KEY).entries() if e.path.startswith("/async-response")]
    assert [e.fault for e in polls] == ["poll-code=503", "poll-code=503", None, None]


def test_an_expire_after_fault_expires_the_output_url_once_the_job_ended(served):
    url, recorder = served
    key = {"x-access-token": "sk-expiring"}
    httpx.get(url + "/collection/default", headers=key)
    _store(recorder).clock("sk-expiring").freeze()
    created = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**key, "prefer": "expire-after=5"})
    output_url = created.json()["data"]["output_url"]
    assert httpx.get(output_url, headers=key).json()["status"] == "done"
    _store(recorder).clock("sk-expiring").advance(4.9)
    assert httpx.get(output_url, headers=key).status_code == 200
    _store(recorder).clock("sk-expiring").advance(0.1)
    gone = httpx.get(output_url, headers=key)
    assert gone.status_code == 404 and gone.json()["error_code"] == "expired" and "expire-after" in gone.json()["message"]


def test_poll_faults_come_from_fixture_rules_too(tmp_path):
    from .test_fixtures import COLLECTION, VIDEO

    (tmp_path / "a.yaml").write_text(COLLECTION + VIDEO + "clip_rules:\n  - {name: flaky, outcome: done, poll_code: 502}\n")
    recorder = ContractRecorder(create_app(Settings(fixtures_dir=tmp_path)))
    with ServerThread(recorder) as server:
        created = httpx.post(server.url + "/video/m-one/clip", json={"prompt": "x"}, headers=AUTH).json()
        statuses = [httpx.get(created["data"]["output_url"], headers=AUTH).status_code for _ in range(2)]
    assert statuses == [502, 200]
    assert_conforms(recorder)


def test_a_stuck_job_answers_processing_until_it_is_forced(served):
    url, recorder = served
    output_url = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "stuck=true"}).json()["data"]["output_url"]
    assert {httpx.get(output_url, headers=AUTH).json()["status"] for _ in range(5)} == {"processing"}
    job_id = output_url.rsplit("/", 1)[1]
    recorder.app.state.emulator.engine.force(KEY, job_id, JobStatus.DONE, None)
    assert httpx.get(output_url, headers=AUTH).json()["status"] == "done"
    bad = httpx.post(url + CLIP, json={"prompt": "demo"}, headers={**AUTH, "prefer": "stuck=maybe"})
    assert bad.status_code == 400 and bad.json()["message"] == "header.prefer.stuck: must be true or false"
