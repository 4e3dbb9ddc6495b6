"""Probes the lifecycle runs once per run, beside its judging of every poll: the output_url's auth,
and a done clip's shots sent on to compile and stream."""

from __future__ import annotations

from typing import Any, Protocol

from . import job_contract as contract_rules
from .client import Client, TransportError
from .contract import COMPILE, STREAM, Contract
from .findings import Finding, Findings
from .settings import ConformSettings
from .traffic import RequestRefused


class LifecycleRun(Protocol):
    """What a probe needs of the lifecycle run (lifecycle.LifecycleRun), named here so that this
    module does not import the one that imports it."""

    client: Client
    contract: Contract
    findings: Findings
    settings: ConformSettings


TrackedJob = Any  # lifecycle.TrackedJob: output_url, subject, video

PHASE = "lifecycle"
POLL_AUTH = "poll_needs_a_valid_key"
REAL_SHOTS = "compile_and_stream_take_real_shots"
NO_ANSWER = "request_completes"
MALFORMED_KEY = "not a key!"  # no deployment can accept it
UNKNOWN_KEY = "sk-conform-unknown-key-0000000000000000"  # well formed, but no one's


def probe_poll_auth(run: LifecycleRun, job: TrackedJob) -> None:
    """A job's output_url answers only a valid key: 401 with the JSON error body without a key,
    with a malformed one or with a well-formed one that is no one's; with ``--open-keys`` that last
    is a tenant of its own, answered 404, never the job."""
    probes = (
        ("without a key", lambda: run.client.get(job.output_url, authenticated=False), (401,)),
        ("with a malformed key", lambda: run.client.get_as(job.output_url, MALFORMED_KEY), (401,)),
        ("with an unknown key", lambda: run.client.get_as(job.output_url, UNKNOWN_KEY), (404,) if run.settings.open_keys else (401,)),
    )
    for how, send, allowed in probes:
        try:
            answer = send()
        except (TransportError, RequestRefused) as error:
            run.findings.fail(Finding(PHASE, NO_ANSWER, f"{job.subject}, polled {how}", f"no answer: {error}"))
            continue
        problem = None
        if answer.status not in allowed:
            problem = f"a poll {how} answered {answer.status}, not {' or '.join(map(str, allowed))}"
        elif contract_rules.not_an_error_body(answer.json(), answer.response_headers.get("content-type", "")):
            problem = f"a poll {how} answered {answer.status} without the contract's JSON error body"
        if problem is None:
            run.findings.passed(PHASE, POLL_AUTH)
        else:
            run.findings.fail(Finding(PHASE, POLL_AUTH, f"{job.subject}, polled {how}", problem, answer.describe(), (answer.curl(),)))


def use_real_shots(run: LifecycleRun, job: TrackedJob, body: dict[str, Any]) -> bool:
    """A done clip's own shots, sent to compile and to stream as the SDKs send them
    (``SearchResult.compile()``, ``Shot.generate_stream()``): valid input both must take.
    True once tried, so one done job per run is enough."""
    shots = [(doc["start"], doc["end"]) for result in body["data"]["results"] for doc in result.get("docs", [])]
    if not shots or not (run.contract.has(COMPILE) and run.contract.has(STREAM)):
        return False
    video, collection = job.video.id, job.video.collection_id
    requests = (
        (COMPILE, run.settings.base + run.contract.operation(COMPILE).fill(), [{"video_id": video, "collection_id": collection, "shots": [list(s) for s in shots]}]),
        (STREAM, run.settings.base + run.contract.operation(STREAM).fill(video_id=video), {"timeline": [list(shots[0])], "length": job.video.length}),
    )
    for operation_id, url, request in requests:
        try:
            answer = run.client.post_json(url, request)
        except (TransportError, RequestRefused) as error:
            run.findings.fail(Finding(PHASE, NO_ANSWER, f"{operation_id} with {job.subject}'s shots", f"no answer: {error}"))
            continue
        problem = None if answer.status == 200 else f"{operation_id} refused the shots of a done clip with {answer.status}"
        if problem is None:
            found = run.contract.answer_problems(operation_id, 200, answer.json())
            problem = f"{operation_id} 200 breaks openapi.yaml: " + "; ".join(found) if found else None
        if problem is None:
            run.findings.passed(PHASE, REAL_SHOTS)
        else:
            run.findings.fail(Finding(PHASE, REAL_SHOTS, job.subject, problem, answer.describe(), (answer.curl(),)))
    return True
