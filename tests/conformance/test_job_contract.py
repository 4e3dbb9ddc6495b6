"""Each rule of the job contract on its own: what it accepts, what it names as wrong."""

from __future__ import annotations

from mockserver.conformance import job_contract as rules

URL = "http://deployment.test/async-response/job-1"
PROCESSING = {"success": True, "status": "processing", "data": {"id": "job-1", "output_url": URL}}
DONE = {
    "success": True,
    "status": "done",
    "data": {
        "results": [
            {"collection_id": "c-1", "video_id": "m-1", "title": "t", "length": 60, "docs": [{"start": 0, "end": 12.5, "text": "x", "score": 1}]}
        ]
    },
}
FAILED = {"success": False, "status": "failed", "message": "the media could not be decoded"}


def _done_with(**result: object) -> dict:
    return {**DONE, "data": {"results": [{**DONE["data"]["results"][0], **result}]}}


def test_only_the_three_status_words_are_allowed():
    for body in (PROCESSING, DONE, FAILED):
        assert rules.status_not_allowed(body) is None
    assert "completed" in rules.status_not_allowed({**DONE, "status": "completed"})
    assert "not a JSON object" in rules.status_not_allowed(["done"])


def test_each_state_has_its_shape():
    for body in (PROCESSING, DONE, FAILED):
        assert rules.shape_broken(body) is None
    assert "data.id" in rules.shape_broken({**PROCESSING, "data": None})
    assert "request_type" in rules.shape_broken({**PROCESSING, "request_type": "async"})
    assert "data.results" in rules.shape_broken({**DONE, "data": {"results": {}}})
    assert "docs" in rules.shape_broken(_done_with(docs=None))
    assert "message" in rules.shape_broken({**FAILED, "message": ""})
    assert "success: false" in rules.shape_broken({**FAILED, "success": True})


def test_output_url_must_be_absolute():
    assert rules.output_url_not_absolute(URL) is None
    assert "relative" in rules.output_url_not_absolute("/async-response/job-1")
    assert rules.output_url_not_absolute("ftp://deployment.test/x") is not None
    assert rules.output_url_not_absolute(None) is not None


def test_a_done_clip_points_at_the_requested_video():
    assert rules.elsewhere_than(DONE, "m-1") is None
    assert "m-2 was requested" in rules.elsewhere_than(DONE, "m-2")
    assert "names no video" in rules.elsewhere_than({**DONE, "data": {"results": []}}, "m-1")


def test_shots_lie_inside_the_video():
    assert rules.shots_outside(DONE, 60.0) is None
    assert rules.shots_outside(DONE, None) is None, "without a known length, only the order is checked"
    assert "ends after the video" in rules.shots_outside(_done_with(docs=[{"start": 50, "end": 61}]), 60.0)
    assert "0 <= start < end" in rules.shots_outside(_done_with(docs=[{"start": 5, "end": 5}]), 60.0)
    assert "0 <= start < end" in rules.shots_outside(_done_with(docs=[{"start": -1, "end": 5}]), 60.0)
    assert "not numbers" in rules.shots_outside(_done_with(docs=[{"start": "0", "end": 5}]), 60.0)


def test_ids_stay_consistent():
    assert rules.ids_inconsistent(PROCESSING, "job-1", URL, "c-1") is None
    assert "job-2" in rules.ids_inconsistent(PROCESSING, "job-2", URL, "c-1")
    assert "output_url changed" in rules.ids_inconsistent(PROCESSING, "job-1", URL + "x", "c-1")
    assert rules.ids_inconsistent(DONE, "job-1", URL, "c-1") is None
    assert "c-2" in rules.ids_inconsistent(DONE, "job-1", URL, "c-2")


def test_a_terminal_answer_is_final():
    assert rules.changed_after_terminal(DONE, dict(DONE)) is None
    assert "status 'processing' after 'done'" in rules.changed_after_terminal(DONE, PROCESSING)
    assert "different body" in rules.changed_after_terminal(DONE, _done_with(title="other"))
    assert rules.went_backwards("done", "done") is None
    assert "'done' and then" in rules.went_backwards("done", "processing")


def test_a_clip_holds_at_most_one_compile_of_shots():
    shot = {"start": 0, "end": 1}
    clip = {"status": "done", "data": {"results": [{"docs": [shot] * 60}, {"docs": [shot] * 40}]}}
    assert rules.too_many_shots(clip) is None
    clip["data"]["results"][1]["docs"].append(shot)
    assert "101 shots" in rules.too_many_shots(clip)
    assert rules.answer_rules_broken(clip) == rules.too_many_shots(clip)
    assert rules.too_many_shots({"data": clip["data"]}) is None, "a search answer (no status) may hold more"
    assert "not lower snake_case" in rules.answer_rules_broken({"data": {"Results": []}})
