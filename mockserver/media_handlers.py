"""The VideoDB operations beyond clip: uploads, indexes, search, transcripts, scenes, delete, thumbnail.

Like handlers.py: each is named after its ``operationId``, takes validated input, makes one
domain call and renders the answer. Python sends every optional key as ``null``: ``_given``
reads such a key as absent, so the contract's default applies.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from . import render
from .addresses import own_addresses
from .emulator import Emulator
from .handlers import Answer, Call, Handler
from .launcher import JobOptions
from .library import SceneIndex
from .preferences import parse_prefer
from .searches import Found, Query, SearchWarning

UPLOAD_TARGET = "/upload-target/"  # the path of the upload URLs handed out, before the token
SEARCH_DEFAULTS = {"search_type": "semantic", "index_type": "spoken_word", "score_threshold": 0.2, "result_threshold": 5}
V2_TOP_K = 10


def _given(body: dict[str, Any], name: str, default: Any = None) -> Any:
    value = body.get(name)
    return default if value is None else value


def job_options(call: Call) -> JobOptions:
    prefer = call.header("prefer")
    callback_url = _given(call.body or {}, "callback_url")
    reached_at = own_addresses(call.base_url, call.server) if callback_url else ()
    return JobOptions(parse_prefer(prefer) if prefer else None, call.base_url, callback_url, reached_at)


def started(call: Call, job: Any) -> Answer:
    call.job, call.created = job, True
    return render.processing_json(job.id, call.base_url)


class MediaHandlers:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def by_operation_id(self) -> dict[str, Handler]:
        return {
            "getUploadUrl": self.get_upload_url,
            "receiveUpload": self.receive_upload,
            "uploadMedia": self.upload_media,
            "indexSpokenWords": self.index_spoken_words,
            "searchVideo": self.search_video,
            "searchVideoV2": self.search_video_v2,
            "searchCollection": self.search_collection,
            "searchCollectionV2": self.search_collection_v2,
            "getTranscript": self.get_transcript,
            "generateTranscript": self.generate_transcript,
            "indexScenes": self.index_scenes,
            "listSceneIndexes": self.list_scene_indexes,
            "getSceneIndex": self.get_scene_index,
            "deleteVideo": self.delete_video,
            "getThumbnail": self.get_thumbnail,
        }

    # Uploads ------------------------------------------------------------------------------------
    def get_upload_url(self, call: Call) -> Answer:
        slot = self.emulator.uploads.upload_url(call.key, call.params["collection_id"], call.params["name"])
        return {"success": True, "data": {"upload_url": f"{call.base_url}{UPLOAD_TARGET}{slot.token}"}}

    def receive_upload(self, call: Call) -> Answer:
        slot = self.emulator.uploads.receive(call.params["token"], call.body)
        call.key = slot.key  # the token says whose upload it is: the journal files it there
        return {"success": True, "data": {"size": slot.received.size if slot.received else 0}}

    def upload_media(self, call: Call) -> Answer:
        body = call.body
        url = body["url"]
        target = urlsplit(url)
        own = f"{target.scheme}://{target.netloc}" == call.base_url and target.path.startswith(UPLOAD_TARGET)
        job = self.emulator.uploads.upload(
            call.key,
            call.params["collection_id"],
            url,
            name=_given(body, "name"),
            description=_given(body, "description"),
            media_type=_given(body, "media_type"),
            slot_token=target.path[len(UPLOAD_TARGET):] if own else None,
            options=job_options(call),
        )
        return started(call, job)

    # Indexes and transcripts --------------------------------------------------------------------
    def index_spoken_words(self, call: Call) -> Answer:
        return started(call, self.emulator.indexes.index_spoken_words(call.key, call.params["video_id"], job_options(call)))

    def generate_transcript(self, call: Call) -> Answer:
        return started(call, self.emulator.indexes.generate_transcript(call.key, call.params["video_id"], job_options(call)))

    def get_transcript(self, call: Call) -> Answer:
        p = call.params
        pieces = self.emulator.indexes.transcript(call.key, p["video_id"], p["segmenter"], p["length"], p["start"], p["end"])
        return {"success": True, "data": render.transcript(pieces)}

    def index_scenes(self, call: Call) -> Answer:
        body = call.body or {}
        config = _given(body, "extraction_config", {})
        window = config.get("time") if isinstance(config.get("time"), (int, float)) else None
        job = self.emulator.indexes.index_scenes(
            call.key, call.params["video_id"], _given(body, "extraction_type", "shot"), window, _given(body, "name"), job_options(call)
        )
        return started(call, job)

    def list_scene_indexes(self, call: Call) -> Answer:
        indexes = self.emulator.indexes.scene_indexes(call.key, call.params["video_id"], call.params["collection_id"])
        listed = [{"scene_index_id": i.id, "name": i.name, "status": "done", "extraction_type": i.extraction_type} for i in indexes]
        return {"success": True, "data": {"scene_indexes": listed}}

    def get_scene_index(self, call: Call) -> Answer:
        p = call.params
        index = self.emulator.indexes.scene_index(call.key, p["video_id"], p["scene_index_id"], p["collection_id"])
        records = [{"start": render.number(r.start), "end": render.number(r.end), "description": r.text} for r in index.records]
        return {"success": True, "data": {"scene_index_records": records}}

    # Search -------------------------------------------------------------------------------------
    def search_video(self, call: Call) -> Answer:
        found = self.emulator.searches.in_video(call.key, call.params["video_id"], _legacy_query(call.body))
        return {"success": True, "data": {"results": [_result(found)]}}

    def search_video_v2(self, call: Call) -> Answer:
        return _v2_answer(*self.emulator.searches.in_video_v2(call.key, call.params["video_id"], _v2_query(call.body)))

    def search_collection(self, call: Call) -> Answer:
        found, _ = self.emulator.searches.in_collection(call.key, call.params["collection_id"], _legacy_query(call.body), v2=False)
        return {"success": True, "data": {"results": [_result(f) for f in found]}}

    def search_collection_v2(self, call: Call) -> Answer:
        return _v2_answer(*self.emulator.searches.in_collection(call.key, call.params["collection_id"], _v2_query(call.body), v2=True))

    # Delete and thumbnail -----------------------------------------------------------------------
    def delete_video(self, call: Call) -> Answer:
        video = self.emulator.catalog.delete(call.key, call.params["video_id"], call.params["collection_id"])
        return {"success": True, "message": f"video {video.id} deleted"}

    def get_thumbnail(self, call: Call) -> Answer:
        video = self.emulator.video(call.key, call.params["video_id"])
        return {"success": True, "data": {"thumbnail_url": render.thumbnail_url(video, call.base_url)}}


def _legacy_query(body: dict[str, Any]) -> Query:
    given = {name: _given(body, name, default) for name, default in SEARCH_DEFAULTS.items()}
    return Query(
        body["query"], given["search_type"], given["index_type"], given["score_threshold"], given["result_threshold"], _given(body, "scene_index_id")
    )


def _v2_query(body: dict[str, Any]) -> Query:
    return Query(body["query"], score_threshold=_given(body, "score_threshold", 0.0), limit=_given(body, "top_k", V2_TOP_K))


def _doc(shot: Any, index: SceneIndex | None) -> dict[str, Any]:
    doc = render.shot(shot)
    if index is not None:
        doc["scene_index_id"], doc["scene_index_name"] = index.id, index.name
    return doc


def _result(found: Found) -> dict[str, Any]:
    return render.search_result(found.video, [_doc(s, found.scene_index) for s in found.docs])


def _v2_answer(found: list[Found], warnings: list[SearchWarning]) -> Answer:
    data = {"response_type": "shots", "results": [_result(f) for f in found], "warnings": [w._asdict() for w in warnings]}
    return {"success": True, "data": data}
