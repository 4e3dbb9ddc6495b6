"""Answers that break the unmodified SDKs, and the contract rules that exclude them.

Each case is the smallest answer found that breaks an SDK: given unchecked, the SDK breaks as
described (an SDK issue, listed in the README); given checked, the emulator refuses it, naming the
rule, so neither the emulator nor a deployment ``conform`` passes can send it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import videodb

from mockserver.app import Settings, create_app
from mockserver.control import Control, ControlError, given_answer_body
from mockserver.server import ServerThread

from .contract import ContractRecorder, assert_conforms
from .node_sdk import NodeWorker, node_sdk

__all__ = ["node_sdk"]  # the session fixture, imported so that pytest finds it here

VIDEO = "m-given"
JOB = "job-given"


def journey(url: str) -> dict[str, dict[str, Any]]:
    """A small clip journey every SDK walks: one result, one shot."""
    shot = {"start": 1.0, "end": 2.5, "text": "a goal", "score": 0.9}
    return {
        "getDefaultCollection": {"success": True, "data": {"id": "c-given", "name": "given", "is_public": False}},
        "getVideo": {"success": True, "data": {"id": VIDEO, "collection_id": "c-given", "length": 10}},
        "createClip": {"success": True, "status": "processing", "data": {"id": JOB, "output_url": f"{url}/async-response/{JOB}"}},
        "getAsyncResponse": {
            "success": True,
            "status": "done",
            "data": {"results": [{"collection_id": "c-given", "video_id": VIDEO, "title": "given", "length": 10, "docs": [shot]}]},
        },
        "compileShots": {"success": True, "data": {"stream_url": f"{url}/compiled.m3u8", "player_url": f"{url}/watch?v=compiled"}},
        "generateStream": {"success": True, "data": {"stream_url": f"{url}/shot.m3u8", "player_url": f"{url}/watch?v=shot"}},
    }


def _video_self(answers: dict[str, Any]) -> str:
    answers["getVideo"]["data"]["self"] = 1
    return "getVideo"


def _clip_connection(answers: dict[str, Any]) -> str:
    answers["getAsyncResponse"]["data"]["_connection"] = None
    return "getAsyncResponse"


def _poll_response(answers: dict[str, Any]) -> str:
    answers["getAsyncResponse"]["response"] = "done"
    return "getAsyncResponse"


def _shot_stream_without_player(answers: dict[str, Any]) -> str:
    answers["getAsyncResponse"]["data"]["results"][0]["docs"][0]["stream_url"] = "http://example.test/shot.m3u8"
    return "getAsyncResponse"


def _warnings_not_a_list(answers: dict[str, Any]) -> str:
    answers["getAsyncResponse"]["data"]["warnings"] = 5
    return "getAsyncResponse"


def _upper_case_results(answers: dict[str, Any]) -> str:
    answers["getAsyncResponse"]["data"]["RESULTS"] = []
    return "getAsyncResponse"


def _huge_shot_end(answers: dict[str, Any]) -> str:
    result = answers["getAsyncResponse"]["data"]["results"][0]
    result["length"] = 2**53 + 2
    result["docs"][0]["end"] = 2**53 + 1
    return "getAsyncResponse"


Mutation = Callable[[dict[str, Any]], str]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Control]]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as server, Control(server.url) as control:
        yield server.url, control
    assert_conforms(recorder)  # the unchecked answers are excused; everything else is judged


def _give(control: Control, key: str, answers: dict[str, Any], check: bool) -> None:
    control.namespace(key).give_answers([given_answer_body(op, body) for op, body in answers.items()], check=check)


def python_walk(url: str, key: str) -> str:
    video = videodb.connect(api_key=key, base_url=url).get_collection().get_video(VIDEO)
    result = video.clip("goals", "spoken", "basic")
    result.compile()
    return result.shots[0].get_embed_code()


PYTHON_BREAKS = [
    pytest.param(_video_self, TypeError, "multiple values for argument 'self'", "self", id="video-self"),
    pytest.param(_clip_connection, TypeError, "multiple values for argument '_connection'", "snake_case", id="clip-_connection"),
    pytest.param(_poll_response, AttributeError, "'str' object has no attribute 'get'", "response", id="poll-response"),
    pytest.param(_shot_stream_without_player, ValueError, "player_url", "player_url", id="shot-stream-without-player"),
    pytest.param(_warnings_not_a_list, TypeError, "not iterable", "warnings", id="warnings-not-a-list"),
]


@pytest.mark.parametrize(("mutate", "error", "says", "refusal"), PYTHON_BREAKS)
def test_an_answer_that_breaks_python_is_outside_the_contract(served, mutate: Mutation, error: type, says: str, refusal: str) -> None:
    url, control = served
    answers = journey(url)
    python_walk_ok = _walk_fresh(url, control, answers, "sk-breaks-ok")
    assert python_walk_ok.startswith("<iframe")  # the journey itself is fine
    broken = copy.deepcopy(answers)
    operation = mutate(broken)
    with pytest.raises(ControlError) as refused:
        _give(control, "sk-breaks-checked", {operation: broken[operation]}, check=True)
    assert refused.value.status == 400 and refusal in str(refused.value)
    _give(control, "sk-breaks-unchecked", broken, check=False)
    with pytest.raises(error, match=says):
        python_walk(url, "sk-breaks-unchecked")
    control.namespace("sk-breaks-unchecked").reset()


def _walk_fresh(url: str, control: Control, answers: dict[str, Any], key: str) -> str:
    _give(control, key, answers, check=True)
    try:
        return python_walk(url, key)
    finally:
        control.namespace(key).reset()


@pytest.fixture(scope="module")
def node_worker(node_sdk: str) -> Iterator[NodeWorker]:
    worker = NodeWorker(node_sdk, "answers_worker.mjs")
    yield worker
    worker.close()


def test_an_upper_case_twin_key_empties_a_clip_in_node(served, node_worker: NodeWorker) -> None:
    url, control = served
    answers = journey(url)
    _give(control, "sk-node-ok", answers, check=True)
    walked = node_worker.ask({"base_url": url, "api_key": "sk-node-ok", "video_id": VIDEO})
    assert len(walked["result"]["shots"]) == 1
    operation = _upper_case_results(answers)
    with pytest.raises(ControlError, match="snake_case"):
        _give(control, "sk-node-checked", {operation: answers[operation]}, check=True)
    _give(control, "sk-node-twin", answers, check=False)
    walked = node_worker.ask({"base_url": url, "api_key": "sk-node-twin", "video_id": VIDEO})
    assert walked["result"]["shots"] == []  # the later `RESULTS` replaced `results`: the shot is gone


def test_a_shot_beyond_two_to_the_53_comes_back_rounded_from_node(served, node_worker: NodeWorker) -> None:
    url, control = served
    answers = journey(url)
    operation = _huge_shot_end(answers)
    with pytest.raises(ControlError, match="1000000"):
        _give(control, "sk-node-huge-checked", {operation: answers[operation]}, check=True)
    _give(control, "sk-node-huge", answers, check=False)
    walked = node_worker.ask({"base_url": url, "api_key": "sk-node-huge", "video_id": VIDEO})
    # JSON.parse rounds the end to 2**53, and the compile request the SDK builds from it is refused.
    assert walked["error"]["status"] == 400 and "shots[0][1]" in walked["error"]["cause"], walked
    (compiled,) = control.namespace("sk-node-huge").journal(method="POST", path="/compile")
    assert json.loads(compiled["body"])[0]["shots"] == [[1, 2**53]]  # 2**53 + 1 was given
