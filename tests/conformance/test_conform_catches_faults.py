"""A live emulator conforms; each deliberately broken deployment is caught by the check named for its fault."""

from __future__ import annotations

import pytest

from mockserver.app import create_app

from . import broken

LIFECYCLE_CHECKS = {
    "status_in_allowed_set",
    "never_backwards",
    "terminal_stable",
    "state_shape",
    "output_url_absolute_and_answering",
    "done_points_at_requested_video",
    "shots_within_video",
    "ids_consistent",
    "terminal_within_timeout",
    "unknown_job_404",
    "poll_needs_a_valid_key",
    "job_ids_unique",
    "terminal_lasts",
    "answer_matches_contract",
    "sdk_shaped_requests_accepted",
    "compile_and_stream_take_real_shots",
    "every_job_kind_lives",
    "scene_index_listed",
    "upload_becomes_video",
}
UPLOAD_URL = "https://media.example.com/harbor-city-vs-northvale.mp4"


def test_a_live_emulator_conforms_in_every_phase(serve, conform):
    server = serve(create_app())
    # Four jobs go to the kinds beyond clip; the rest must still clip every video, the failing one too.
    run = conform(server.url, "--upload-url", UPLOAD_URL, "--max-jobs", "14")
    assert run.exit_code == 0, run.output + run.errors
    assert run.failed_checks == set()
    assert LIFECYCLE_CHECKS <= run.passed_checks, "every job check ran and passed"
    assert {"not_a_server_error", "response_schema_conformance", "ignored_auth", "negative_data_rejection", "auth_on_every_operation"} <= run.passed_checks
    assert {"callback_arrives", "callback_matches_final_answer"} <= run.passed_checks
    assert "CONFORMS" in run.output and "DOES NOT CONFORM" not in run.output
    assert "failed after" in run.output, "the failing video was clipped too, so failed jobs were judged"


LIFECYCLE_FAULTS = [
    (broken.completed_status_word, "status_in_allowed_set"),
    (broken.status_goes_backwards, "never_backwards"),
    (broken.relative_output_url, "output_url_absolute_and_answering"),
    (broken.forgets_jobs, "output_url_absolute_and_answering"),
    (broken.shots_outside_the_video, "shots_within_video"),
    (broken.polls_ignore_auth, "poll_needs_a_valid_key"),
    (broken.refuses_polls_in_plain_text, "poll_needs_a_valid_key"),
    (broken.forgets_finished_jobs, "terminal_lasts"),
    (broken.reissues_job_ids, "job_ids_unique"),
    (broken.scores_out_of_range, "answer_matches_contract"),
    (broken.clips_with_an_upper_case_twin, "answer_matches_contract"),
    (broken.refuses_gets_with_a_content_type, "sdk_shaped_requests_accepted"),
    (broken.refuses_the_node_client, "sdk_shaped_requests_accepted"),
    (broken.refuses_every_compile, "compile_and_stream_take_real_shots"),
    (broken.uploads_answer_no_id, "state_shape"),
    (broken.transcripts_without_words, "state_shape"),
    (broken.uploads_vanish, "upload_becomes_video"),
    (broken.forgets_scene_indexes, "scene_index_listed"),
]


@pytest.mark.parametrize(("deployment", "check"), LIFECYCLE_FAULTS, ids=[fault.__name__ for fault, _ in LIFECYCLE_FAULTS])
def test_a_broken_job_contract_is_caught_by_its_check(serve, conform, deployment, check):
    server = serve(deployment())
    run = conform(server.url, "--phases", "lifecycle", "--upload-url", UPLOAD_URL)
    assert run.exit_code == 1, run.output
    assert check in run.failed_checks, run.output
    assert f"`{check}`" in run.report, "the Markdown report names the failing check"


def test_a_job_that_never_finishes_fails_terminal_within_timeout(serve, conform):
    server = serve(broken.never_finishes())
    run = conform(server.url, "--phases", "lifecycle", "--job-timeout", "1", "--max-jobs", "2")
    assert run.exit_code == 1
    assert run.failed_checks == {"terminal_within_timeout"}, run.output
    assert "still processing after" in run.report


SCHEMA_FAULTS = [
    (broken.ignores_auth, "ignored_auth"),
    (broken.crashes_on_long_collection_ids, "not_a_server_error"),
    (broken.forbids_instead_of_unauthorized, "auth_on_every_operation"),
    (broken.videos_named_self, "response_schema_conformance"),
    (broken.videos_with_a_camel_case_twin, "answer_keys_are_snake_case"),
]


@pytest.mark.parametrize(("deployment", "check"), SCHEMA_FAULTS, ids=[fault.__name__ for fault, _ in SCHEMA_FAULTS])
def test_a_broken_schema_contract_is_caught_by_its_check(serve, conform, deployment, check):
    server = serve(deployment())
    run = conform(server.url, "--phases", "schema")
    assert run.exit_code == 1, run.output
    assert check in run.failed_checks, run.output
    assert "curl " in run.report, "each failure comes with a curl reproduction"
    cases = run.cases_of(check)
    assert any(state == "failure" and "[" in name for name, state in cases.items()), "one JUnit case per check per operation"
    assert "$VIDEODB_API_KEY" in run.report and "sk-conformance" not in run.report, "the key stays out of reports"


def test_a_deployment_whose_jobs_never_end_done_is_inconclusive_not_conforming(serve, conform):
    run = conform(serve(broken.every_job_fails()).url, "--phases", "lifecycle")
    assert run.exit_code == 3, run.output
    assert run.failed_checks == set()
    never_applied = (
        "lifecycle/compile_and_stream_take_real_shots, lifecycle/done_points_at_requested_video, lifecycle/scene_index_listed, "
        "lifecycle/sdk_next_calls_served, lifecycle/shots_within_video"
    )
    assert f"INCONCLUSIVE: never applied: {never_applied}" in run.output
    assert "CONFORMS" not in run.output.replace("DOES NOT CONFORM", "")
    assert run.report.startswith("# Conformance report\n\n**INCONCLUSIVE")
    never = {case.get("name") for case in run.junit.iter("testcase") if (case.find("skipped") is not None)}
    assert {"done_points_at_requested_video", "shots_within_video"} <= never


def test_no_budget_for_jobs_is_inconclusive(serve, conform):
    run = conform(serve(create_app()).url, "--phases", "lifecycle", "--max-jobs", "0")
    assert run.exit_code == 3, run.output
    assert "INCONCLUSIVE" in run.output and "lifecycle/valid_request_accepted" in run.output


def test_tenants_are_judged_with_a_second_key(serve, conform):
    apart = conform(serve(create_app()).url, "--phases", "lifecycle", "--second-api-key", broken.SECOND_KEY, "--upload-url", UPLOAD_URL)
    assert apart.exit_code == 0 and "tenants_kept_apart" in apart.passed_checks, apart.output
    shared = conform(serve(broken.one_namespace_for_every_key()).url, "--phases", "lifecycle", "--second-api-key", broken.SECOND_KEY, "--upload-url", UPLOAD_URL)
    assert shared.exit_code == 1 and shared.failed_checks == {"tenants_kept_apart"}, shared.output
    assert "one tenant sees another's" in shared.report and "shows" in shared.report, "the job and the uploaded video both leak"
    assert broken.SECOND_KEY not in shared.report, "neither key appears in the report"
