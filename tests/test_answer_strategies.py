"""mockserver.strategies draws only answers the contract allows: openapi.yaml, judged by a validator
that shares no code with the emulator, plus the job contract's rules (snake_case keys, shots inside
their video, one job per journey). Draws are deterministic per seed and shrink to small answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import find, given, seed, settings
from hypothesis import strategies as st

from mockserver import strategies
from mockserver.conformance import job_contract

from .test_schema_strategies import _json_responses, _oracle

DRAWS = settings(max_examples=25, deadline=None, derandomize=True, database=None)
URL = "http://127.0.0.1:8000"
RESPONSES = _json_responses()


def _conforms(operation: str, status: int, body: Any) -> None:
    errors = [e.message for e in _oracle(RESPONSES[f"{operation}-{status}"]).iter_errors(body)]
    assert not errors, f"{operation} {status}: {errors[:3]}\n{json.dumps(body)[:500]}"
    assert job_contract.answer_rules_broken(body) is None, job_contract.answer_rules_broken(body)


@pytest.mark.parametrize("key", sorted(RESPONSES))
@DRAWS
@given(data=st.data())
def test_every_answer_drawn_is_one_the_contract_allows(key: str, data: st.DataObject) -> None:
    operation, status = key.rsplit("-", 1)
    _conforms(operation, int(status), data.draw(strategies.answer(operation, int(status))))


@DRAWS
@given(strategies.clip_data())
def test_a_drawn_clip_keeps_its_shots_inside_their_video(data: dict[str, Any]) -> None:
    _conforms("getAsyncResponse", 200, {"success": True, "status": "done", "data": data})
    for result in data["results"]:
        assert job_contract.shots_outside({"data": {"results": [result]}}, float(result["length"])) is None


@DRAWS
@given(strategies.clip_journey(URL, max_processing_polls=2))
def test_a_drawn_journey_is_one_job_from_creation_to_its_end(journey: strategies.ClipJourney) -> None:
    for given_answer in journey.answers:
        _conforms(given_answer["operation"], given_answer["status"], given_answer["body"])
    created = journey.answer_of("createClip")["data"]
    assert created == {**created, "id": journey.job_id, "output_url": f"{URL}/async-response/{journey.job_id}"}
    polls = [a["body"] for a in journey.answers if a["operation"] == "getAsyncResponse"]
    assert len(polls) == journey.processing_polls + 1 and polls[-1]["status"] == journey.outcome
    for poll in polls[:-1]:
        assert job_contract.ids_inconsistent(poll, journey.job_id, created["output_url"], None) is None
    assert job_contract.shape_broken(polls[-1]) is None
    has_streams = {a["operation"] for a in journey.answers} >= {"compileShots", "generateStream"}
    assert has_streams == (journey.shots > 0)


def _journeys(number: int) -> list[str]:
    drawn: list[str] = []

    @seed(number)
    @settings(max_examples=5, deadline=None, database=None)
    @given(strategies.clip_journey(URL))
    def collect(journey: strategies.ClipJourney) -> None:
        drawn.append(json.dumps(journey.answers))

    collect()
    return drawn


def test_the_same_seed_draws_the_same_journeys() -> None:
    assert _journeys(7) == _journeys(7)
    assert _journeys(7) != _journeys(8)


def test_a_clip_with_a_shot_shrinks_to_a_small_one() -> None:
    smallest = find(strategies.clip_data(), lambda data: any(r["docs"] for r in data["results"]), settings=settings(database=None))
    (result,) = smallest["results"]
    assert len(result["docs"]) == 1 and len(json.dumps(smallest)) < 400, json.dumps(smallest)
