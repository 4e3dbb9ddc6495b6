"""The operations of VideoDB's published API that the emulator does not serve: each answers 501.

A client calling one learns that the emulator does not cover it (and where the README lists what
it does) instead of a bare 404 that reads like a typo. Paths that are neither here nor in
openapi.yaml stay 404. The list is the published API's operations less those openapi.yaml serves.
"""

from __future__ import annotations

import re

_PUBLISHED_NOT_SERVED = """
    GET /
    GET /user
    GET /user/api_key
    POST /user/api_key
    DELETE /user/api_key/{api_key}
    GET /collection
    POST /collection
    PATCH /collection/{collection_id}
    DELETE /collection/{collection_id}
    PATCH /video/{video_id}
    DELETE /video/{video_id}/storage
    POST /video/{video_id}/thumbnail
    GET /video/{video_id}/thumbnails
    GET /video/{video_id}/index
    GET /video/{video_id}/scenes
    POST /video/{video_id}/scenes
    POST /video/{video_id}/scene/{scene_id}/describe
    POST /video/{video_id}/frame/{frame_id}/describe
    POST /video/{video_id}/workflow
    GET /audio
    GET /audio/{audio_id}
    PATCH /audio/{audio_id}
    DELETE /audio/{audio_id}
    POST /audio/{audio_id}/generate_url
    GET /image
    GET /image/{image_id}
    PATCH /image/{image_id}
    DELETE /image/{image_id}
    POST /image/{image_id}/generate_url
    POST /collection/{collection_id}/generate/image
    POST /collection/{collection_id}/generate/video
    POST /collection/{collection_id}/generate/audio
    POST /collection/{collection_id}/generate/text
    POST /timeline
    GET /billing/usage
    POST /billing/checkout
    GET /billing/checkouts
    GET /billing/invoices
    POST /billing/topup
    GET /billing/auto_recharge
    POST /billing/auto_recharge
    GET /download
    POST /download
    DELETE /download
    GET /download/{download_id}
    POST /download/{download_id}
    POST /chat/completions
    POST /timeline_v2
    POST /timeline_v2/download
    DELETE /video/{video_id}/index/scene/{scene_index_id}
    GET /audio/{audio_id}/transcription
    POST /audio/{audio_id}/transcription
    GET /collection/{collection_id}/websocket
    POST /collection/{collection_id}/search/title
    POST /collection/{collection_id}/search/web
    POST /collection/{collection_id}/generate/video/dub
    POST /collection/{collection_id}/video/{video_id}/translate
    GET /video/{video_id}/scenes/{scene_collection_id}
    PATCH /video/{video_id}/scenes/{scene_collection_id}
    DELETE /video/{video_id}/scenes/{scene_collection_id}
    POST /video/{video_id}/index/delete
    POST /video/{video_id}/reframe
    GET /video/{video_id}/reframe/{reframe_id}
    GET /assets
    PUT /user/api-key-collections
    POST /editor
    POST /editor/download
    POST /transcode
    GET /transcode/{job_id}
    POST /collection/{collection_id}/meeting/record
    GET /collection/{collection_id}/meeting/{bot_id}
    GET /video/{video_id}/meeting
    GET /collection/{collection_id}/capture/session
    POST /collection/{collection_id}/capture/session
    GET /collection/{collection_id}/capture/session/{session_id}
    POST /capture/session/token
    POST /capture/session/start
    GET /capture/session/{streaming_session_id}
    POST /capture/session/{streaming_session_id}/stop
    GET /rtstream
    POST /rtstream
    GET /rtstream/{stream_id}
    PATCH /rtstream/{stream_id}
    PATCH /rtstream/{stream_id}/status
    POST /rtstream/{stream_id}/export
    GET /rtstream/{stream_id}/index/scene
    POST /rtstream/{stream_id}/index/scene
    GET /rtstream/{stream_id}/index/{scene_index_id}
    GET /rtstream/{stream_id}/index/scene/{scene_index_id}
    PATCH /rtstream/{stream_id}/index/scene/{scene_index_id}
    PATCH /rtstream/{stream_id}/index/scene/{scene_index_id}/status
    POST /rtstream/{stream_id}/search
    GET /rtstream/{stream_id}/stream
    GET /rtstream/{stream_id}/transcription
    POST /rtstream/{stream_id}/transcription
    GET /rtstream/{stream_id}/transcription/status
    GET /rtstream/event
    POST /rtstream/event
    GET /rtstream/{stream_id}/index/{scene_index_id}/alert
    POST /rtstream/{stream_id}/index/{scene_index_id}/alert
    PATCH /rtstream/{stream_id}/index/{scene_index_id}/alert/{alert_id}/status
"""

WHAT_IS_EMULATED = "README.md, 'What is emulated'"


def _pattern(template: str) -> re.Pattern[str]:
    parts = (r"[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
    return re.compile("/".join(parts) + "$")


class NotEmulated:
    """Finds the published operation a request names, when the emulator does not serve it."""

    def __init__(self, served: set[tuple[str, str]]) -> None:
        self._operations: list[tuple[str, str, re.Pattern[str]]] = []
        for line in _PUBLISHED_NOT_SERVED.split("\n"):
            if line.strip():
                method, template = line.split()
                if (method, template) not in served:
                    self._operations.append((method, template, _pattern(template)))

    def __len__(self) -> int:
        return len(self._operations)

    def operation(self, method: str, path: str) -> str | None:
        """``"PATCH /video/{video_id}"`` when the request names such an operation, else None."""
        method = "GET" if method == "HEAD" else method
        for known, template, pattern in self._operations:
            if known == method and pattern.match(path):
                return f"{known} {template}"
        return None

    @staticmethod
    def message(operation: str) -> str:
        return f"{operation} is part of VideoDB's API but not emulated; see {WHAT_IS_EMULATED} for the operations that are"
