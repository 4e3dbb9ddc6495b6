"""The VideoDB operations: validated input in, a domain call, a JSON answer out.

Each handler is named after its ``operationId`` in openapi.yaml; the app finds it there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import render
from .emulator import Emulator
from .jobs import Job
from .model import ClipRequest
from .addresses import own_addresses
from .preferences import parse_prefer


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a setattr call per field, per request
class Call:
    """One validated request: whose it is, its parameters and body, and where it came in."""

    key: str
    params: dict[str, Any]
    body: Any
    base_url: str
    headers: Mapping[bytes, bytes]  # raw: read them with header()
    server: tuple[str, int] | None = None  # the listening socket that took the request
    job: Job | None = None  # the job it created or read, for the request log
    created: bool = False

    def header(self, name: str) -> str | None:
        """A request header by (lower-case) name, decoded."""
        value = self.headers.get(name.encode("latin-1"))
        return None if value is None else value.decode("latin-1")


Answer = dict[str, Any] | bytes  # a JSON object, or one already encoded
# A handler answers at once; one with slow work to do (a fixtures reload) returns a coroutine.
Handler = Callable[[Call], Answer | Awaitable[Answer]]


class VideoDbHandlers:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def by_operation_id(self) -> dict[str, Handler]:
        return {
            "getDefaultCollection": self.get_default_collection,
            "getCollection": self.get_collection,
            "listVideos": self.list_videos,
            "getVideo": self.get_video,
            "createClip": self.create_clip,
            "getAsyncResponse": self.get_async_response,
            "compileShots": self.compile_shots,
            "generateStream": self.generate_stream,
        }

    def get_default_collection(self, call: Call) -> Answer:
        return {"success": True, "data": render.collection(self.emulator.collection())}

    def get_collection(self, call: Call) -> Answer:
        return {"success": True, "data": render.collection(self.emulator.collection(call.params["collection_id"]))}

    def list_videos(self, call: Call) -> Answer:
        videos = self.emulator.videos(call.key, call.params["collection_id"])
        return {"success": True, "data": {"videos": [render.video(v, call.base_url) for v in videos]}}

    def get_video(self, call: Call) -> Answer:
        video = self.emulator.video(call.key, call.params["video_id"], call.params["collection_id"])
        return {"success": True, "data": render.video(video, call.base_url)}

    def create_clip(self, call: Call) -> Answer:
        body = call.body
        request = ClipRequest(call.params["video_id"], body["prompt"], body["content_type"], body["model_name"], body.get("scene_index_id"))
        prefer = call.header("prefer")
        preference = parse_prefer(prefer) if prefer else None
        callback_url = body.get("callback_url")
        reached_at = own_addresses(call.base_url, call.server) if callback_url else ()
        job = self.emulator.create_clip(call.key, request, preference, call.base_url, callback_url, reached_at)
        call.job, call.created = job, True
        return render.processing_json(job.id, call.base_url)

    def get_async_response(self, call: Call) -> Answer:
        job = call.job = self.emulator.poll(call.key, call.params["job_id"])
        return render.job(job, self.emulator.engine.kind(job), call.base_url)

    def compile_shots(self, call: Call) -> Answer:
        parts = []
        for index, item in enumerate(call.body):
            timeline = [(start, end) for start, end in item["shots"]]
            self.emulator.check_timeline(call.key, item["video_id"], timeline, f"body[{index}].shots", item.get("collection_id"))
            parts.append((item["video_id"], timeline))
        return {"success": True, "data": render.stream_urls(call.base_url, self.emulator.stream_slug(parts))}

    def generate_stream(self, call: Call) -> Answer:
        video_id = call.params["video_id"]
        timeline = [(start, end) for start, end in call.body["timeline"]]
        self.emulator.check_timeline(call.key, video_id, timeline, "body.timeline")
        return {"success": True, "data": render.stream_urls(call.base_url, self.emulator.stream_slug([(video_id, timeline)]))}
