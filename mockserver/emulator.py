"""The emulator's domain in one place: fixtures, jobs and the clock behind the VideoDB calls.

Nothing here knows HTTP: handlers turn requests into these calls and the results into answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ids
from .clock import Clock, RealClock
from .errors import InvalidInput, NotFound
from .jobs import Job
from .matching import derive_shots
from .model import ClipRequest, Collection, Fixtures, JobStatus, Shot, Video
from .scenarios import choose_outcome
from .store import Store

DEFAULT_KEY_PREFIX = "sk-"


@dataclass(frozen=True, slots=True)
class JobView:
    """What one poll of a job saw."""

    job: Job
    status: JobStatus
    video: Video
    shots: tuple[Shot, ...] = ()


class Emulator:
    def __init__(
        self,
        fixtures: Fixtures,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        max_jobs_per_namespace: int = 10_000,
        max_namespaces: int = 1_000,
    ) -> None:
        self.fixtures = fixtures
        self.seed = seed
        self.clock: Clock = clock or RealClock()
        self.store = Store(seed, max_jobs_per_namespace, max_namespaces)

    # Keys -------------------------------------------------------------------------------------
    def accepts_key(self, key: str) -> bool:
        if self.fixtures.api_keys:
            return key in self.fixtures.api_keys
        return key.startswith(DEFAULT_KEY_PREFIX) and len(key) > len(DEFAULT_KEY_PREFIX)

    def example_key(self) -> str:
        if self.fixtures.api_keys:
            return min(self.fixtures.api_keys)
        return f"{DEFAULT_KEY_PREFIX}emulator"

    # Collections and videos -------------------------------------------------------------------
    def collection(self, collection_id: str | None = None) -> Collection:
        """A collection by id; ``None`` or ``"default"`` means the default collection."""
        if collection_id in (None, "default"):
            collection_id = self.fixtures.default_collection_id
        collection = self.fixtures.collections.get(collection_id)
        if collection is None:
            raise NotFound("collection", collection_id)
        return collection

    def videos(self, collection_id: str | None = None) -> list[Video]:
        collection = self.collection(collection_id)
        return [v for v in self.fixtures.videos.values() if v.collection_id == collection.id]

    def video(self, video_id: str, collection_id: str | None = None) -> Video:
        video = self.fixtures.videos.get(video_id)
        if video is None:
            raise NotFound("video", video_id)
        if collection_id is not None and self.collection(collection_id).id != video.collection_id:
            raise NotFound("video", video_id, f"not in collection {collection_id!r}")
        return video

    # Clip jobs --------------------------------------------------------------------------------
    def create_clip(self, key: str, request: ClipRequest) -> Job:
        self.video(request.video_id)
        outcome = choose_outcome(self.fixtures.clip_rules, request)
        return self.store.add_job(key, request, outcome, self.clock.now())

    def poll(self, key: str, job_id: str) -> JobView:
        job = self.store.job(key, job_id)
        status = job.poll(self.clock.now())
        video = self.fixtures.videos[job.request.video_id]
        shots: tuple[Shot, ...] = ()
        if status is JobStatus.DONE:
            shots = job.outcome.shots or derive_shots(video, job.request.prompt, job.request.content_type)
        return JobView(job, status, video, shots)

    # Streams ----------------------------------------------------------------------------------
    def check_timeline(
        self, video_id: str, timeline: list[tuple[float, float]], field: str, collection_id: str | None = None
    ) -> Video:
        """The video, once every shot of ``timeline`` is known to lie inside it."""
        video = self.video(video_id, collection_id)
        for index, (start, end) in enumerate(timeline):
            if not start < end <= video.length:
                raise InvalidInput(
                    f"{field}[{index}]",
                    f"needs start < end <= {video.length:g} (the length of {video_id}), got [{start:g}, {end:g}]",
                )
        return video

    def stream_slug(self, parts: list[tuple[str, list[tuple[float, float]]]]) -> str:
        """A stable name for the stream made of these (video id, timeline) parts."""
        return ids.media_slug(self.seed, repr(parts))
