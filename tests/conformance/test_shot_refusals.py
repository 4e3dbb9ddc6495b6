"""A 400 from compile or stream to schema-valid shots is earned only by a rule the request provably breaks."""

from __future__ import annotations

import re

from mockserver.app import create_app
from mockserver.conformance.client import Client
from mockserver.conformance.contract import COMPILE, STREAM, default_spec_path, load_contract
from mockserver.conformance.shot_refusals import Proof, proof_of_invalid_shots
from mockserver.conformance.traffic import JobBudget, TrafficPolicy
from mockserver.conformance.videos import VideoFact, VideoLookup

from . import broken

KEYNOTE = VideoFact(length=176.4, collection_id="c-product-videos")
FACTS = {
    "m-7a3f21c4": KEYNOTE,
    "m-gone": VideoFact(missing=True),
    "m-mute": VideoFact(unknown="GET /video/m-mute answered 500 without a usable length"),
    "m-unasked": VideoFact(unknown="not asked about (a run asks about 64 videos at most)", asked=False),
}
asked: list[str] = []


def facts(video_id: str) -> VideoFact:
    asked.append(video_id)
    return FACTS[video_id]


def _compile(*items: dict) -> Proof:
    return proof_of_invalid_shots(COMPILE, {}, list(items), facts)


def test_a_shot_that_does_not_go_forward_is_proof_without_asking_the_deployment():
    asked.clear()
    proof = _compile({"video_id": "m-mute", "shots": [[1, 2]]}, {"video_id": "m-7a3f21c4", "shots": [[5, 5]]})
    assert proof.broken_rule == "body[1].shots[0] = [5, 5] does not go forward"
    assert asked == []


def test_a_shot_past_its_video_or_a_video_not_there_is_proof():
    assert _compile({"video_id": "m-7a3f21c4", "shots": [[170, 180]]}).broken_rule == "body[0].shots[0] ends at 180, past the 176.4 s of m-7a3f21c4"
    assert "m-gone is not a video of the deployment" in str(_compile({"video_id": "m-gone", "shots": [[1, 2]]}).broken_rule)
    wrong_collection = _compile({"video_id": "m-7a3f21c4", "collection_id": "c-other", "shots": [[1, 2]]}).broken_rule
    assert wrong_collection == "m-7a3f21c4 is in collection c-product-videos, not the 'c-other' the request names"
    stream = proof_of_invalid_shots(STREAM, {"video_id": "m-7a3f21c4"}, {"timeline": [[0, 200]]}, facts).broken_rule
    assert stream == "body.timeline[0] ends at 200, past the 176.4 s of m-7a3f21c4"


def test_shots_inside_their_video_or_of_a_video_that_cannot_be_read_prove_nothing():
    assert _compile({"video_id": "m-7a3f21c4", "collection_id": "c-product-videos", "shots": [[16.2, 24.8]]}) == Proof(known="m-7a3f21c4 is 176.4 s long")
    assert _compile({"video_id": "m-mute", "shots": [[1, 2]]}) == Proof(known="m-mute: GET /video/m-mute answered 500 without a usable length")


def test_a_video_the_run_did_not_ask_about_leaves_the_refusal_undecided_not_unearned():
    assert _compile({"video_id": "m-unasked", "shots": [[1, 2]]}).undecided
    assert not _compile({"video_id": "m-unasked", "shots": [[2, 1]]}).undecided, "a proof in the request itself still stands"


def test_the_schema_phase_alone_catches_a_deployment_that_refuses_every_compile(serve, conform):
    refusing = conform(serve(broken.refuses_every_compile()).url, "--phases", "schema")
    assert "shot_refusal_is_justified" in refusing.failed_checks, refusing.output
    assert "Schema-valid shots refused with 400" in refusing.report
    assert "(m-7a3f21c4 is 176.4 s long)" in refusing.report, "the evidence says what made the shots valid"
    emulator = conform(serve(create_app()).url, "--phases", "schema")
    assert emulator.exit_code == 0, emulator.output
    assert "shot_refusal_is_justified" in emulator.passed_checks, "the emulator's refusals of generated shots were judged, and earned"


def test_the_lookup_asks_about_each_video_once_and_about_64_at_most(serve):
    deployment = broken.Deployment()
    server = serve(deployment)
    client = Client(TrafficPolicy(server.url, rate_limit=None, budget=JobBudget(0)), api_key_header="x-access-token", api_key=broken.RUN_KEY, timeout=5.0, use_proxies=False)
    lookup = VideoLookup(client, load_contract(default_spec_path()), server.url)
    assert lookup("m-7a3f21c4") == lookup("m-7a3f21c4") == KEYNOTE
    made_up = [lookup(f"m-made-up-{n}") for n in range(VideoLookup.LOOKUPS_KEPT + 5)]
    assert all(fact.missing for fact in made_up[: VideoLookup.LOOKUPS_KEPT - 1])
    assert not any(fact.asked for fact in made_up[VideoLookup.LOOKUPS_KEPT - 1 :])
    assert deployment.count("GET", re.compile(r"^/video/m-")) == VideoLookup.LOOKUPS_KEPT
    client.close()
