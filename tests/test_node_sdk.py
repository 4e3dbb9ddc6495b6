"""The unmodified Node SDK (npm videodb 0.2.0) walks the clip journey against a real server.

The Python journey (test_sdk_journey.py) told in Node: each test runs tests/node/clip_journey.mjs
and asserts on the JSON it printed. The contract oracle of ``live_server`` checks every answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import Control

from .conftest import KEY
from .node_sdk import error_of as _error, node_sdk, result_of as _result, run_node

__all__ = ["node_sdk"]  # the session fixture, imported so that pytest finds it here

SCRIPT = "clip_journey.mjs"
FAILING_VIDEO = "m-9b4e6a03"  # the default fixtures' damaged recording: its clips always fail
pytestmark = pytest.mark.usefixtures("node_sdk")


def _node(server: Any, *args: str, key: str = KEY) -> dict[str, Any]:
    return run_node(SCRIPT, server.url, key, *args)


def test_the_whole_journey_from_collection_to_a_shot_stream(live_server):
    answer = _node(live_server, "journey", "show every goal and the penalty")
    walk = _result(answer)
    assert walk["collection"]["id"] == "c-product-videos"
    videos = walk["videos"]
    assert len(videos) == 4 and all(v["collection_id"] == "c-product-videos" for v in videos)
    video = walk["video"]
    assert video["id"] == "m-5d10f7e2" and isinstance(video["length"], (int, float)) and video["length"] > 0

    clip = walk["clip"]
    assert clip["collection_id"] == "c-product-videos"
    assert clip["shots"], "a clip of a football match asked for goals has shots"
    for shot in clip["shots"]:
        assert shot["video_id"] == video["id"] and shot["video_length"] == pytest.approx(video["length"])
        assert 0 <= shot["start"] < shot["end"] <= video["length"]
        assert "goal" in shot["text"].lower() or "penalt" in shot["text"].lower()

    base = live_server.url + "/"
    assert clip["stream_url"].startswith(base) and clip["player_url"].startswith(base)
    assert "/watch?v=" in clip["player_url"]
    stream = walk["shot_stream"]
    assert stream["stream_url"].startswith(base) and stream["stream_url"] != clip["stream_url"]
    # The default job is done on its first poll, so Node's 5 s poll interval never comes into play.
    assert answer["elapsed_ms"] < 4000


def test_the_journey_sends_what_node_sends(live_server):
    _result(_node(live_server, "journey"))
    journal = Control(live_server.url).namespace(KEY).journal()
    steps = [(entry["method"], entry["path"]) for entry in journal]
    assert steps == [
        ("GET", "/collection/default"),
        ("GET", "/video"),
        ("GET", "/video/m-5d10f7e2"),
        ("POST", "/video/m-5d10f7e2/clip"),
        ("GET", steps[4][1]),  # the job's output_url, polled once
        ("POST", "/compile"),
        ("POST", "/video/m-5d10f7e2/stream"),  # Node 0.2.0 never reuses a doc's stream_url
    ]
    assert steps[4][1].startswith("/async-response/")
    assert all(entry["headers"]["x-videodb-client"] == "videodb-node/0.2.0" for entry in journal)
    # Node drops the keys its caller left out: the server's defaults must apply.
    assert journal[3]["body"] == {"prompt": "show every goal and the penalty"}
    assert all(entry["status"] == 200 for entry in journal)


def test_a_bad_key_raises_authentication_error(live_server):
    error = _error(_node(live_server, "collection", key="not-a-key"))
    # Node drops the server's message on a 401 and says only this.
    assert error["name"] == "AuthenticationError" and error["cause"] == "Invalid API Key"


def test_an_unknown_video_raises_invalid_request(live_server):
    error = _error(_node(live_server, "video", "m-does-not-exist"))
    assert error["name"] == "InvalidRequestError" and error["status"] == 404
    assert "m-does-not-exist" in error["cause"]


def test_clipping_an_unknown_video_raises_invalid_request(live_server):
    error = _error(_node(live_server, "clip", "m-gone", "anything", "--unlisted"))
    assert error["name"] == "InvalidRequestError" and error["status"] == 404 and "m-gone" in error["cause"]


def test_a_failed_job_raises_videodb_error_with_the_fixture_message(live_server):
    error = _error(_node(live_server, "clip", FAILING_VIDEO, "the revenue numbers"))
    # A failed poll answer is a 200 with success false: Node's VideodbError, not InvalidRequestError.
    assert error["name"] == "VideodbError"
    assert "source media of m-9b4e6a03 could not be decoded" in error["message"]


def test_clipping_every_listed_video_meets_one_failed_job(live_server):
    outcomes = _result(_node(live_server, "clip-all", "the most important moment"))
    failed = [vid for vid, outcome in outcomes.items() if isinstance(outcome, dict)]
    assert failed == [FAILING_VIDEO] and outcomes[FAILING_VIDEO]["name"] == "VideodbError"
    assert all(isinstance(n, int) and n > 0 for vid, n in outcomes.items() if vid != FAILING_VIDEO)


def test_node_sleeps_its_five_seconds_on_a_processing_answer(live_server):
    """One processing answer costs a Node caller its fixed 5 s interval, then the next poll is done."""
    namespace = Control(live_server.url).namespace(KEY)
    namespace.override_next(polls=1)
    answer = _node(live_server, "clip", "m-7a3f21c4", "pricing")
    assert _result(answer)["shots"]
    polls = [entry for entry in namespace.journal() if entry["path"].startswith("/async-response/")]
    assert len(polls) == 2
    assert 4.5 <= polls[1]["time"] - polls[0]["time"] < 8.0
