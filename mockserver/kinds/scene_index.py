"""The scene-index job (``POST /video/{id}/index/scene``): done, the video's scenes can be listed and searched.

There is no model to look at frames: shot-based records are the fixture's scenes, time-based
ones are windows described by the fixture scene they overlap most, and transcript-based ones
are the transcript's lines.
"""

from __future__ import annotations

from typing import Any

from ..jobs import Job
from ..library import Library, SceneIndex
from ..model import Segment, Video
from ..outcomes import Outcome
from .rules import KindRules

NAME = "scene_index"
EXTRACTION_TYPES = ("shot", "time", "transcript")
DEFAULT_WINDOW = 10.0  # seconds, for time-based extraction without extraction_config.time
MAX_RECORDS = 1_000  # time windows of one index: shorter windows on a long video are widened


def _described(video: Video, start: float, end: float) -> str:
    """The fixture scene that overlaps [start, end] most, else the video's description."""
    best, most = video.description or video.name, 0.0
    for scene in video.scenes:
        overlap = min(end, scene.end) - max(start, scene.start)
        if overlap > most:
            best, most = scene.text, overlap
    return best


def scene_records(video: Video, extraction_type: str, window: float = DEFAULT_WINDOW) -> tuple[Segment, ...]:
    if extraction_type == "transcript":
        return video.transcript
    if extraction_type == "time":
        window = max(window, video.length / MAX_RECORDS)  # a bound on what one index keeps
        count = int(-(-video.length // window))  # windows that cover the whole video
        spans = [(n * window, min((n + 1) * window, video.length)) for n in range(count)]
        return tuple(Segment(round(s, 3), round(e, 3), _described(video, s, e)) for s, e in spans if e > s)
    return video.scenes or (Segment(0.0, video.length, video.description or video.name),)


class SceneIndexKind:
    name = NAME
    failure_message = "Scene indexing failed"

    def __init__(self, library: Library) -> None:
        self.library = library
        self.rules = KindRules(NAME)

    def rule_outcome(self, subject: SceneIndex) -> Outcome:
        return self.rules.outcome(video_id=subject.video_id)

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        return {"scene_index_id": job.subject.id}

    def weight(self, subject: SceneIndex) -> int:
        return len(subject.name)

    def on_done(self, key: str, job: Job) -> None:
        self.library.add_scene_index(key, job.subject)

    def describe(self, subject: SceneIndex) -> dict[str, Any]:
        return {"video_id": subject.video_id, "scene_index_id": subject.id, "extraction_type": subject.extraction_type}
