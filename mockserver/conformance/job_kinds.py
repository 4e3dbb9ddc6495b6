"""The lifecycle of every job kind beyond clip: one job of each, started as an SDK starts it, judged
by the same checks as clip jobs (shape by state, contract, ids, time, never backwards, lasting), and
followed to what the SDK does next (an uploaded video is fetched; a scene index is listed).

Each job costs one of the run's job budget. Uploads add a video to the account, so they are judged
only when ``--upload-url`` names media the deployment can fetch.
"""

from __future__ import annotations

from typing import Any

from . import job_contract as kinds
from .contract import GET_VIDEO
from .lifecycle import PHASE, LifecycleRun, TrackedJob
from .next_calls import LIST_SCENE_INDEXES, SCENES_LISTED, UPLOAD_FOUND, call_next

EVERY_KIND = "every_job_kind_lives"
UPLOAD_OPERATIONS = (kinds.UPLOAD, "getUploadUrl", "receiveUpload")  # judged only with --upload-url

# The bodies Python 0.5.1 sends when a caller gives nothing more: every key, null where unset (a
# deployment validating against the published spec refuses those nulls). Node's, which leave the keys
# out, are as the schema phase's minimal examples.
SDK_BODIES: dict[str, dict[str, Any]] = {
    kinds.SPOKEN_INDEX: {"index_type": "spoken_word", "language_code": None, "segmentation_type": "sentence", "force": False, "callback_url": None},
    kinds.TRANSCRIPT: {"force": False, "language_code": None},
    kinds.SCENE_INDEX: {
        "extraction_type": "shot",
        "extraction_config": {},
        "metadata": {},
        **dict.fromkeys(("prompt", "model_name", "model_config", "name", "scenes", "callback_url", "sandbox_id")),
    },
}
# An upload as Python sends it: all five keys.
PYTHON_UPLOAD_KEYS = ("name", "description", "callback_url", "media_type")


def kinds_to_judge(run: LifecycleRun) -> list[str]:
    """The job-creating operations beyond clip that the contract has and this run can exercise."""
    wanted = [kind for kind in SDK_BODIES if run.contract.has(kind)]
    return wanted + ([kinds.UPLOAD] if run.contract.has(kinds.UPLOAD) and run.settings.upload_url else [])


def expected_checks(run: LifecycleRun) -> tuple[str, ...]:
    """What the kinds must get to judge before the run may say CONFORMS."""
    wanted = kinds_to_judge(run)
    checks = (EVERY_KIND,) if wanted else ()
    if kinds.UPLOAD in wanted and run.contract.has(GET_VIDEO):
        checks += (UPLOAD_FOUND,)
    if kinds.SCENE_INDEX in wanted and run.contract.has(LIST_SCENE_INDEXES):
        checks += (SCENES_LISTED,)
    return checks


def judge_every_kind(run: LifecycleRun) -> None:
    """One job of each kind on the first video, polled until terminal, then followed up."""
    if run.contract.has(kinds.UPLOAD) and not run.settings.upload_url:
        run.findings.note(PHASE, "upload jobs not judged: pass --upload-url with media the deployment can fetch (each upload adds a video)")
    if not run.videos:
        return
    video = run.videos[0]
    started: list[TrackedJob] = []
    for kind in kinds_to_judge(run):
        if not run.can_create():
            run.findings.note(PHASE, f"{kind} jobs not judged: the job budget was spent")
            continue
        body = {"url": run.settings.upload_url, **dict.fromkeys(PYTHON_UPLOAD_KEYS)} if kind == kinds.UPLOAD else dict(SDK_BODIES[kind])
        job = run.create(body, video, kind=kind)
        if job is not None:
            started.append(job)
    run.settle(started)
    for job in started:
        if job.terminal is None:
            continue
        run.findings.say(f"lifecycle: {job.subject} ended {job.terminal.json().get('status')}")
        run.findings.passed(PHASE, EVERY_KIND)
        if job.terminal.json().get("status") == "done":
            call_next(run, job, job.terminal.json().get("data") or {})

