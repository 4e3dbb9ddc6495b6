"""Callbacks arrive with the final poll answer; a deployment that delivers none earns a note or a failure, as asked."""

from __future__ import annotations

import pytest

from mockserver.conformance.callbacks import payload_mismatch

from . import broken

SILENT_NOTE = "skipped: no callback arrived within 1 s — the deployment may not deliver callbacks"


def test_a_deployment_that_never_calls_back_earns_only_a_note_when_callbacks_are_optional(serve, conform):
    run = conform(serve(broken.delivers_no_callbacks()).url, "--phases", "callbacks", "--callbacks", "optional", "--callback-wait", "1")
    assert run.exit_code == 0, run.output
    assert SILENT_NOTE in run.output and SILENT_NOTE in run.report
    skipped = [case for case in run.junit.iter("testcase") if case.find("skipped") is not None]
    assert [case.get("name") for case in skipped] == ["callbacks phase"]


REQUIRED = [["--callbacks", "required"], ["--callback-host", "127.0.0.1", "--callback-listen", "127.0.0.1"], []]


@pytest.mark.parametrize("options", REQUIRED, ids=["required", "auto-with-host", "auto-on-a-loopback-target"])
def test_a_deployment_that_never_calls_back_fails_when_callbacks_are_required(serve, conform, options):
    run = conform(serve(broken.delivers_no_callbacks()).url, "--phases", "callbacks", "--callback-wait", "1", *options)
    assert run.exit_code == 1
    assert run.failed_checks == {"callback_arrives"}, run.output


def test_a_deployment_that_calls_back_with_the_final_answer_passes(serve, conform):
    run = conform(serve(broken.delivers_callbacks()).url, "--phases", "callbacks", "--callbacks", "required")
    assert run.exit_code == 0, run.output
    assert {"callback_arrives", "callback_matches_final_answer"} <= run.passed_checks


def test_a_callback_that_is_not_the_final_answer_is_caught(serve, conform):
    run = conform(serve(broken.delivers_wrong_callbacks()).url, "--phases", "callbacks")
    assert run.exit_code == 1, run.output
    assert run.failed_checks == {"callback_matches_final_answer"}, run.output
    assert "callback_arrives" in run.passed_checks


def test_the_payload_may_add_the_job_id_and_nothing_else():
    final = {"success": True, "status": "done", "data": {"results": []}}
    assert payload_mismatch(b'{"success": true, "status": "done", "data": {"results": []}, "job_id": "j-1"}', final, "j-1") is None
    assert "names job" in payload_mismatch(b'{"success": true, "status": "done", "data": {"results": []}, "job_id": "j-2"}', final, "j-1")
    assert "final poll answered" in payload_mismatch(b'{"success": true, "status": "done", "job_id": "j-1"}', final, "j-1")
    assert "not JSON" in payload_mismatch(b"done", final, "j-1")


def test_a_callback_that_is_not_labelled_json_is_caught(serve, conform):
    run = conform(serve(broken.delivers_callbacks_as_text()).url, "--phases", "callbacks")
    assert run.exit_code == 1, run.output
    assert run.failed_checks == {"callback_matches_final_answer"} and "not application/json" in run.report


def test_a_callback_without_the_job_id_the_contract_requires_is_caught(serve, conform):
    run = conform(serve(broken.delivers_callbacks_without_job_id()).url, "--phases", "callbacks")
    assert run.exit_code == 1, run.output
    assert run.failed_checks == {"callback_matches_final_answer"} and "JobCallback" in run.report
