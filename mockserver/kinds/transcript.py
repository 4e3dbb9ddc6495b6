"""The transcript job (``POST /video/{id}/transcription``): done, it answers the whole transcript, by word."""

from __future__ import annotations

from typing import Any

from .. import render
from ..jobs import Job
from ..model import Video
from ..outcomes import Outcome
from ..transcripts import segments
from .rules import KindRules

NAME = "transcript"


class TranscriptKind:
    name = NAME
    failure_message = "Transcript generation failed"

    def __init__(self) -> None:
        self.rules = KindRules(NAME)

    def rule_outcome(self, subject: Video) -> Outcome:
        return self.rules.outcome(video_id=subject.id)

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        return render.transcript(segments(job.subject))

    def weight(self, subject: Video) -> int:
        return 0

    def on_done(self, key: str, job: Job) -> None:
        """The transcript was there all along (from the fixtures): nothing to keep."""

    def describe(self, subject: Video) -> dict[str, Any]:
        return {"video_id": subject.id}
