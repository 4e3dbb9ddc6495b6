"""The JSON shapes of the VideoDB answers, as the official SDKs read them.

URLs point back at the emulator (``base`` is the scheme and host it is reached at, or the
configured public URL), so a client that follows one never leaves it.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _string  # JSON string literal, non-ASCII kept as is
from typing import Any

from .jobs import Job
from .kinds import JobKind
from .model import Collection, Segment, Shot, Video
from .outcomes import JobStatus


# The one encoder of every JSON the emulator sends (answers, given answers, callbacks): compact,
# non-ASCII kept, no NaN. Built once: json.dumps with options builds a new encoder on each call.
encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def number(value: float) -> float | int:
    """Whole seconds as integers, so answers read as naturally as the real ones."""
    return int(value) if float(value).is_integer() else value


def stream_urls(base: str, slug: str) -> dict[str, str]:
    return {
        "stream_url": f"{base}/media/{slug}/stream.m3u8",
        "player_url": f"{base}/watch?v={slug}",
    }


def collection(item: Collection) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "description": item.description, "is_public": item.is_public}


def video(item: Video, base: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "collection_id": item.collection_id,
        "name": item.name,
        "description": item.description,
        "length": number(item.length),
    }
    if item.size is not None:
        body["size"] = item.size
    body.update(stream_urls(base, item.id))
    body["thumbnail_url"] = thumbnail_url(item, base)
    return body


def thumbnail_url(item: Video, base: str) -> str:
    return f"{base}/media/{item.id}/thumbnail.jpg"


def media(item: Video, media_type: str, base: str) -> dict[str, Any]:
    """An upload's answer: a video as listed, or the audio or image the SDKs build from it."""
    if media_type == "video":
        return video(item, base)
    body: dict[str, Any] = {"id": item.id, "collection_id": item.collection_id, "name": item.name}
    if media_type == "audio":
        body["length"] = number(item.length)
    else:
        body["url"] = f"{base}/media/{item.id}/image.jpg"
    return body


def span(item: Segment) -> dict[str, Any]:
    return {"start": number(item.start), "end": number(item.end), "text": item.text}


def transcript(pieces: list[Segment]) -> dict[str, Any]:
    return {"word_timestamps": [span(p) for p in pieces], "text": " ".join(p.text for p in pieces)}


def search_result(item: Video, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """One video's part of a search or clip answer: its docs are its shots."""
    return {"collection_id": item.collection_id, "video_id": item.id, "title": item.name, "length": number(item.length), "docs": docs}


def shot(item: Shot) -> dict[str, Any]:
    return {"start": number(item.start), "end": number(item.end), "text": item.text, "score": item.score}


def output_url(base: str, job_id: str) -> str:
    return f"{base}/async-response/{job_id}"


def job(item: Job, kind: JobKind, base: str) -> dict[str, Any]:
    """One poll's answer, for a job of any kind: processing, done (with its kind's data) or failed."""
    status = item.status
    if status is JobStatus.PROCESSING:
        return processing(item.id, base)
    if status is JobStatus.FAILED:
        return {"success": False, "status": "failed", "message": item.outcome.message or kind.failure_message}
    return {"success": True, "status": "done", "data": kind.final_data(item, base)}


def processing(job_id: str, base: str) -> dict[str, Any]:
    return {"success": True, "status": "processing", "data": {"id": job_id, "output_url": output_url(base, job_id)}}


def processing_json(job_id: str, base: str) -> bytes:
    """``processing(...)`` already encoded, byte for byte as the JSON encoder writes it.

    Every job-creating request answers this; writing it out costs a fifth of running the
    encoder. Only the two strings vary, and they are escaped by the encoder's own function.
    """
    return (
        f'{{"success":true,"status":"processing","data":{{"id":{_string(job_id)},'
        f'"output_url":{_string(output_url(base, job_id))}}}}}'
    ).encode("utf-8")
