"""The unmodified Node SDK (npm videodb 0.2.0) walks the app journeys beyond clip against a real server.

The Python journeys (test_sdk_app_journeys.py) told in Node: upload by URL and by file, index and
search (semantic, keyword, scene), transcripts, collection search, thumbnail and delete; another key
sees none of it. Each test runs tests/node/app_journeys.mjs; the contract oracle of ``live_server``
checks every answer the server gave.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import Control

from .conftest import KEY
from .node_sdk import error_of as _error, node_sdk, result_of as _result, run_node
# The result/error of a whole journey or of one attempt() step (the same shape), as the clip tests read them.

__all__ = ["node_sdk"]  # the session fixture, imported so that pytest finds it here

SCRIPT = "app_journeys.mjs"
FOOTBALL = "m-5d10f7e2"  # 188 s of commentated highlights: goals, a penalty, a red card, corners
FOOTBALL_URL = "https://media.example.com/harbor-city-vs-northvale.mp4"  # its upload copies FOOTBALL
FOOTBALL_LENGTH = 188.0
FAILING_VIDEO = "m-9b4e6a03"  # the damaged recording: indexing it always fails
FIXTURE_VIDEOS = ["m-7a3f21c4", "m-2c9e84b1", FOOTBALL, FAILING_VIDEO]
OTHER_KEY = "sk-test-other-key"
pytestmark = pytest.mark.usefixtures("node_sdk")


def _run(server: Any, *args: str, key: str = KEY) -> dict[str, Any]:
    return run_node(SCRIPT, server.url, key, *args)


def _upload_football(server: Any, name: str = "Derby highlights") -> dict[str, Any]:
    return _result(_run(server, "upload-url", FOOTBALL_URL, name))


def _calls(server: Any, method: str, path: str) -> list[dict[str, Any]]:
    return Control(server.url).namespace(KEY).journal(method=method, path=path)


def _assert_shots_inside(shots: list[dict[str, Any]], video_id: str) -> None:
    """Every shot is of the 188 s football video (or its copy), within its length."""
    assert shots, f"no shots in {video_id}"
    for shot in shots:
        assert shot["video_id"] == video_id and shot["video_length"] == pytest.approx(FOOTBALL_LENGTH)
        assert 0 <= shot["start"] < shot["end"] <= FOOTBALL_LENGTH


def _assert_plays_on(server: Any, found: dict[str, Any]) -> None:
    """compile() and the first shot's generateStream() both give a URL on this server."""
    base = server.url + "/"
    compiled, shot_stream = _result(found["compiled"]), _result(found["shot_stream"])
    assert compiled["stream_url"].startswith(base) and compiled["player_url"].startswith(base)
    assert shot_stream["stream_url"].startswith(base) and shot_stream["stream_url"] != compiled["stream_url"]


def test_an_upload_by_url_is_a_listed_copy_of_the_football_video(live_server):
    walk = _upload_football(live_server)
    video = walk["media"]
    assert video["class"] == "Video" and video["id"].startswith("m-") and video["id"] != FOOTBALL
    assert video["name"] == "Derby highlights" and video["collectionId"] == "c-product-videos"
    assert video["length"] == pytest.approx(FOOTBALL_LENGTH)
    assert walk["listed"] and walk["video_ids"] == [*FIXTURE_VIDEOS, video["id"]]
    # Node answers generateStream() from the upload's own stream_url: it must be on this server.
    assert _result(walk["stream"]) == video["streamUrl"] and video["streamUrl"].startswith(live_server.url + "/")
    shots = _result(walk["clip"])
    assert shots and all(shot["video_id"] == video["id"] for shot in shots), "a clip of the upload is made of the upload"
    assert any("goal" in shot["text"].lower() or "penalt" in shot["text"].lower() for shot in shots)


