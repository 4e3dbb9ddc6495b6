"""Tenants kept apart: with ``--second-api-key``, what the run's key made is invisible to the other key.

The first job of the run, polled with the other key, must answer 404 or 401, never the job; every
video the run uploaded must be neither fetched nor listed under the other key.
"""

from __future__ import annotations

from . import job_contract as kinds
from .contract import GET_VIDEO, LIST_VIDEOS
from .findings import Finding
from .lifecycle import PHASE, LifecycleRun, TrackedJob

CHECK = "tenants_kept_apart"


def expected_checks(run: LifecycleRun) -> tuple[str, ...]:
    return (CHECK,) if run.settings.second_api_key else ()


def probe_tenants(run: LifecycleRun) -> None:
    other = run.settings.second_api_key
    if not other or not run.jobs:
        return
    first = run.jobs[0]
    _refused(run, first, f"{first.subject}'s output_url", first.output_url, other)
    for job in run.jobs:
        data = job.terminal.json().get("data") if job.kind == kinds.UPLOAD and job.terminal is not None else None
        if not isinstance(data, dict) or not str(data.get("id", "")).startswith("m-"):
            continue
        if run.contract.has(GET_VIDEO):
            url = run.settings.base + run.contract.operation(GET_VIDEO).fill(video_id=data["id"])
            _refused(run, job, f"the uploaded video {data['id']}", url, other)
        if run.contract.has(LIST_VIDEOS):
            _not_listed(run, job, data["id"], data.get("collection_id"), other)


def _refused(run: LifecycleRun, job: TrackedJob, what: str, url: str, key: str) -> None:
    answer = run.ask(job, CHECK, f"{what} under the other key", lambda: run.client.get_as(url, key))
    if answer is None:
        return
    if answer.status in (401, 404):
        run.findings.passed(PHASE, CHECK)
        return
    problem = f"{what}, asked for under --second-api-key, answered {answer.status}: one tenant sees another's"
    run.findings.fail(Finding(PHASE, CHECK, job.subject, problem, answer.describe(), (answer.curl(),)))


def _not_listed(run: LifecycleRun, job: TrackedJob, video_id: str, collection_id: object, key: str) -> None:
    url = run.settings.base + run.contract.operation(LIST_VIDEOS).fill()
    if isinstance(collection_id, str):
        url += f"?collection_id={collection_id}"
    answer = run.ask(job, CHECK, "the video list under the other key", lambda: run.client.get_as(url, key))
    if answer is None:
        return
    body = answer.json()
    videos = (body.get("data") or {}).get("videos") if isinstance(body, dict) else None
    listed = isinstance(videos, list) and any(isinstance(v, dict) and v.get("id") == video_id for v in videos)
    if not listed:
        run.findings.passed(PHASE, CHECK)
        return
    problem = f"the other key's video list shows {video_id}, which the run's key uploaded"
    run.findings.fail(Finding(PHASE, CHECK, job.subject, problem, answer.describe(), (answer.curl(),)))
