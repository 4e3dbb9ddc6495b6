"""What an SDK calls next on a job's result, sent as the SDK sends it: the result must be found there
(an uploaded video fetched, a scene index listed), and each call must answer 200 in the contract's shape. A spoken-word index is searched (in the video and in its collection, legacy and
v2); a scene index is read; the video's transcript and thumbnail are fetched; with --upload-url, a
file goes through an upload URL, and the run's uploaded videos are deleted at its end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import job_contract as kinds
from .client import Exchange
from .contract import GET_VIDEO
from .findings import Finding
from .lifecycle import PHASE, LifecycleRun, TrackedJob

CHECK = "sdk_next_calls_served"
UPLOAD_FOUND = "upload_becomes_video"
SCENES_LISTED = "scene_index_listed"
LIST_SCENE_INDEXES = "listSceneIndexes"
SEARCH_QUERY = "the"  # any transcript has it: the answer may still hold no shots, which is fine
PROBE_FILE = b"conform probe: not a real video\n"


def expected_checks(run: LifecycleRun) -> tuple[str, ...]:
    wanted = (kinds.SPOKEN_INDEX, kinds.SCENE_INDEX, "getTranscript", "getThumbnail")
    return (CHECK,) if any(run.contract.has(operation) for operation in wanted) else ()


def _url(run: LifecycleRun, operation_id: str, **values: str) -> str:
    return run.settings.base + run.contract.operation(operation_id).fill(**values)


def _judge(run: LifecycleRun, job: TrackedJob, operation_id: str, send: Callable[[], Exchange]) -> Exchange | None:
    answer = run.ask(job, CHECK, operation_id, send)
    if answer is None:
        return None
    problems = run.contract.answer_problems(operation_id, answer.status, answer.json()) if answer.status == 200 else None
    if answer.status != 200:
        problem: str | None = f"{operation_id}, called as the SDK calls it after {job.subject} ended done, answered {answer.status}"
    elif problems:
        problem = f"{operation_id} 200 breaks openapi.yaml: " + "; ".join(problems)
    else:
        problem = None
    if problem is None:
        run.findings.passed(PHASE, CHECK)
        return answer
    run.findings.fail(Finding(PHASE, CHECK, job.subject, problem, answer.describe(), (answer.curl(),)))
    return None


def _expect(run: LifecycleRun, job: TrackedJob, check: str, url: str, holds: Callable[[dict[str, Any]], bool], what: str) -> None:
    """A GET that must answer 200 with a body for which ``holds`` is true."""
    answer = run.ask(job, check, what, lambda: run.client.get(url))
    if answer is None:
        return
    body = answer.json() if answer.status == 200 else None
    if isinstance(body, dict) and holds(body):
        run.findings.passed(PHASE, check)
        return
    problem = f"{what} was not found after the job ended done: GET answered {answer.status} {answer.describe(300)}"
    run.findings.fail(Finding(PHASE, check, job.subject, problem, job.evidence(), (*job.reproduction(), answer.curl())))


def _find_result(run: LifecycleRun, job: TrackedJob, data: dict[str, Any]) -> None:
    """The result itself must be found where the SDK looks next: the uploaded video; the scene index in the list."""
    if job.kind == kinds.UPLOAD and str(data.get("id", "")).startswith("m-") and run.contract.has(GET_VIDEO):
        url = _url(run, GET_VIDEO, video_id=data["id"])
        _expect(run, job, UPLOAD_FOUND, url, lambda body: (body.get("data") or {}).get("id") == data["id"], f"the uploaded video {data['id']}")
    if job.kind == kinds.SCENE_INDEX and run.contract.has(LIST_SCENE_INDEXES):
        wanted = data.get("scene_index_id")

        def listed(body: dict[str, Any]) -> bool:
            indexes = (body.get("data") or {}).get("scene_indexes")
            return isinstance(indexes, list) and any(isinstance(i, dict) and i.get("scene_index_id") == wanted for i in indexes)

        _expect(run, job, SCENES_LISTED, _url(run, LIST_SCENE_INDEXES, video_id=job.video.id), listed, f"scene index {wanted} among the video's scene indexes")


def call_next(run: LifecycleRun, job: TrackedJob, data: dict[str, Any]) -> None:
    _find_result(run, job, data)
    video, collection = job.video.id, job.video.collection_id or "default"
    has = run.contract.has
    if job.kind == kinds.SPOKEN_INDEX:
        legacy = {"query": SEARCH_QUERY, "search_type": "semantic", "index_type": "spoken_word", "score_threshold": 0.2, "result_threshold": 5}
        for operation_id, values, body in (
            ("searchVideo", {"video_id": video}, legacy),
            ("searchVideoV2", {"video_id": video}, {"query": SEARCH_QUERY}),
            ("searchCollection", {"collection_id": collection}, legacy),
            ("searchCollectionV2", {"collection_id": collection}, {"query": SEARCH_QUERY}),
        ):
            if has(operation_id):
                _judge(run, job, operation_id, lambda: run.client.post_json(_url(run, operation_id, **values), body))
    if job.kind == kinds.SCENE_INDEX and has("getSceneIndex") and data.get("scene_index_id"):
        url = _url(run, "getSceneIndex", video_id=video, scene_index_id=str(data["scene_index_id"]))
        _judge(run, job, "getSceneIndex", lambda: run.client.get(url))
    if job.kind == kinds.TRANSCRIPT:
        for operation_id, query in (("getTranscript", "?segmenter=word&length=1&force=false"), ("getThumbnail", "")):
            if has(operation_id):
                _judge(run, job, operation_id, lambda: run.client.get(_url(run, operation_id, video_id=video) + query))
    if job.kind == kinds.UPLOAD and has("getUploadUrl") and has("receiveUpload"):
        _upload_a_file(run, job, collection)


def _upload_a_file(run: LifecycleRun, job: TrackedJob, collection: str) -> None:
    """An upload URL, and a small file posted to it as Python posts it (multipart, no key). The upload
    job that would follow is not started: it costs a job, and upload jobs are judged already."""
    answer = _judge(run, job, "getUploadUrl", lambda: run.client.get(_url(run, "getUploadUrl", collection_id=collection) + "?name=conform-probe"))
    target = ((answer.json() or {}).get("data") or {}).get("upload_url") if answer is not None else None
    if isinstance(target, str):
        run.client.policy.allow_list.admit(target)
        _judge(run, job, "receiveUpload", lambda: run.client.post_file(target, "conform-probe.mp4", PROBE_FILE))


def clean_up(run: LifecycleRun) -> None:
    """Delete the videos the run uploaded (an SDK's video.delete()): the account is left as it was."""
    if not run.contract.has("deleteVideo"):
        return
    for job in run.jobs:
        data = job.terminal.json().get("data") if job.kind == kinds.UPLOAD and job.terminal is not None else None
        if isinstance(data, dict) and str(data.get("id", "")).startswith("m-"):
            url = _url(run, "deleteVideo", video_id=data["id"])
            _judge(run, job, "deleteVideo", lambda: run.client.send_as("DELETE", url, run.client.api_key))
