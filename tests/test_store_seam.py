"""The store is a seam: a second implementation, written from the protocol alone, serves the
same answers byte for byte and carries callbacks and the real SDK, with nothing else changed."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import videodb
from starlette.testclient import TestClient

from mockserver.app import Settings, create_app
from mockserver.memory_store import MemoryStore
from mockserver.receiver import CallbackReceiver
from mockserver.server import ServerThread
from mockserver.store import JobStore, StoreLimits

from .contract import ContractRecorder, assert_conforms
from .pickled_store import PickledStore

KEY = "sk-seam"
CLIP = "/video/m-7a3f21c4/clip"
ADMIN = f"/_emulator/namespaces/{KEY}"
LIMITS = StoreLimits(max_jobs_per_namespace=6)


def _script(client: TestClient) -> list[tuple[int, bytes]]:
    """A journey through every verb of the engine, as raw answers."""
    answers: list[httpx.Response] = []

    def send(method: str, path: str, **kwargs: object) -> dict:
        answer = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        answers.append(answer)
        return answer.json()

    def clip(prompt: str = "the demo", video: str = "m-7a3f21c4", prefer: str | None = None, **body: object) -> str:
        headers = {"prefer": prefer} if prefer else {}
        return send("POST", f"/video/{video}/clip", json={"prompt": prompt, **body}, headers=headers)["data"]["output_url"]

    first = clip()
    send("GET", first)
    slow = clip("pricing", model_name="ultra")  # the fixture rule: two processing answers
    for _ in range(3):
        send("GET", slow)
    timed = clip(prefer="seconds=30")
    send("GET", timed)
    send("POST", f"{ADMIN}/clock/advance", json={"seconds": 30})
    send("GET", timed)
    send("POST", f"{ADMIN}/overrides", json={"count": 1, "outcome": "failed", "message": "quota"})
    send("GET", clip())
    stuck = clip(prefer="polls=5")
    stuck_id = stuck.rsplit("/", 1)[1]
    send("PUT", f"{ADMIN}/jobs/{stuck_id}/outcome", json={"polls": 0})
    send("GET", stuck)
    send("POST", f"{ADMIN}/jobs/{stuck_id}/finish", json={"outcome": "failed"})  # 409: already terminal
    forced = clip(prefer="polls=3").rsplit("/", 1)[1]
    send("POST", f"{ADMIN}/jobs/{forced}/finish", json={"outcome": "failed", "message": "stopped"})
    send("GET", f"/async-response/{forced}")
    send("GET", clip(video="m-9b4e6a03"))  # the fixture rule that always fails
    send("GET", first)  # evicted by now: expired
    send("GET", "/async-response/job-0000000000-99")  # never issued
    send("GET", f"{ADMIN}/jobs")
    send("GET", f"{ADMIN}/journal", params={"method": "POST"})
    send("DELETE", ADMIN)
    send("GET", slow)  # the key began anew: a stranger now
    return [(a.status_code, a.content) for a in answers]


def _run(store: JobStore) -> list[tuple[int, bytes]]:
    recorder = ContractRecorder(create_app(Settings(frozen_clocks=True, limits=LIMITS), store=store))
    with TestClient(recorder, headers={"x-access-token": KEY}) as client:
        answers = _script(client)
    assert_conforms(recorder)
    return answers


def test_a_second_store_gives_the_same_answers_byte_for_byte():
    store = PickledStore(0, LIMITS, frozen_clocks=True)
    expected = _run(MemoryStore(0, LIMITS, frozen_clocks=True))
    assert _run(store) == expected
    statuses = [status for status, _ in expected]
    assert {200, 404, 409} <= set(statuses), "the journey reaches terminal, expired and conflicting answers"
    assert b'"expired"' in b"".join(body for _, body in expected)
    assert store.writes >= 10, "the engine wrote its changes back through the store"


@pytest.fixture
def seam_server() -> Iterator[tuple[ServerThread, PickledStore]]:
    store = PickledStore(0)
    recorder = ContractRecorder(create_app(Settings(), store=store))
    with ServerThread(recorder) as server:
        yield server, store
    assert_conforms(recorder)


def test_callbacks_ride_on_the_second_store(seam_server):
    server, _ = seam_server
    with CallbackReceiver() as receiver, httpx.Client(base_url=server.url, headers={"x-access-token": KEY}) as http:
        started = http.post(CLIP, json={"prompt": "pricing", "callback_url": receiver.url}, headers={"prefer": "seconds=0.2"})
        job_id = started.json()["data"]["id"]
        (delivery,) = receiver.wait_for(1)
        final = http.get(f"/async-response/{job_id}").json()
    assert delivery.json == {**final, "job_id": job_id} and final["status"] == "done"


def test_the_sdk_journey_runs_on_the_second_store(seam_server):
    server, store = seam_server
    video = videodb.connect(api_key=KEY, base_url=server.url).get_collection().get_video("m-7a3f21c4")
    shots = video.clip("pricing", "spoken", "basic").shots
    assert shots and all(0 <= s.start < s.end <= video.length for s in shots)
    assert [job.status.value for job in store.jobs(KEY)] == ["done"]
