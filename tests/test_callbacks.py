"""Callbacks with a real receiver on loopback: delivery, retries, signatures, allowlist, faults."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mockserver import Control
from mockserver.app import Settings, create_app
from mockserver.callback_policy import CallbackPolicy
from mockserver.receiver import CallbackReceiver
from mockserver.resources import default_fixtures_dir
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms

KEY = "sk-callbacks"
SECRET = "test-secret"
CLIP = "/video/m-7a3f21c4/clip"


class Emulator:
    """A live emulator plus the clients a callback test needs."""

    def __init__(self, server: ServerThread) -> None:
        self.url = server.url
        self.http = httpx.Client(base_url=server.url, headers={"x-access-token": KEY}, timeout=10)
        self.ns = Control(server.url).namespace(KEY)

    def clip(self, callback_url: str, prompt: str = "the demo", prefer: str | None = None) -> dict:
        headers = {"prefer": prefer} if prefer else {}
        answer = self.http.post(CLIP, json={"prompt": prompt, "callback_url": callback_url}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def attempts_until(self, count: int, timeout: float = 10.0) -> list[dict]:
        return attempts_until(self.ns, count, timeout)


def attempts_until(namespace: Any, count: int, timeout: float = 10.0) -> list[dict]:
    """The emulator's own record of a key's callback attempts, once it holds ``count`` of them
    (each attempt's answer is back), or as it stands at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        attempts = namespace.deliveries()
        if len(attempts) >= count or time.monotonic() > deadline:
            return attempts
        time.sleep(0.02)


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., Emulator]]:
    started: list[tuple[ServerThread, ContractRecorder, Emulator]] = []

    def start(**policy: object) -> Emulator:
        settings = Settings(callbacks=CallbackPolicy(secret=SECRET, **policy))  # type: ignore[arg-type]
        recorder = ContractRecorder(create_app(settings))
        server = ServerThread(recorder).start()
        emulator = Emulator(server)
        started.append((server, recorder, emulator))
        return emulator

    yield start
    for server, recorder, emulator in started:
        emulator.http.close()
        server.stop()
        assert_conforms(recorder)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as collecting:
        yield collecting


def test_the_callback_carries_the_final_poll_answer_signed(start_emulator, receiver):
    emulator = start_emulator()
    job = emulator.clip(receiver.url)
    delivery = receiver.wait_for(1)[0]
    assert delivery.verified(SECRET)
    assert not delivery.verified("another-secret")
    final = emulator.http.get(job["output_url"])
    assert delivery.json == {**final.json(), "job_id": job["id"]}
    assert delivery.body == final.content[:-1] + b',"job_id":"' + job["id"].encode() + b'"}', "same bytes as the poll, plus the id"
    assert delivery.delivery_id and delivery.delivery_id.startswith("dlv-")
    assert delivery.headers["content-type"] == "application/json"
    [attempt] = emulator.attempts_until(1)  # the emulator logs the attempt once the answer is back: after the receiver saw it
    assert attempt["ok"] and attempt["status"] == 200 and attempt["job_id"] == job["id"]


def test_the_documented_verification_recipe(start_emulator, receiver):
    """What a receiver in any language does, spelled out with the standard library."""
    import hashlib
    import hmac

    start_emulator().clip(receiver.url)
    delivery = receiver.wait_for(1)[0]
    fields = dict(part.split("=", 1) for part in delivery.headers["x-emulator-signature"].split(","))
    expected = hmac.new(SECRET.encode(), fields["t"].encode() + b"." + delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])


def test_a_job_nobody_polls_ends_by_its_clock(start_emulator, receiver):
    emulator = start_emulator()
    emulator.ns.clock.freeze()
    emulator.ns.override_next(seconds=20, polls=3)
    job = emulator.clip(receiver.url)
    time.sleep(0.3)
    assert receiver.deliveries == [], "20 s have not passed on the frozen clock"
    assert emulator.http.get(job["output_url"]).json()["status"] == "processing"
    emulator.ns.clock.advance(20)
    delivery = receiver.wait_for(1)[0]
    assert delivery.json["status"] == "done", "polls do not hold back a job with a callback"


