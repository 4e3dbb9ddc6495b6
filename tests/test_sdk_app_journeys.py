"""The unmodified Python SDK (videodb 0.5.1) walks the app journeys beyond clip against a real server:
upload by URL and by file, index and search (v2, legacy, keyword), transcripts, scenes, collection
search, thumbnail and delete; another key sees none of it. Every answer is checked by the oracle."""

from __future__ import annotations

import warnings

import pytest
import videodb
from videodb.exceptions import InvalidRequestError

from .conftest import KEY

FOOTBALL_URL = "https://media.example.com/harbor-city-vs-northvale.mp4"  # the fixtures map it to m-5d10f7e2
FOOTBALL = "m-5d10f7e2"


@pytest.fixture
def conn(live_server):
    return videodb.connect(api_key=KEY, base_url=live_server.url)


@pytest.fixture
def uploaded(conn):
    """A video uploaded by URL: a copy of the football highlights under a new id."""
    return conn.get_collection().upload(url=FOOTBALL_URL, name="Derby highlights")


def test_an_upload_by_url_becomes_a_listed_video_with_the_templates_content(conn, uploaded, live_server):
    collection = conn.get_collection()
    assert uploaded.id.startswith("m-") and uploaded.id != FOOTBALL
    assert uploaded.name == "Derby highlights" and uploaded.collection_id == collection.id
    assert uploaded.length == pytest.approx(188.0)
    assert uploaded.stream_url.startswith(live_server.url)
    assert uploaded.id in [v.id for v in collection.get_videos()]
    fetched = collection.get_video(uploaded.id)
    assert (fetched.name, fetched.length) == ("Derby highlights", uploaded.length)
    assert uploaded.generate_thumbnail().startswith(live_server.url)  # the SDK reads thumbnail_url


def test_index_then_search_v2_legacy_and_keyword_find_the_spoken_words(uploaded, live_server):
    uploaded.index_spoken_words()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an indexed video answers without warnings
        response = uploaded.search("penalty")
    shots = response.get_shots()
    assert shots and all(s.video_id == uploaded.id and 0 <= s.start < s.end <= uploaded.length for s in shots)
    assert any("penalty" in s.text.lower() for s in shots)
    assert response.compile().startswith(live_server.url)

    legacy = uploaded.search("red card", search_type="semantic")
    assert any("red card" in s.text.lower() for s in legacy.get_shots())
    keyword = uploaded.search("corner", search_type="keyword")
    assert keyword.get_shots() and all("corner" in s.text.lower() and s.search_score == 1 for s in keyword.get_shots())
    assert keyword.get_shots()[0].generate_stream().startswith(live_server.url)


