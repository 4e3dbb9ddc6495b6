"""The clip job contract, one rule per function: each returns what is wrong with an answer, or None.

A job answers ``processing`` until it ends, then ``done`` or ``failed`` for good (openapi.yaml,
``getAsyncResponse``). The functions know nothing of HTTP or of time; the lifecycle phase feeds them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

PROCESSING = "processing"
TERMINAL = ("done", "failed")
ALLOWED_STATUSES = (PROCESSING, *TERMINAL)
_LENGTH_TOLERANCE = 1e-6  # seconds: lengths and shot ends are decimals that went through floats


def status_of(body: Any) -> Any:
    return body.get("status") if isinstance(body, dict) else None


def short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"


# Node's SDK renames every key of every answer with lodash's camelCase (split on anything not a
# letter or digit, on case changes and on digits; lower-case; join) and, when two keys land on one
# name, keeps the later. Lower snake_case keys cannot land on a declared key's name (declared keys
# hold no digits), so an extra key the SDK does not know can never replace one it reads.
ANSWER_KEY = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def key_not_snake(body: Any, where: str = "body") -> str | None:
    """The first key, at any depth of an answer, that is not lower snake_case."""
    if isinstance(body, dict):
        for key, value in body.items():
            if not isinstance(key, str) or ANSWER_KEY.fullmatch(key) is None:
                return f"{where} has the key {short(key, 60)}, not lower snake_case: Node's SDK camel-cases keys, and this one could replace a key it reads"
            found = key_not_snake(value, f"{where}.{key}")
            if found:
                return found
    elif isinstance(body, list):
        for index, item in enumerate(body):
            found = key_not_snake(item, f"{where}[{index}]")
            if found:
                return found
    return None


# A compile request takes at most 100 shots, and Python's SearchResult.compile() sends every shot of a
# clip in one: a clip with more could not be compiled by the SDK that asked for it.
MAX_SHOTS = 100


def too_many_shots(body: Any) -> str | None:
    """A done clip answer (or its callback) holding more shots in all than one compile takes. (A
    search answer may hold more: it is read more often than compiled, and says no `status`.)"""
    if not isinstance(body, dict) or body.get("status") != "done":
        return None
    data = body.get("data")
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return None
    shots = sum(len(r["docs"]) for r in results if isinstance(r, dict) and isinstance(r.get("docs"), list))
    if shots > MAX_SHOTS:
        return f"the clip holds {shots} shots in all; Python compiles them in one request, which takes at most {MAX_SHOTS}"
    return None


def answer_rules_broken(body: Any) -> str | None:
    """The job contract's rules on any answer that JSON Schema cannot state: snake_case keys, and a
    clip's shots in all."""
    return key_not_snake(body) or too_many_shots(body)


def status_not_allowed(body: Any) -> str | None:
    if not isinstance(body, dict):
        return f"the answer is not a JSON object: {short(body)}"
    status = body.get("status")
    if status not in ALLOWED_STATUSES:
        return f"status {short(status)} is none of {', '.join(ALLOWED_STATUSES)}; the SDKs stop polling on any other word"
    return None


def _nonempty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


# The operations that start a job, by operationId: what their done answer's data must hold for the SDKs.
CLIP = "createClip"
UPLOAD = "uploadMedia"
SPOKEN_INDEX = "indexSpokenWords"
TRANSCRIPT = "generateTranscript"
SCENE_INDEX = "indexScenes"


def done_data_broken(data: Any, kind: str) -> str | None:
    """What a done answer of this kind lacks that an SDK reads (a clip's results and docs; an upload's
    id, and a video's collection_id and length; a transcript's words; a scene index's id)."""
    if kind == CLIP:
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            return f"a done answer needs data.results as an array, got data = {short(data)}"
        for index, result in enumerate(results):
            if not isinstance(result, dict) or not isinstance(result.get("docs"), list):
                return f"data.results[{index}] needs docs as an array, got {short(result)}"
        return None
    if not isinstance(data, dict):
        return f"a done answer needs data as an object (the SDKs read fields from it), got {short(data)}"
    if kind == UPLOAD:
        if not _nonempty_string(data.get("id")):
            return f"a done upload needs data.id (Python returns None without it), got data = {short(data)}"
        if data["id"].startswith("m-") and (not _nonempty_string(data.get("collection_id")) or data.get("length") is None):
            return f"an uploaded video needs collection_id and a length that is not null (Python's Video needs both), got {short(data)}"
    elif kind == TRANSCRIPT and not isinstance(data.get("word_timestamps"), list):
        return f"a done transcript needs data.word_timestamps as an array, got data = {short(data)}"
    elif kind == SCENE_INDEX and not _nonempty_string(data.get("scene_index_id")):
        return f"a done scene index needs data.scene_index_id, got data = {short(data)}"
    return None