def test_failures_are_retried_with_backoff_on_the_clock(start_emulator, receiver):
    emulator = start_emulator(backoff_seconds=10)
    emulator.ns.clock.freeze()
    receiver.respond_with(503, 500)
    emulator.clip(receiver.url)
    emulator.attempts_until(1)  # the emulator has seen the failure: the retry is scheduled
    time.sleep(0.2)
    assert len(receiver.deliveries) == 1, "the retry waits 10 s on the key's clock"
    emulator.ns.clock.advance(10)
    emulator.attempts_until(2)
    emulator.ns.clock.advance(19.9)
    time.sleep(0.2)
    assert len(receiver.deliveries) == 2, "the second retry waits 20 s"
    emulator.ns.clock.advance(0.1)
    receiver.wait_for(1, accepted=True)
    deliveries = receiver.deliveries
    assert [d.answered for d in deliveries] == [503, 500, 200]
    assert len({d.delivery_id for d in deliveries}) == 1
    assert [d.headers["x-emulator-attempt"] for d in deliveries] == ["1", "2", "3"]
    assert [(a["attempt"], a["status"], a["ok"]) for a in emulator.attempts_until(3)] == [(1, 503, False), (2, 500, False), (3, 200, True)]


def test_a_hanging_receiver_times_out_and_never_blocks_the_emulator(start_emulator, receiver):
    emulator = start_emulator(timeout_seconds=2, backoff_seconds=0)
    receiver.hang_next(1)
    emulator.clip(receiver.url)
    time.sleep(0.1)  # the first attempt is hanging now
    started = time.monotonic()
    for _ in range(5):
        assert emulator.http.get("/collection/default").status_code == 200
    assert time.monotonic() - started < 1.5, "answers do not wait for the hanging receiver"
    receiver.wait_for(1, accepted=True)
    attempts = emulator.attempts_until(2)
    assert attempts[0]["error"].startswith("timeout") and attempts[1]["ok"]


def test_attempts_are_bounded(start_emulator, receiver):
    emulator = start_emulator(max_attempts=3, backoff_seconds=0)
    receiver.respond_with(500, 500, 500, 500, 500)
    emulator.clip(receiver.url)
    receiver.wait_for(3)
    time.sleep(0.3)
    assert len(receiver.deliveries) == 3
    assert [a["ok"] for a in emulator.ns.deliveries()] == [False, False, False]


def test_a_refused_connection_is_retried(start_emulator, receiver):
    emulator = start_emulator(max_attempts=2, backoff_seconds=0)
    closed = CallbackReceiver().url  # bound, then never started: nothing answers there
    emulator.clip(closed.replace("/callback", "/nobody"))
    attempts = emulator.attempts_until(2)
    assert len(attempts) == 2 and all(a["error"] and a["status"] is None for a in attempts)


def test_hosts_off_the_allowlist_are_refused(start_emulator):
    emulator = start_emulator()
    answer = emulator.http.post(CLIP, json={"prompt": "x", "callback_url": "https://hooks.example.com/videodb"})
    assert answer.status_code == 400
    assert "body.callback_url: host 'hooks.example.com' is not on the callback allowlist" in answer.json()["message"]
    assert emulator.ns.jobs() == []


def test_the_allowlist_can_name_more_hosts(start_emulator):
    emulator = start_emulator(allowed_hosts=frozenset({"hooks.example.com"}), max_attempts=1)
    emulator.ns.clock.freeze()
    emulator.ns.override_next(seconds=60)  # never due during the test: nothing is sent anywhere
    answer = emulator.http.post(CLIP, json={"prompt": "x", "callback_url": "https://hooks.example.com/videodb"})
    assert answer.status_code == 200


@pytest.mark.parametrize("allowed", [frozenset(), frozenset({"*"})], ids=["loopback only", "any host allowed"])
def test_a_callback_can_never_reach_the_emulator_itself(start_emulator, allowed):
    emulator = start_emulator(allowed_hosts=allowed)
    port = httpx.URL(emulator.url).port
    other = Control(emulator.url).namespace("sk-bystander")
    httpx.post(f"{emulator.url}{CLIP}", json={"prompt": "x"}, headers={"x-access-token": "sk-bystander"})
    spellings = [
        f"{emulator.url}/_emulator/reset",
        f"http://localhost:{port}/_emulator/reset",
        f"http://127.0.0.2:{port}/_emulator/reset",
        f"http://127.1:{port}/_emulator/reset",
        f"http://[::1]:{port}/_emulator/reset",
        f"http://[::ffff:127.0.0.1]:{port}/_emulator/reset",
        f"http://0.0.0.0:{port}/_emulator/reset",
    ]
    for url in spellings:
        answer = emulator.http.post(CLIP, json={"prompt": "x", "callback_url": url})
        # 0.0.0.0 is no loopback address: the allowlist alone refuses it, unless any host may be called.
        reason = "is not on the callback allowlist" if "0.0.0.0" in url and not allowed else "is this emulator itself"
        assert answer.status_code == 400, url
        assert reason in answer.json()["message"] and "body.callback_url" in answer.json()["message"], url
    if allowed:  # a name the client gave as Host counts too, once any host may be called
        spoofed = emulator.http.post(
            CLIP, json={"prompt": "x", "callback_url": "http://emulator.test:9000/_emulator/reset"}, headers={"host": "emulator.test:9000"}
        )
        assert spoofed.status_code == 400 and "is this emulator itself" in spoofed.json()["message"]
    assert emulator.ns.jobs() == [] and emulator.ns.deliveries() == []
    assert len(other.jobs()) == 1, "nothing reached the control API: the bystander's job is still there"


