"""The upload job (``POST /collection/{id}/upload``): done, the key has a new video (or audio, or image).

Nothing is fetched. What an upload "contains" is a fixture video's: the one whose
``source_urls`` list the URL, else one picked by a stable hash of the URL (or of the uploaded
file's bytes) among the fixture videos whose clips do not always fail. The new video gets
that template's transcript, scenes and length under its own id, so search and clip find real
sentences in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from .. import ids, render
from ..jobs import Job
from ..library import Library
from ..model import Fixtures, Video
from ..outcomes import JobStatus, Outcome
from .rules import KindRules

NAME = "upload"
MEDIA_TYPES = ("video", "audio", "image")
_ID_PREFIX = {"video": "m", "audio": "a", "image": "img"}
_BY_EXTENSION = {".mp3": "audio", ".wav": "audio", ".m4a": "audio", ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image"}


class UploadSubject(NamedTuple):
    url: str
    media_type: str
    media: Video  # what it becomes when done; audio and images reuse the record (id, name, length)


def media_type_of(url: str, asked: str | None) -> str:
    """What was asked for, else what the URL's extension says, else a video."""
    if asked:
        return asked
    return _BY_EXTENSION.get(PurePosixPath(urlsplit(url).path).suffix.lower(), "video")


def name_of(url: str) -> str:
    """A file name's stem, as the SDKs name uploads: the last part of the URL's path."""
    stem = PurePosixPath(unquote(urlsplit(url).path)).stem
    return stem or "upload"


def always_failing(fixtures: Fixtures) -> set[str]:
    """Videos a fixture clip rule fails whatever is asked: they make poor templates."""
    return {
        rule.match.video_id
        for rule in fixtures.clip_rules
        if rule.match.video_id is not None
        and rule.outcome.status is JobStatus.FAILED
        and (rule.match.prompt_contains, rule.match.prompt_regex, rule.match.content_type, rule.match.model_name) == (None,) * 4
    }


class UploadKind:
    name = NAME
    failure_message = "Upload failed"

    def __init__(self, seed: int, library: Library) -> None:
        self.seed = seed
        self.library = library
        self.rules = KindRules(NAME)
        self._templates: tuple[Video, ...] = ()
        self._by_url: dict[str, Video] = {}

    def use_fixtures(self, fixtures: Fixtures) -> None:
        self.rules.use(fixtures.job_rules)
        failing = always_failing(fixtures)
        self._templates = tuple(v for _, v in sorted(fixtures.videos.items()) if v.id not in failing) or tuple(fixtures.videos.values())
        self._by_url = {url: fixtures.videos[video_id] for url, video_id in fixtures.source_urls.items()}

    def template(self, url: str, content_digest: str | None = None) -> Video:
        known = self._by_url.get(url)
        if known is not None:
            return known
        digest = content_digest or hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self._templates[int(digest, 16) % len(self._templates)]

    def prepare(self, key: str, collection_id: str, url: str, media_type: str, name: str, description: str | None, template: Video) -> UploadSubject:
        """What the upload will be once done: a new id (the key's next) on the template's content."""
        media_id = ids.media_id(self.seed, key, _ID_PREFIX[media_type], self.library.next_number(key, "media"))
        media = replace(template, id=media_id, collection_id=collection_id, name=name, description=description if description is not None else template.description)
        return UploadSubject(url, media_type, media)

    def rule_outcome(self, subject: UploadSubject) -> Outcome:
        return self.rules.outcome(url=subject.url)

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        subject: UploadSubject = job.subject
        return render.media(subject.media, subject.media_type, base_url)

    def weight(self, subject: UploadSubject) -> int:
        return len(subject.url) + len(subject.media.name) + len(subject.media.description)

    def on_done(self, key: str, job: Job) -> None:
        subject: UploadSubject = job.subject
        if subject.media_type == "video":  # audio and images are answered, not kept: no operation lists them
            self.library.add_upload(key, subject.media)

    def describe(self, subject: UploadSubject) -> dict[str, Any]:
        return {"url": subject.url, "media_id": subject.media.id, "media_type": subject.media_type}
