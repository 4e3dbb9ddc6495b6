"""What the unmodified Node SDK (npm videodb 0.2.0) does with each fault, pinned: the Node column of
the README's table of faults. The same table as test_faults_sdk.py (the Python SDK), set through the
control API on the journey's first call, ``conn.getCollection()``; found by running the SDK.

Node 0.2.0 never retries: every fault costs exactly one call and surfaces at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import Control
from mockserver.app import Settings, create_app
from mockserver.control import NamespaceControl
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms
from .node_sdk import node_sdk, run_node

__all__ = ["node_sdk"]  # the session fixture, imported so that pytest finds it here

KEY = "sk-node-faults"
SCRIPT = "clip_journey.mjs"
pytestmark = pytest.mark.usefixtures("node_sdk")
# How Node words a lost connection: axios's own message, under VideodbError("Request failed").
HANG_UP, RESET = "socket hang up", "read ECONNRESET"


@pytest.fixture
def server() -> Iterator[tuple[ServerThread, NamespaceControl]]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as thread:
        yield thread, Control(thread.url).namespace(KEY)
    assert_conforms(recorder)


def _collection(thread: ServerThread) -> dict[str, Any]:
    return run_node(SCRIPT, thread.url, KEY, "collection")


def _calls(namespace: NamespaceControl, prefix: str = "/collection") -> list[dict[str, Any]]:
    return [entry for entry in namespace.journal() if entry["path"].startswith(prefix)]


@pytest.mark.parametrize(
    ("fault", "error", "status", "cause"),
    [
        ({"code": 503}, "InvalidRequestError", 503, "status 503"),  # not retried (Python retries once)
        ({"code": 502}, "InvalidRequestError", 502, "status 502"),
        ({"code": 504}, "InvalidRequestError", 504, "status 504"),
        ({"code": 503, "times": 2}, "InvalidRequestError", 503, "status 503"),
        ({"code": 429}, "InvalidRequestError", 429, "status 429"),
        ({"code": 500}, "InvalidRequestError", 500, "status 500"),
        ({"code": 404}, "InvalidRequestError", 404, "status 404"),
        ({"code": 401}, "AuthenticationError", None, "Invalid API Key"),  # the server's message is dropped
        ({"drop": "close"}, "VideodbError", None, HANG_UP),  # a lost connection is not retried either
        ({"drop": "reset"}, "VideodbError", None, RESET),
        ({"drop": "close", "times": 2}, "VideodbError", None, HANG_UP),
        # A cut body comes as an InvalidRequestError of the 200 that was cut: "Error 200: OK".
        ({"drop": "truncate"}, "InvalidRequestError", 200, "stream has been aborted"),
    ],
    ids=str,
)
def test_what_the_node_sdk_does_with_a_fault(server, fault, error, status, cause):
    thread, namespace = server
    namespace.add_fault(**fault, path="/collection")
    answer = _collection(thread)
    assert "result" not in answer, "the fault reached the caller as a success"
    assert answer["error"]["name"] == error and answer["error"]["status"] == status
    assert cause in answer["error"]["cause"]
    made = _calls(namespace)
    assert len(made) == 1, "Node 0.2.0 retries nothing"
    assert made[0]["fault"] is not None and made[0]["status"] == fault.get("code", 200)
    remaining = [f["remaining"] for f in namespace.faults()]
    assert remaining == ([fault["times"] - 1] if fault.get("times", 1) > 1 else [])


def test_after_a_fault_is_used_up_the_same_call_succeeds(server):
    thread, namespace = server
    namespace.add_fault(code=503, path="/collection")
    assert _collection(thread)["error"]["status"] == 503
    assert _collection(thread)["result"]["id"] == "c-product-videos", "the caller's own retry is served"
    assert [entry["status"] for entry in _calls(namespace)] == [503, 200]


def test_the_node_sdk_ignores_retry_after(server):
    thread, namespace = server
    namespace.add_fault(code=503, retry_after=5, path="/collection")
    answer = _collection(thread)
    assert answer["error"]["name"] == "InvalidRequestError" and answer["error"]["status"] == 503
    assert answer["elapsed_ms"] < 3000, "Node waited for Retry-After"
    assert len(_calls(namespace)) == 1


def test_a_delay_is_waited_out(server):
    thread, namespace = server
    namespace.add_fault(delay=1, path="/collection")
    answer = _collection(thread)
    assert answer["result"]["id"] == "c-product-videos"
    assert answer["elapsed_ms"] >= 1000 and len(_calls(namespace)) == 1


def test_faults_match_method_and_path_and_are_used_up(server):
    thread, namespace = server
    namespace.add_fault(code=429, times=2, method="POST", path="/clip")
    answer = run_node(SCRIPT, thread.url, KEY, "clip", "m-7a3f21c4", "demo")  # its GETs pass untouched
    assert answer["error"]["name"] == "InvalidRequestError" and answer["error"]["status"] == 429
    assert [f["remaining"] for f in namespace.faults()] == [1]
    namespace.reset()
    assert namespace.faults() == [], "a reset clears a key's faults"
    assert run_node(SCRIPT, thread.url, KEY, "clip", "m-7a3f21c4", "demo")["result"]["shots"]


@pytest.mark.parametrize("poll_code", [503, 500, 404])
def test_what_the_node_sdk_does_with_a_poll_fault(server, poll_code):
    """Node reads a poll's HTTP status (Python does not): any error status ends the clip at once."""
    thread, namespace = server
    namespace.override_next(poll_code=poll_code)
    answer = run_node(SCRIPT, thread.url, KEY, "clip", "m-7a3f21c4", "demo")
    assert answer["error"]["name"] == "InvalidRequestError" and answer["error"]["status"] == poll_code
    assert "poll of job" in answer["error"]["cause"]
    polls = _calls(namespace, "/async-response")
    assert [(p["status"], p["fault"]) for p in polls] == [(poll_code, f"poll-code={poll_code}")]
