"""The clip job: shots of one video that match a prompt, and the stream made of them.

Its outcome comes from the first fixture clip rule that matches the request, else the default
(done on the first poll). Its shots are the rule's explicit shots, or derived from the video's
transcript or scenes by overlap with the prompt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from .. import ids, render
from ..jobs import Job
from ..matching import derive_shots
from ..model import ClipRequest, ClipRule, Shot, Video
from ..outcomes import DEFAULT_OUTCOME, Outcome

NAME = "clip"


class ClipSubject(NamedTuple):
    """A clip request with its video. One flat tuple: every stored job keeps one, and each
    object a job holds is one more for the garbage collector to walk."""

    video_id: str
    prompt: str
    content_type: str
    model_name: str
    scene_index_id: str | None
    video: Video  # kept with the job, so a fixture reload cannot pull it from under the job

    @classmethod
    def of(cls, request: ClipRequest, video: Video) -> ClipSubject:
        return tuple.__new__(cls, (*request, video))  # no second Python call: one per clip request


# of() copies a request's fields by position: the two field lists must stay in step.
if ClipSubject._fields[:-1] != ClipRequest._fields:
    raise TypeError("ClipSubject must repeat ClipRequest's fields, in order")


def stream_slug(seed: int, parts: list[tuple[str, list[tuple[float, float]]]]) -> str:
    """A stable name for the stream made of these (video id, timeline) parts."""
    return ids.media_slug(seed, repr(parts))


class ClipKind:
    name = NAME
    failure_message = "Clip generation failed"

    def __init__(self, seed: int, rules: Iterable[ClipRule] = ()) -> None:
        self.seed = seed
        self.use_rules(rules)

    def use_rules(self, rules: Iterable[ClipRule]) -> None:
        """Take the fixture rules (again, after a reload), indexed by the video they name."""
        rules = tuple(rules)
        self._unscoped = tuple(rule for rule in rules if rule.match.video_id is None)
        # Most rules name one video: a request only walks the rules that can match it, in order.
        self._by_video = {
            video_id: tuple(rule for rule in rules if rule.match.video_id in (None, video_id))
            for video_id in {rule.match.video_id for rule in rules if rule.match.video_id is not None}
        }

    def rule_outcome(self, subject: ClipSubject) -> Outcome:
        request = subject
        lowered = None
        # The first rule whose every condition holds; one loop without calls, as it runs on every clip request.
        for rule in self._by_video.get(request.video_id, self._unscoped):
            match = rule.match
            if match.video_id is not None and match.video_id != request.video_id:
                continue
            if match.content_type is not None and match.content_type != request.content_type:
                continue
            if match.model_name is not None and match.model_name != request.model_name:
                continue
            if match.prompt_contains is not None:
                lowered = lowered or request.prompt.lower()
                if match.prompt_contains not in lowered:
                    continue
            if match.prompt_regex is not None and match.prompt_regex.search(request.prompt) is None:
                continue
            return rule.outcome
        return DEFAULT_OUTCOME

    @staticmethod
    def shots(job: Job) -> tuple[Shot, ...]:
        subject: ClipSubject = job.subject
        explicit = job.outcome.shots
        if explicit:
            return explicit  # type: ignore[return-value]
        return derive_shots(subject.video, subject.prompt, subject.content_type)

    def final_data(self, job: Job, base_url: str) -> dict[str, Any]:
        video: Video = job.subject.video
        shots = self.shots(job)
        data: dict[str, Any] = {"results": [render.search_result(video, [render.shot(s) for s in shots])]}
        slug = stream_slug(self.seed, [(video.id, [(s.start, s.end) for s in shots])])
        data.update(render.stream_urls(base_url, slug))
        return data

    def weight(self, subject: ClipSubject) -> int:
        return len(subject.prompt) + len(subject.scene_index_id or "")

    def on_done(self, key: str, job: Job) -> None:
        """A clip leaves nothing behind: its answer is all of it."""

    def describe(self, subject: ClipSubject) -> dict[str, Any]:
        request = subject
        return {
            "video_id": request.video_id,
            "prompt": request.prompt,
            "content_type": request.content_type,
            "model_name": request.model_name,
        }