def test_reaching_the_emulator_itself_can_be_allowed(start_emulator):
    emulator = start_emulator(allow_self=True, max_attempts=1)
    answer = emulator.http.post(CLIP, json={"prompt": "x", "callback_url": f"{emulator.url}/_emulator/health"})
    assert answer.status_code == 200
    (attempt,) = emulator.attempts_until(1)
    assert attempt["status"] == 405, "it was delivered to the emulator's own (GET-only) health route"


def test_duplicate_delivery_fault(start_emulator, receiver):
    emulator = start_emulator()
    emulator.clip(receiver.url, prefer="callback=duplicate")
    first, second = receiver.wait_for(2)
    assert first.body == second.body and first.delivery_id == second.delivery_id
    assert [a["duplicate"] for a in emulator.attempts_until(2)] == [False, True]


def test_delayed_delivery_fault(start_emulator, receiver):
    emulator = start_emulator()
    emulator.ns.clock.freeze()
    emulator.clip(receiver.url, prefer="callback-delay=15")
    time.sleep(0.2)
    assert receiver.deliveries == []
    emulator.ns.clock.advance(15)
    assert receiver.wait_for(1)[0].json["status"] == "done"


def test_out_of_order_fault_lets_a_later_job_arrive_first(start_emulator, receiver):
    emulator = start_emulator()
    early = emulator.clip(receiver.url, prompt="first", prefer="callback=out-of-order")
    time.sleep(0.2)
    assert receiver.deliveries == [], "held until a later job's callback went out"
    late = emulator.clip(receiver.url, prompt="second")
    deliveries = receiver.wait_for(2)
    assert [d.json["job_id"] for d in deliveries] == [late["id"], early["id"]]


def test_faults_come_from_overrides_too(start_emulator, receiver):
    emulator = start_emulator()
    emulator.ns.override_next(callback={"duplicate": True})
    emulator.clip(receiver.url)
    assert len(receiver.wait_for(2)) == 2
    job = emulator.ns.jobs()[0]
    assert job["outcome"]["callback"] == {"duplicate": True, "delay_seconds": 0.0, "out_of_order": False}


def test_faults_come_from_fixture_rules_too(receiver, tmp_path):
    for source in default_fixtures_dir().glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "zz-webhooks.yaml").write_text(
        "clip_rules:\n"
        "  - name: flaky-webhooks\n"
        "    match: {prompt_contains: webhook drill}\n"
        "    outcome: done\n"
        "    callback: {duplicate: true, delay_seconds: 5}\n"
    )
    recorder = ContractRecorder(create_app(Settings(fixtures_dir=tmp_path, callbacks=CallbackPolicy(secret=SECRET))))
    with ServerThread(recorder) as server:
        emulator = Emulator(server)
        emulator.ns.clock.freeze()
        emulator.clip(receiver.url, prompt="the webhook drill")
        time.sleep(0.2)
        assert receiver.deliveries == [], "delayed 5 s on the key's clock"
        emulator.ns.clock.advance(5)
        first, second = receiver.wait_for(2)
        assert first.body == second.body and first.verified(SECRET)
        assert emulator.ns.jobs()[0]["outcome"]["source"] == "flaky-webhooks"
        emulator.http.close()
    assert_conforms(recorder)


def test_failed_jobs_call_back_too(start_emulator, receiver):
    emulator = start_emulator()
    answer = emulator.http.post("/video/m-9b4e6a03/clip", json={"prompt": "x", "callback_url": receiver.url})
    delivery = receiver.wait_for(1)[0]
    assert delivery.json["status"] == "failed" and delivery.json["success"] is False
    assert delivery.json["job_id"] == answer.json()["data"]["id"]


