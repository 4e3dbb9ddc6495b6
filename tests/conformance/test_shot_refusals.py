"""A 400 from compile or stream to schema-valid shots is earned only by a rule the request provably breaks."""

from __future__ import annotations

from mockserver.app import create_app
from mockserver.conformance.contract import COMPILE, STREAM
from mockserver.conformance.shot_refusals import proof_of_invalid_shots
from mockserver.conformance.videos import VideoFact

from . import broken

KEYNOTE = VideoFact(length=176.4, collection_id="c-product-videos")
FACTS = {"m-7a3f21c4": KEYNOTE, "m-gone": VideoFact(missing=True), "m-mute": VideoFact(unknown="GET /video/m-mute answered 500 without a usable length")}
asked: list[str] = []


def facts(video_id: str) -> VideoFact:
    asked.append(video_id)
    return FACTS[video_id]


def _compile(*items: dict) -> tuple[str | None, str]:
    return proof_of_invalid_shots(COMPILE, {}, list(items), facts)


def test_a_shot_that_does_not_go_forward_is_proof_without_asking_the_deployment():
    asked.clear()
    rule, _ = _compile({"video_id": "m-mute", "shots": [[1, 2]]}, {"video_id": "m-7a3f21c4", "shots": [[5, 5]]})
    assert rule == "body[1].shots[0] = [5, 5] does not go forward"
    assert asked == []


def test_a_shot_past_its_video_or_a_video_not_there_is_proof():
    assert _compile({"video_id": "m-7a3f21c4", "shots": [[170, 180]]})[0] == "body[0].shots[0] ends at 180, past the 176.4 s of m-7a3f21c4"
    assert "m-gone is not a video of the deployment" in _compile({"video_id": "m-gone", "shots": [[1, 2]]})[0]
    wrong_collection = _compile({"video_id": "m-7a3f21c4", "collection_id": "c-other", "shots": [[1, 2]]})[0]
    assert wrong_collection == "m-7a3f21c4 is in collection c-product-videos, not the 'c-other' the request names"
    stream = proof_of_invalid_shots(STREAM, {"video_id": "m-7a3f21c4"}, {"timeline": [[0, 200]]}, facts)[0]
    assert stream == "body.timeline[0] ends at 200, past the 176.4 s of m-7a3f21c4"


def test_shots_inside_their_video_or_of_a_video_that_cannot_be_read_prove_nothing():
    assert _compile({"video_id": "m-7a3f21c4", "collection_id": "c-product-videos", "shots": [[16.2, 24.8]]}) == (None, "m-7a3f21c4 is 176.4 s long")
    assert _compile({"video_id": "m-mute", "shots": [[1, 2]]}) == (None, "m-mute: GET /video/m-mute answered 500 without a usable length")


def test_the_schema_phase_alone_catches_a_deployment_that_refuses_every_compile(serve, conform):
    refusing = conform(serve(broken.refuses_every_compile()).url, "--phases", "schema")
    assert "shot_refusal_is_justified" in refusing.failed_checks, refusing.output
    assert "Schema-valid shots refused with 400" in refusing.report
    assert "(m-7a3f21c4 is 176.4 s long)" in refusing.report, "the evidence says what made the shots valid"
    emulator = conform(serve(create_app()).url, "--phases", "schema")
    assert emulator.exit_code == 0, emulator.output
    assert "shot_refusal_is_justified" in emulator.passed_checks, "the emulator's refusals of generated shots were judged, and earned"