def shape_broken(body: dict[str, Any], kind: str = CLIP) -> str | None:
    """Each state's answer has its shape: processing a job ref, done its kind's data, failed a message."""
    status = body.get("status")
    data = body.get("data")
    if status == PROCESSING:
        if body.get("success") is not True:
            return "a processing answer needs success: true"
        if not isinstance(data, dict) or not _nonempty_string(data.get("id")) or not _nonempty_string(data.get("output_url")):
            return f"a processing answer needs data.id and data.output_url, got data = {short(data)}"
        if "request_type" in body:
            return "a processing answer must not carry request_type (both SDKs crash on it)"
    elif status == "done":
        if body.get("success") is not True:
            return "a done answer needs success: true"
        return done_data_broken(data, kind)
    elif status == "failed":
        if body.get("success") is not False:
            return "a failed answer needs success: false"
        if not _nonempty_string(body.get("message")):
            return "a failed answer needs a message saying why"
    return None


def output_url_not_absolute(url: Any) -> str | None:
    if not isinstance(url, str):
        return f"output_url is {short(url)}, not a URL"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"output_url {url!r} is not an absolute http(s) URL; the Python SDK cannot poll a relative one"
    return None


def _results(body: dict[str, Any]) -> list[Any]:
    data = body.get("data")
    results = data.get("results") if isinstance(data, dict) else None
    return results if isinstance(results, list) else []


def elsewhere_than(body: dict[str, Any], video_id: str) -> str | None:
    """A done clip is made of the requested video, and names it."""
    results = _results(body)
    if not results:
        return f"the done clip names no video; {video_id} was requested"
    others = sorted({str(result.get("video_id")) for result in results if isinstance(result, dict) and result.get("video_id") != video_id})
    if others:
        return f"the done clip points at {', '.join(others)}; {video_id} was requested"
    return None


def shots_outside(body: dict[str, Any], length: float | None) -> str | None:
    """Every shot lies inside its video: 0 <= start < end <= length."""
    for index, result in enumerate(_results(body)):
        docs = result.get("docs") if isinstance(result, dict) else None
        for position, doc in enumerate(docs if isinstance(docs, list) else []):
            start = doc.get("start") if isinstance(doc, dict) else None
            end = doc.get("end") if isinstance(doc, dict) else None
            where = f"results[{index}].docs[{position}]"
            if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (start, end)):
                return f"{where} has start {short(start)} and end {short(end)}, not numbers"
            if not 0 <= start < end:
                return f"{where} = [{start}, {end}] breaks 0 <= start < end"
            if length is not None and end > length + _LENGTH_TOLERANCE:
                return f"{where} = [{start}, {end}] ends after the video does ({length:g}s)"
    return None


def ids_inconsistent(body: dict[str, Any], job_id: str, output_url: str, collection_id: str | None) -> str | None:
    """While processing the answer names the same job and URL; once done it names the video's collection."""
    status = body.get("status")
    data = body.get("data")
    if status == PROCESSING and isinstance(data, dict):
        if data.get("id") != job_id:
            return f"the job created as {job_id!r} now answers as {short(data.get('id'))}"
        if data.get("output_url") != output_url:
            return f"the output_url changed from {output_url!r} to {short(data.get('output_url'))}"
    if status == "done" and collection_id is not None:
        for index, result in enumerate(_results(body)):
            if isinstance(result, dict) and result.get("collection_id") != collection_id:
                return f"results[{index}].collection_id is {short(result.get('collection_id'))}, but the video is in {collection_id!r}"
    return None


def changed_after_terminal(first: Any, again: Any) -> str | None:
    """A terminal answer never changes: a repeated poll returns the same JSON."""
    if first == again:
        return None
    if status_of(first) != status_of(again):
        return f"a repeated poll answered status {status_of(again)!r} after {status_of(first)!r}"
    return f"a repeated poll answered a different body: {short(again)}"


def went_backwards(terminal_status: str, status: Any) -> str | None:
    if status != terminal_status:
        return f"the job answered {terminal_status!r} and then {short(status)}; a terminal state is final"
    return None


def not_an_error_body(body: Any, content_type: str) -> bool:
    """Whether a refusal lacks the contract's error body: JSON with ``success: false`` and a message."""
    if not content_type.startswith("application/json") or not isinstance(body, dict):
        return True
    return body.get("success") is not False or not _nonempty_string(body.get("message"))