def test_a_flood_of_callbacks_stays_bounded(start_emulator, receiver):
    emulator = start_emulator(max_pending=3)
    emulator.ns.clock.freeze()
    emulator.ns.override_next(10, seconds=100)
    for i in range(6):
        emulator.clip(receiver.url, prompt=f"flood {i}")
    dropped = [a for a in emulator.ns.deliveries() if a["error"] and a["error"].startswith("dropped")]
    assert len(dropped) == 3
    emulator.ns.clock.advance(100)
    assert len(receiver.wait_for(3)) == 3
    time.sleep(0.2)
    assert len(receiver.deliveries) == 3


def test_resetting_a_key_cancels_its_pending_callbacks(start_emulator, receiver):
    emulator = start_emulator()
    emulator.ns.clock.freeze()
    emulator.clip(receiver.url, prefer="seconds=5")
    emulator.ns.reset()
    emulator.ns.clock.advance(5)
    time.sleep(0.3)
    assert receiver.deliveries == []


def test_a_reset_stops_an_attempt_on_the_wire(receiver):
    receiver.hang_next()
    recorder = ContractRecorder(create_app(Settings(callbacks=CallbackPolicy(secret=SECRET, timeout_seconds=60))))
    dispatcher = recorder.app.state.dispatcher
    with ServerThread(recorder) as server:
        emulator = Emulator(server)
        emulator.clip(receiver.url)
        deadline = time.monotonic() + 10
        while dispatcher._in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert dispatcher._in_flight == 1, "the attempt is waiting on the hanging receiver"
        emulator.ns.reset()
        deadline = time.monotonic() + 10
        while dispatcher._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert dispatcher._in_flight == 0, "cancelled by the reset, not left to its 60 s timeout"
        assert emulator.ns.deliveries() == []
        emulator.http.close()
    assert_conforms(recorder)


def _dripping_receiver() -> tuple[socket.socket, str, threading.Event]:
    """A receiver that answers one byte at a time, forever: each byte restarts a read timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"x" * 100_000:
                if done.wait(0.1):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    return listener, "http://127.0.0.1:{}/drip".format(listener.getsockname()[1]), done


def test_the_callback_timeout_is_a_deadline_for_the_whole_attempt(start_emulator):
    listener, url, done = _dripping_receiver()
    try:
        emulator = start_emulator(timeout_seconds=1, max_attempts=1)
        emulator.clip(url)
        (attempt,) = emulator.attempts_until(1, timeout=15)
        assert attempt["error"] == "timeout after 1s" and attempt["status"] is None
    finally:
        done.set()
        listener.close()


def test_waiting_callbacks_cost_nothing_while_idle(receiver):
    """A hundred callbacks waiting on a frozen clock: the dispatcher sleeps until the clock moves."""
    recorder = ContractRecorder(create_app(Settings(callbacks=CallbackPolicy(secret=SECRET))))
    dispatcher = recorder.app.state.dispatcher
    ticks = 0
    tick = dispatcher._tick

    def counted() -> None:
        nonlocal ticks
        ticks += 1
        tick()

    dispatcher._tick = counted
    with ServerThread(recorder) as server:
        emulator = Emulator(server)
        emulator.ns.clock.freeze()
        for _ in range(100):
            emulator.clip(receiver.url, prefer="seconds=30")
        time.sleep(0.2)
        before = ticks
        time.sleep(0.8)
        assert ticks - before <= 2, f"{ticks - before} wake-ups in 0.8 s with nothing due"
        emulator.ns.clock.advance(30)
        # Every first attempt goes out (the receiver's small backlog may refuse some; their retries wait on the frozen clock).
        assert len(emulator.attempts_until(100)) >= 100, "moving the clock through the control API wakes it at once"
        emulator.http.close()
    assert_conforms(recorder)


def test_the_callback_body_follows_the_contract(start_emulator, receiver):
    """openapi.yaml declares the callback (components.schemas.JobCallback); the delivery matches it."""
    import yaml
    from openapi_schema_validator import OAS30Validator

    from .contract import SPEC_PATH

    document = yaml.safe_load(SPEC_PATH.read_text())
    schema = {**document["components"]["schemas"]["JobCallback"], "components": document["components"]}
    validator = OAS30Validator(schema)
    emulator = start_emulator()
    emulator.clip(receiver.url)
    emulator.http.post("/video/m-9b4e6a03/clip", json={"prompt": "x", "callback_url": receiver.url})
    for delivery in receiver.wait_for(2):
        validator.validate(delivery.json)
    assert not validator.is_valid({"success": True, "status": "done", "data": {"results": []}}), "job_id is required"
