"""Trimming deletes what a failure does not need, never what it does, and keeps answers allowed."""

from __future__ import annotations

import json

from mockserver import strategies
from mockserver.control import given_answer_body
from mockserver.conformance import job_contract
from mockserver.trimming import trimmed

from .test_answer_strategies import _conforms
from .test_sdk_answer_breaks import journey


def test_keys_and_items_the_failure_does_not_need_are_deleted():
    value = {"a": 1, "b": {"c": 2, "d": [1, 2, 3]}, "e": [4, {"f": 5}]}
    assert trimmed(value, lambda v: "c" in v.get("b", {})) == {"b": {"c": 2}}
    assert trimmed(value, lambda v: 3 in v.get("b", {}).get("d", [])) == {"b": {"d": [3]}}
    assert value["a"] == 1, "the value given is left as it was"


def test_only_allowed_values_are_kept():
    value = {"id": "x", "extra": 1, "more": {"deep": True}}
    kept = trimmed(value, lambda v: "more" in v, allowed=lambda v: "id" in v)
    assert kept == {"id": "x", "more": {}}


def test_the_tries_are_bounded():
    asked = []
    trimmed(list(range(50)), lambda v: asked.append(1) or True, max_tries=7)
    assert len(asked) == 7


def test_a_journey_is_trimmed_to_what_fails_and_stays_allowed():
    answers = [given_answer_body(operation, body) for operation, body in journey("http://127.0.0.1:8000").items()]
    clip = answers[3]["body"]["data"]
    clip["results"][0]["docs"] *= 3
    clip["results"].append({**clip["results"][0], "extra_note": {"kept": False}})
    clip["warnings"] = [{"code": "slow", "message": "the index is old", "docs": [{"url": "http://docs.example/x"}]}]
    answers[1]["body"]["data"].update(name="a name", description="words", size=12)

    def fails(answers):  # "the client breaks on a clip with a shot"
        terminal = [a["body"] for a in answers if a["operation"] == "getAsyncResponse"][-1]
        return any(result["docs"] for result in terminal["data"]["results"])

    for given in answers:
        _conforms(given["operation"], given["status"], given["body"])
    small = strategies.trimmed_answers(answers, fails)
    assert fails(small) and len(json.dumps(small)) < len(json.dumps(answers))
    assert small[1]["body"]["data"] == {"id": "m-given", "collection_id": "c-given", "length": 10}, "only what a video needs"
    for given in small:
        _conforms(given["operation"], given["status"], given["body"])
    terminal = [a["body"] for a in small if a["operation"] == "getAsyncResponse"][-1]
    assert sum(len(result["docs"]) for result in terminal["data"]["results"]) == 1
    assert list(terminal["data"]) == ["results"] and len(terminal["data"]["results"]) == 1, "the warnings and the second result went"
    assert job_contract.shots_outside(terminal, None) is None
