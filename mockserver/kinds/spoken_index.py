"""The spoken-word index job (``POST /video/{id}/index``): done, the video can be searched by its words."""

from __future__ import annotations

from typing import Any

from ..jobs import Job
from ..library import Library
from ..model import Video
from ..outcomes import Outcome
from .rules import KindRules

NAME = "index"


class SpokenIndexKind:
    name = NAME
    failure_message = "Indexing failed"

    def __init__(self, library: Library) -> None:
        self.library = library
        self.rules = KindRules(NAME)

    def rule_outcome(self, subject: Video) -> Outcome:
        return self.rules.outcome(video_id=subject.id)

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        return {}  # the SDKs read nothing from it

    def weight(self, subject: Video) -> int:
        return 0

    def on_done(self, key: str, job: Job) -> None:
        self.library.add_spoken_index(key, job.subject.id)

    def describe(self, subject: Video) -> dict[str, Any]:
        return {"video_id": subject.id}
