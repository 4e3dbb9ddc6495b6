"""The unmodified Python SDK (videodb 0.5.1) walks the whole clip journey against a real server."""

from __future__ import annotations

import time

import pytest
import videodb
from videodb.exceptions import AuthenticationError, InvalidRequestError

from .conftest import KEY

FAILING_VIDEO = "m-9b4e6a03"  # the default fixtures' damaged recording: its clips always fail


@pytest.fixture
def conn(live_server):
    return videodb.connect(api_key=KEY, base_url=live_server.url)


def test_the_whole_journey_from_collection_to_embed_code(conn, live_server):
    started = time.perf_counter()
    collection = conn.get_collection()
    assert collection.id == "c-product-videos"

    videos = collection.get_videos()
    assert len(videos) == 4 and all(v.collection_id == collection.id for v in videos)
    video = collection.get_video("m-5d10f7e2")
    assert video.length == pytest.approx(201.0, abs=60)  # a real number, as the SDK needs

    result = video.clip("show every goal and the penalty", "spoken", "basic")
    assert result.shots, "a clip of a football match asked for goals has shots"
    for shot in result.shots:
        assert shot.video_id == video.id
        assert 0 <= shot.start < shot.end <= video.length
        assert "goal" in shot.text.lower() or "penalt" in shot.text.lower()
    assert result.collection_id == collection.id

    stream_url = result.compile()
    assert stream_url.startswith(live_server.url + "/")
    embed = result.get_embed_code()
    assert embed.startswith("<iframe") and "/embed?v=" in embed
    assert result.shots[0].generate_stream().startswith(live_server.url + "/")
    assert time.perf_counter() - started < 3, "the default lifecycle ends on the first poll: no 5 s sleeps"


def test_a_bad_key_raises_authentication_error(live_server):
    with pytest.raises(AuthenticationError, match="x-access-token"):
        videodb.connect(api_key="not-a-key", base_url=live_server.url).get_collection()


def test_an_unknown_video_raises_invalid_request(conn):
    with pytest.raises(InvalidRequestError, match="m-does-not-exist"):
        conn.get_collection().get_video("m-does-not-exist")


def test_clipping_an_unknown_video_raises_invalid_request(conn):
    video = conn.get_collection().get_videos()[0]
    video.id = "m-gone"
    with pytest.raises(InvalidRequestError, match="m-gone"):
        video.clip("anything", "spoken", "basic")


def test_a_failed_job_raises_invalid_request_with_the_fixture_message(conn):
    video = conn.get_collection().get_video(FAILING_VIDEO)
    with pytest.raises(InvalidRequestError, match="source media of m-9b4e6a03 could not be decoded"):
        video.clip("the revenue numbers", "spoken", "basic")


def test_clipping_every_listed_video_meets_one_failed_job(conn):
    outcomes = {}
    for video in conn.get_collection().get_videos():
        try:
            outcomes[video.id] = len(video.clip("the most important moment", "spoken", "basic").shots)
        except InvalidRequestError as error:
            outcomes[video.id] = str(error)
    failed = [vid for vid, outcome in outcomes.items() if isinstance(outcome, str)]
    assert failed == [FAILING_VIDEO]
    assert all(isinstance(n, int) and n > 0 for vid, n in outcomes.items() if vid != FAILING_VIDEO)


def test_sdk_polls_a_processing_job_until_done(conn, emulator):
    """A rule with processing polls: the SDK keeps polling (we shorten its 5 s interval, not the server)."""
    video = conn.get_collection().get_video("m-7a3f21c4")
    result = conn.post(
        path=f"video/{video.id}/clip",
        data={"prompt": "pricing", "content_type": "spoken", "model_name": "ultra"},
        poll_interval=0,
    )
    jobs = emulator.store.jobs(KEY)
    assert jobs[-1].processing_answers == 2, "the slow-ultra-model rule answers processing twice"
    assert result["results"][0]["video_id"] == video.id
