"""Both unmodified SDKs walk the clip journey over answers hypothesis draws from the contract: any
answer openapi.yaml and the job contract allow must be one the SDKs can use.

Each example gets a fresh key; its answers are given through the control API and served by a real
server (every one also checked by the tests' independent oracle). ``make fuzz-clients`` runs many
more examples than ``make test`` (MOCKSERVER_FUZZ_EXAMPLES), new ones on each run (MOCKSERVER_FUZZ_RANDOM).
"""

from __future__ import annotations

import itertools
import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import videodb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from videodb._constants import HttpClientDefaultValues
from videodb.exceptions import InvalidRequestError

from mockserver.app import Settings, create_app
from mockserver.control import Control
from mockserver.server import ServerThread
from mockserver.strategies import ClipJourney, clip_journey, trimmed_answers

from .contract import ContractRecorder, assert_conforms
from .node_sdk import NodeWorker, node_sdk

__all__ = ["node_sdk"]  # the session fixture, imported so that pytest finds it here

EXAMPLES = int(os.environ.get("MOCKSERVER_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # make test: the same examples on every run and machine; make fuzz-clients: new ones each run
    # (hypothesis prints the seed that reproduces a failure).
    derandomize=os.environ.get("MOCKSERVER_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_keys = itertools.count(1)


class Served:
    def __init__(self, url: str, control: Control, recorder: ContractRecorder) -> None:
        self.url, self.control, self.recorder = url, control, recorder

    def fresh_key(self) -> str:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"sk-fuzz-{worker}-{next(_keys)}"  # one key per example: examples never meet


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    recorder = ContractRecorder(create_app(Settings()))
    with ServerThread(recorder) as server, Control(server.url) as control:
        yield Served(server.url, control, recorder)
    assert_conforms(recorder)


@pytest.fixture(scope="module", autouse=True)
def no_poll_sleeps() -> Iterator[None]:
    """Python's SDK sleeps its poll interval (5 s) after each processing answer: none here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HttpClientDefaultValues, "poll_interval", 0)
        yield


def _served_answers(journey: ClipJourney) -> str:
    # schemathesis's pytest plugin hides hypothesis's falsifying example: show the answers ourselves.
    return "the answers served:\n" + "\n".join(f"  {a['operation']}: {json.dumps(a['body'])}" for a in journey.answers)


def _trimmed_to_the_crash(served: Served, journey: ClipJourney, crash: BaseException) -> str:
    """The journey's answers trimmed to what still makes the Python SDK raise the same error."""

    def fails(answers: list[dict[str, Any]]) -> bool:
        key = served.fresh_key()
        served.control.namespace(key).give_answers(answers)
        try:
            python_journey(served.url, key, answers[1]["body"]["data"]["id"])
        except type(crash):
            return True
        except Exception:
            return False
        finally:
            served.control.namespace(key).reset()
        return False

    small = trimmed_answers(journey.answers, fails)
    return "trimmed to what still raises it:\n" + "\n".join(f"  {a['operation']}: {json.dumps(a['body'])}" for a in small)


def _docs(journey: ClipJourney) -> list[dict[str, Any]]:
    terminal = journey.answer_of("getAsyncResponse")
    return [doc for result in terminal["data"]["results"] for doc in result["docs"]] if journey.outcome == "done" else []


def _stream_url(journey: ClipJourney, operation: str) -> str:
    return journey.answer_of(operation)["data"]["stream_url"]


def python_journey(url: str, key: str, video_id: str) -> dict[str, Any]:
    conn = videodb.connect(api_key=key, base_url=url)
    collection = conn.get_collection()
    video = collection.get_video(video_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shown once per code and process: what it keeps is checked instead
        result = video.clip("the given answers decide", "spoken", "basic")
    shots = result.get_shots()
    walked: dict[str, Any] = {
        "collection_id": collection.id,
        "video": (video.id, video.length),
        "shots": [(shot.video_id, shot.start, shot.end, shot.text) for shot in shots],
        "warnings": result.warnings,
    }
    if shots:
        walked["compiled"] = result.compile()
        walked["embed"] = result.get_embed_code()
        walked["shot_stream"] = shots[0].generate_stream()
        walked["shot_embed"] = shots[0].get_embed_code()
    return walked


@FUZZ
@given(data=st.data())
def test_the_python_sdk_walks_the_clip_journey_over_any_contract_answer(served: Served, data: st.DataObject) -> None:
    journey = data.draw(clip_journey(served.url, max_processing_polls=2), label="journey")
    key = served.fresh_key()
    namespace = served.control.namespace(key)
    namespace.give_answers(journey.answers)
    try:
        video = journey.answer_of("getVideo")["data"]
        if journey.outcome == "failed":
            with pytest.raises(InvalidRequestError) as raised:
                python_journey(served.url, key, video["id"])
            assert journey.answer_of("getAsyncResponse")["message"] in str(raised.value)
            return
        walked = python_journey(served.url, key, video["id"])
        assert walked["collection_id"] == journey.answer_of("getDefaultCollection")["data"]["id"]
        assert walked["video"] == (video["id"], float(video["length"]))
        docs = _docs(journey)
        assert [shot[1:] for shot in walked["shots"]] == [(doc["start"], doc["end"], doc["text"]) for doc in docs]
        assert walked["warnings"] == journey.answer_of("getAsyncResponse")["data"].get("warnings", [])
        if docs:
            assert walked["compiled"] == _stream_url(journey, "compileShots")
            assert walked["embed"].startswith("<iframe")
            own = docs[0].get("stream_link") or docs[0].get("stream_url")  # Python plays a shot's own stream
            assert walked["shot_stream"] == (own or _stream_url(journey, "generateStream"))
            assert walked["shot_embed"].startswith("<iframe")
    except BaseException as failure:
        print(_served_answers(journey))
        if not isinstance(failure, (AssertionError, pytest.fail.Exception)):  # the SDK itself crashed
            print(_trimmed_to_the_crash(served, journey, failure))
        raise
    finally:
        namespace.reset()


@pytest.fixture(scope="module")
def node_worker(node_sdk: str) -> Iterator[NodeWorker]:
    worker = NodeWorker(node_sdk, "answers_worker.mjs")
    yield worker
    worker.close()


@FUZZ
@given(data=st.data())
def test_the_node_sdk_walks_the_clip_journey_over_any_contract_answer(served: Served, node_worker: NodeWorker, data: st.DataObject) -> None:
    # Node sleeps a fixed 5 s after each processing answer, which cannot be changed from outside:
    # its journeys go from the job's creation straight to its end.
    journey = data.draw(clip_journey(served.url), label="journey")
    key = served.fresh_key()
    namespace = served.control.namespace(key)
    namespace.give_answers(journey.answers)
    try:
        video = journey.answer_of("getVideo")["data"]
        walked = node_worker.ask({"base_url": served.url, "api_key": key, "video_id": video["id"]})
        if journey.outcome == "failed":
            assert "error" in walked and walked["error"]["sdk_error"], walked
            assert journey.answer_of("getAsyncResponse")["message"] in (walked["error"]["cause"] or walked["error"]["message"])
            return
        assert "error" not in walked, walked
        walked = walked["result"]
        assert walked["collection_id"] == journey.answer_of("getDefaultCollection")["data"]["id"]
        assert walked["video"]["id"] == video["id"] and walked["video"]["collection_id"] == video["collection_id"]
        docs = _docs(journey)
        assert [(s["start"], s["end"], s["text"]) for s in walked["shots"]] == [(d["start"], d["end"], d["text"]) for d in docs]
        if docs:
            assert walked["compiled"] == _stream_url(journey, "compileShots")
            assert walked["shot_stream"] == _stream_url(journey, "generateStream")
    except BaseException:
        print(_served_answers(journey))
        raise
    finally:
        namespace.reset()
