"""Safe against real deployments: no jobs when read-only, never more than --max-jobs, Retry-After honoured,
the same seed sending the same requests. Counted on the server side, not by the tool's own word."""

from __future__ import annotations

import re

from hypothesis.errors import FlakyStrategyDefinition

from mockserver.app import create_app
from mockserver.conformance.schema_phase import SchemaPhase

from . import broken


def _jobs_created(deployment: broken.Deployment) -> int:
    """Job-creating requests the deployment did not refuse: each may have created a job."""
    return deployment.count("POST", broken.JOB_CREATING_PATH, lambda status: not 400 <= status < 500)


def test_read_only_sends_no_clip_request_at_all(serve, conform):
    deployment = broken.Deployment()
    server = serve(deployment)
    run = conform(server.url, "--read-only")
    assert run.exit_code == 0, run.output
    assert deployment.count("POST", broken.CLIP_PATH) == 0
    assert len(deployment.received) > 100, "the other operations were fuzzed"
    assert "lifecycle: skipped: --read-only creates no jobs" in run.output
    skipped = {case.get("name") for case in run.junit.iter("testcase") if case.find("skipped") is not None}
    assert skipped == {"lifecycle phase", "callbacks phase"}


def test_max_jobs_bounds_the_jobs_of_every_phase_together(serve, conform):
    deployment = broken.Deployment()
    server = serve(deployment)
    run = conform(server.url, "--max-jobs", "2")
    # Two jobs leave none for the lifecycle once the callbacks' reserve is set aside: it could judge
    # nothing, so the run cannot say CONFORMS.
    assert run.exit_code == 3 and run.failed_checks == set(), run.output
    assert "INCONCLUSIVE: never applied: lifecycle/" in run.output
    assert 1 <= _jobs_created(deployment) <= 2
    assert "of at most 2 jobs created" in run.output


def test_retry_after_is_honoured_and_the_retried_answer_judged(serve, conform):
    deployment = broken.rate_limits_first_polls()
    server = serve(deployment)
    # Three jobs for the kinds beyond clip (index, transcript, scene index), three for clips.
    run = conform(server.url, "--phases", "lifecycle", "--max-jobs", "6")
    assert run.exit_code == 0, run.output
    assert "waiting 0.2s as Retry-After asks" in run.output
    limited = {path for _, path, status in deployment.answered if status == 429}
    assert limited, "the deployment did rate-limit"
    retried = {path for _, path, status in deployment.answered if path in limited and status != 429}
    assert retried == limited, "each rate-limited request was sent again, and that answer judged"


def _requests_of_a_run(serve, conform, seed: str, phases: str) -> list[tuple[str, str, str, bytes]]:
    deployment = broken.Deployment()  # a fresh emulator: its job ids, too, depend on nothing but the requests
    run = conform(serve(deployment).url, "--phases", phases, "--seed", seed, "--max-examples", "1", "--stateful-examples", "2")
    assert run.exit_code == 0, run.output
    return [(seen.method, seen.path, seen.query, _boundary_blind(seen.body)) for seen in deployment.received]


def _boundary_blind(body: bytes) -> bytes:
    """schemathesis draws a fresh multipart boundary for every form it sends (the upload target's),
    outside the seed's reach; the rest of the request is the seed's."""
    return re.sub(rb"--[0-9a-f]{32}", b"--BOUNDARY", body)


def test_the_same_seed_sends_the_same_requests(serve, conform):
    first = _requests_of_a_run(serve, conform, "7", "schema,lifecycle")
    assert first == _requests_of_a_run(serve, conform, "7", "schema,lifecycle")


def test_another_seed_sends_other_requests(serve, conform):
    assert _requests_of_a_run(serve, conform, "7", "lifecycle") != _requests_of_a_run(serve, conform, "8", "lifecycle")


def test_a_spent_budget_ends_only_the_sequences_that_need_a_job(serve, conform):
    deployment = broken.Deployment()
    run = conform(serve(deployment).url, "--phases", "schema", "--max-jobs", "1", "--stateful-examples", "10")
    assert run.exit_code == 0, run.output
    sequences = re.search(r"sequences through the links: (\d+) cases(.*)", run.output)
    assert sequences is not None and "stopped" not in sequences.group(2), run.output
    assert int(sequences.group(1)) > 10, "the sequences that create no job went on after the budget was spent"
    assert _jobs_created(deployment) <= 1


def test_every_request_passes_the_traffic_policy_probes_included(serve, conform):
    # ignored_auth and object_level_authorization send probes of their own: they too must be policed
    # (allow list, rate limit) and counted. The deployment's count is the witness.
    deployment = broken.Deployment()
    run = conform(serve(deployment).url, "--phases", "schema", "--second-api-key", broken.SECOND_KEY)
    assert run.exit_code == 0, run.output
    sent = int(re.search(r"; (\d+) requests in ", run.output).group(1))
    probes = [seen for seen in deployment.received if seen.headers.get("x-access-token") != broken.RUN_KEY]
    assert probes, "probes without the run's key were sent"
    assert sent == len(deployment.received)


def test_sequences_hypothesis_cannot_replay_end_in_a_note_not_a_failure(serve, conform, monkeypatch):
    # hypothesis replays a sequence's first steps and calls the strategy flaky when the draws differ,
    # as they do when they follow live answers that changed (seen with --seed 1 and 60 sequences on a
    # loaded machine, not on every one): that is not the deployment's fault, so it ends the sequences
    # with a note, and the verdict stays the deployment's.
    class ReplayedDifferently:
        @staticmethod
        def run(settings: object) -> None:
            raise FlakyStrategyDefinition("Inconsistent data generation!")

    monkeypatch.setattr(SchemaPhase, "_guarded_machine", lambda phase, deadline: ReplayedDifferently)
    run = conform(serve(create_app()).url, "--phases", "schema")
    assert run.exit_code == 0 and run.failed_checks == set(), run.output
    assert "sequences stopped early: hypothesis cannot replay steps drawn from answers that changed" in run.output
    assert "(stopped: the next sequence's steps depended on answers that had changed)" in run.output