def test_an_upload_by_file_goes_through_the_upload_url_and_is_named_after_the_file(live_server):
    walk = _result(_run(live_server, "upload-file", "holiday-reel.mp4", "4096"))
    video = walk["media"]
    assert video["class"] == "Video" and video["id"].startswith("m-") and walk["listed"]
    assert video["name"] == "holiday-reel", "Node sends no name: the server names it after the file"
    journal = Control(live_server.url).namespace(KEY).journal()
    steps = [(entry["method"], entry["path"]) for entry in journal]
    # The slot, the multipart POST to it, then the upload by the slot's URL.
    assert steps[:2] == [("GET", "/collection/default"), ("GET", "/collection/c-product-videos/upload_url")]
    assert steps[2][0] == "POST" and steps[2][1].startswith("/upload-target/")
    assert steps[3] == ("POST", "/collection/c-product-videos/upload")
    assert journal[3]["body"]["url"].endswith(steps[2][1]) and journal[2]["status"] == 200


def test_a_corrupt_upload_raises_videodb_error_with_the_fixture_message(live_server):
    error = _error(_run(live_server, "upload-url", "https://media.example.com/corrupt-file.mp4"))
    # The upload job fails on its poll (200, success false): Node's VideodbError, not InvalidRequestError.
    assert error["name"] == "VideodbError"
    assert "Upload failed: the file at this URL could not be decoded" in error["message"]
    assert _result(_run(live_server, "videos"))["video_ids"] == FIXTURE_VIDEOS


def test_search_fails_before_the_index_then_finds_the_spoken_words(live_server):
    video_id = _upload_football(live_server)["media"]["id"]
    walk = _result(_run(live_server, "spoken-search", "penalty", "corner", video_id))
    before = _error(walk["search_before_index"])
    assert before["name"] == "InvalidRequestError" and before["status"] == 400
    assert "index_spoken_words()" in before["cause"] and video_id in before["cause"]
    assert walk["indexed"] == {"success": True}

    semantic = _result(walk["semantic"])
    _assert_shots_inside(semantic["shots"], video_id)
    assert semantic["video_ids"] == [video_id]
    assert any("penalty" in shot["text"].lower() for shot in semantic["shots"])
    _assert_plays_on(live_server, semantic)

    keyword = _result(walk["keyword"])
    _assert_shots_inside(keyword["shots"], video_id)
    assert all("corner" in shot["text"].lower() for shot in keyword["shots"])
    [index] = _calls(live_server, "POST", f"/video/{video_id}/index")
    assert index["body"] == {"index_type": "spoken_word"}


def test_indexing_the_damaged_recording_raises_videodb_error_with_the_fixture_message(live_server):
    error = _error(_run(live_server, "spoken-search", "penalty", "corner", FAILING_VIDEO))
    assert error["name"] == "VideodbError"
    assert "Indexing failed: the audio track of m-9b4e6a03 could not be decoded" in error["message"]


def test_scene_index_is_listed_its_records_lie_inside_the_video_and_scene_search_finds_shots(live_server):
    walk = _result(_run(live_server, "scene-search", "crowd"))
    scene_index_id = walk["scene_index_id"]
    assert scene_index_id
    # Node camel-cases the server's snake_case keys on the way in.
    assert [(i["sceneIndexId"], i["status"]) for i in walk["scene_indexes"]] == [(scene_index_id, "done")]
    records = walk["records"]
    assert records and all(0 <= r["start"] < r["end"] <= FOOTBALL_LENGTH and r["description"] for r in records)
    assert [r["start"] for r in records] == sorted(r["start"] for r in records)

    found = _result(walk["search"])
    _assert_shots_inside(found["shots"], FOOTBALL)
    assert any("crowd" in shot["text"].lower() for shot in found["shots"])
    _assert_plays_on(live_server, found)
    [search] = _calls(live_server, "POST", f"/video/{FOOTBALL}/search")
    assert (search["body"]["search_type"], search["body"]["index_type"]) == ("scene", "scene")