def _v2_without_index(video) -> list[dict]:
    """Search v2 on a video with no index: no shots, and the warnings it carried. (The SDK shows each
    warning code as a UserWarning once per process, so the response is what a test can rely on.)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        response = video.search("penalty")
    assert response.get_shots() == []
    return response.warnings


def test_search_before_the_index_is_a_warning_in_v2_and_an_error_naming_the_call_in_legacy(uploaded):
    [warning] = _v2_without_index(uploaded)
    assert warning["code"] == "no_index" and "index_spoken_words()" in warning["message"]
    with pytest.raises(InvalidRequestError, match=r"index_spoken_words\(\)"):
        uploaded.search("penalty", search_type="semantic")


def test_indexing_again_without_force_succeeds_and_changes_nothing(uploaded):
    uploaded.index_spoken_words()
    before = [(s.start, s.end) for s in uploaded.search("goal").get_shots()]
    uploaded.index_spoken_words()
    assert [(s.start, s.end) for s in uploaded.search("goal").get_shots()] == before != []


def test_a_clip_of_an_uploaded_video_uses_its_transcript(uploaded):
    result = uploaded.clip("every goal and the penalty", "spoken", "basic")
    assert result.shots and all(s.video_id == uploaded.id for s in result.shots)
    assert any("goal" in s.text.lower() or "penalt" in s.text.lower() for s in result.shots)


def test_an_upload_by_file_goes_through_the_upload_url(conn, tmp_path):
    clip = tmp_path / "holiday reel.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    video = conn.get_collection().upload(file_path=str(clip))
    assert video.id.startswith("m-") and video.name == "holiday reel"
    assert video.id in [v.id for v in conn.get_collection().get_videos()]
    again = conn.get_collection().upload(file_path=str(clip))
    assert again.id != video.id and again.length == video.length, "the same bytes pick the same template"


def test_a_corrupt_upload_fails_with_the_fixture_message(conn):
    with pytest.raises(InvalidRequestError, match="could not be decoded"):
        conn.get_collection().upload(url="https://media.example.com/corrupt-file.mp4")


def test_transcripts_by_word_sentence_and_range(conn):
    video = conn.get_collection().get_video(FOOTBALL)
    words = video.get_transcript()
    assert len(words) > 100 and all(w["text"] and w["start"] < w["end"] for w in words)
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    sentences = video.get_transcript(segmenter="sentence")
    assert len(sentences) < len(words) and sentences[0]["start"] == 0
    opening = video.get_transcript_text(start=0, end=10)
    assert opening and opening in " ".join(w["text"] for w in words)
    assert video.generate_transcript() == {"success": True, "message": "Transcript generated successfully"}


def test_scene_index_list_records_and_scene_search(conn):
    video = conn.get_collection().get_video(FOOTBALL)
    scene_index_id = video.index_scenes()
    assert scene_index_id
    listed = video.list_scene_index()
    assert [i["scene_index_id"] for i in listed] == [scene_index_id] and listed[0]["status"] == "done"
    records = video.get_scene_index(scene_index_id)
    assert records and all(0 <= r["start"] < r["end"] <= video.length and r["description"] for r in records)
    found = video.search("crowd", search_type="semantic", index_type="scene", scene_index_id=scene_index_id)
    assert found.get_shots(), "a scene search finds the scene descriptions"
    timed = video.index_scenes(extraction_type="time", extraction_config={"time": 30})
    assert len(video.get_scene_index(timed)) == 7  # 188 s in windows of 30 s


def test_collection_search_finds_indexed_videos_only(conn):
    collection = conn.get_collection()
    with pytest.raises(InvalidRequestError, match=r"index_spoken_words\(\)"):
        collection.search("goal", search_type="semantic")
    collection.get_video(FOOTBALL).index_spoken_words()
    legacy = collection.search("goal", search_type="semantic")
    assert {s.video_id for s in legacy.get_shots()} == {FOOTBALL}
    assert {s.video_id for s in collection.search("goal").get_shots()} == {FOOTBALL}


def test_a_deleted_video_is_gone_for_this_key_only(conn, uploaded, live_server):
    collection = conn.get_collection()
    fixture_video = collection.get_video(FOOTBALL)
    fixture_video.delete()
    uploaded.delete()
    listed = [v.id for v in collection.get_videos()]
    assert FOOTBALL not in listed and uploaded.id not in listed
    for gone in (FOOTBALL, uploaded.id):
        with pytest.raises(InvalidRequestError, match="not found"):
            collection.get_video(gone)
    other = videodb.connect(api_key="sk-test-other-key", base_url=live_server.url).get_collection()
    assert other.get_video(FOOTBALL).id == FOOTBALL


def test_another_key_sees_none_of_it(conn, uploaded, live_server):
    uploaded.index_spoken_words()
    other = videodb.connect(api_key="sk-test-other-key", base_url=live_server.url).get_collection()
    assert uploaded.id not in [v.id for v in other.get_videos()]
    with pytest.raises(InvalidRequestError, match="not found"):
        other.get_video(uploaded.id)
    assert [w["code"] for w in _v2_without_index(other.get_video(FOOTBALL))] == ["no_index"]