def test_transcript_words_text_a_span_of_it_and_a_generated_one(live_server):
    walk = _result(_run(live_server, "transcript", FOOTBALL, "0", "10"))
    transcript = walk["transcript"]
    assert set(transcript["keys"]) == {"wordTimestamps", "text"}
    assert transcript["words"] > 100
    first = transcript["first_word"]
    assert first["start"] == 0 < first["end"] and first["text"]
    assert "penalty" in transcript["text"].lower() and "red card" in transcript["text"].lower()
    assert walk["text"] == transcript["text"]
    assert walk["text_between"] and walk["text_between"] in transcript["text"]
    assert len(walk["text_between"]) < len(transcript["text"])
    # Node says this only when the finished job's answer carried a non-empty word_timestamps list.
    assert walk["generated"] == {"success": True, "message": "Transcript generated successfully"}
    assert len(_calls(live_server, "POST", f"/video/{FOOTBALL}/transcription")) == 1


def test_collection_search_finds_the_indexed_video_only(live_server):
    walk = _result(_run(live_server, "collection-search", "goal", FOOTBALL))
    before = _error(walk["search_before_index"])
    assert before["name"] == "InvalidRequestError" and before["status"] == 400
    assert "index_spoken_words()" in before["cause"]

    found = _result(walk["semantic"])
    assert found["video_ids"] == [FOOTBALL] and found["collection_id"] == "c-product-videos"
    _assert_shots_inside(found["shots"], FOOTBALL)
    assert all("goal" in shot["text"].lower() for shot in found["shots"])
    _assert_plays_on(live_server, found)
    # Node refuses a keyword search over a collection itself: a plain Error, and no request made.
    refused = walk["keyword"]["error"]
    assert (refused["name"], refused["sdk_error"]) == ("Error", False)
    assert refused["message"] == "Keyword search is not supported for Collection"
    assert len(_calls(live_server, "POST", "/collection/c-product-videos/search")) == 2


def test_generate_thumbnail_gets_a_url_on_the_server_once(live_server):
    walk = _result(_run(live_server, "thumbnail", FOOTBALL))
    # The video answer's thumbnail_url is not kept by Node's Video, so the first call asks the server.
    assert walk["thumbnail_before"] is None
    assert walk["thumbnail_url"].startswith(live_server.url + "/") and walk["again"] == walk["thumbnail_url"]
    [call] = _calls(live_server, "GET", f"/video/{FOOTBALL}/thumbnail")
    assert call["status"] == 200, "the second call is answered from Node's own copy"


def test_a_deleted_video_is_gone_for_this_key_only(live_server):
    gone = "m-2c9e84b1"
    walk = _result(_run(live_server, "delete", gone))
    assert walk["deleted"]["success"] is True
    after = _error(walk["get_after"])
    assert after["name"] == "InvalidRequestError" and after["status"] == 404 and gone in after["cause"]
    assert not walk["listed_after"] and walk["video_ids"] == [v for v in FIXTURE_VIDEOS if v != gone]
    again = _error(walk["delete_again"])
    assert again["name"] == "InvalidRequestError" and again["status"] == 404

    other = _result(_run(live_server, "videos", gone, key=OTHER_KEY))
    assert other["video_ids"] == FIXTURE_VIDEOS and _result(other["fetched"][gone])["id"] == gone


def test_another_key_sees_none_of_the_first_keys_uploads_or_indexes(live_server):
    video_id = _upload_football(live_server)["media"]["id"]
    _result(_run(live_server, "spoken-search", "penalty", "corner", FOOTBALL))

    other = _result(_run(live_server, "videos", video_id, key=OTHER_KEY))
    assert other["video_ids"] == FIXTURE_VIDEOS
    missing = _error(other["fetched"][video_id])
    assert missing["name"] == "InvalidRequestError" and missing["status"] == 404
    # The first key's spoken index of the football video is its own: the other key must index it too.
    unindexed = _result(_run(live_server, "spoken-search", "penalty", "corner", FOOTBALL, key=OTHER_KEY))
    assert "index_spoken_words()" in _error(unindexed["search_before_index"])["cause"]
