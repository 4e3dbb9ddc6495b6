"""The emulator's domain in one place: fixtures, keys, jobs and clocks behind the VideoDB calls.

Nothing here knows HTTP: handlers turn requests into these calls and the results into answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import ids
from .callbacks import CallbackPolicy
from .clock import Clock, NamespaceClock, RealClock
from .errors import InvalidInput, NotFound
from .fixtures import load_fixtures
from .jobs import Job
from .journal import Journal
from .matching import derive_shots
from .model import ClipRequest, Collection, Fixtures, JobStatus, Shot, Video
from .preferences import OutcomePatch
from .scenarios import choose_outcome
from .store import Namespace, PendingOverride, Store

DEFAULT_KEY_PREFIX = "sk-"


@dataclass(frozen=True, slots=True)
class JobView:
    """What one poll of a job saw."""

    job: Job
    status: JobStatus
    shots: tuple[Shot, ...] = ()


class Emulator:
    def __init__(
        self,
        fixtures: Fixtures,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        frozen_clocks: bool = False,
        max_jobs: int = 100_000,
        max_jobs_per_namespace: int = 10_000,
        max_namespaces: int = 1_000,
        fixtures_dir: Path | None = None,
        callback_policy: CallbackPolicy | None = None,
    ) -> None:
        self._use_fixtures(fixtures)
        self.callback_policy = callback_policy or CallbackPolicy()
        # Told about every job with a callback URL, and nudged when one may have ended.
        self.on_callback_job: Callable[[Namespace, Job], None] | None = None
        self.on_job_change: Callable[[], None] | None = None
        self.fixtures_dir = fixtures_dir
        self.seed = seed
        base = clock or RealClock()
        self.store = Store(
            seed,
            lambda: NamespaceClock(base, frozen=frozen_clocks),
            max_jobs=max_jobs,
            max_jobs_per_namespace=max_jobs_per_namespace,
            max_namespaces=max_namespaces,
        )

    # Keys and namespaces ----------------------------------------------------------------------
    def accepts_key(self, key: str) -> bool:
        if self.fixtures.api_keys:
            return key in self.fixtures.api_keys
        return key.startswith(DEFAULT_KEY_PREFIX) and len(key) > len(DEFAULT_KEY_PREFIX)

    def example_key(self) -> str:
        if self.fixtures.api_keys:
            return min(self.fixtures.api_keys)
        return f"{DEFAULT_KEY_PREFIX}emulator"

    def namespace(self, key: str) -> Namespace:
        return self.store.namespace(key)

    def clock(self, key: str) -> NamespaceClock:
        return self.store.namespace(key).clock

    def journal(self, key: str) -> Journal:
        return self.store.namespace(key).journal

    def reset(self, key: str | None = None) -> None:
        self.store.reset(key)

    def reload_fixtures(self) -> Fixtures:
        """Read the fixtures folder again; on any fault keep the current fixtures and raise."""
        if self.fixtures_dir is None:
            raise InvalidInput("fixtures", "this emulator was given fixtures in memory, not a folder to reload")
        self._use_fixtures(load_fixtures(self.fixtures_dir))
        return self.fixtures

    def _use_fixtures(self, fixtures: Fixtures) -> None:
        self.fixtures = fixtures
        # The rules that can match each video, in order: most rules name one video.
        self._rules_by_video = {
            video_id: tuple(rule for rule in fixtures.clip_rules if rule.match.video_id in (None, video_id))
            for video_id in fixtures.videos
        }

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
    def create_clip(
        self, key: str, request: ClipRequest, preference: OutcomePatch | None = None, base_url: str | None = None
    ) -> Job:
        video = self.video(request.video_id)
        if request.callback_url is not None:
            self.callback_policy.check_url(request.callback_url)
        namespace = self.store.namespace(key)
        override = namespace.take_override()
        outcome = choose_outcome(self._rules_by_video[video.id], request, preference, override)
        job = self.store.add_job(namespace, request, video, outcome, base_url)
        if request.callback_url is not None and self.on_callback_job is not None:
            self.on_callback_job(namespace, job)
        return job

    def poll(self, key: str, job_id: str) -> JobView:
        job = self.store.job(key, job_id)
        status = job.poll(self.clock(key).now())
        if job.request.callback_url is not None:
            self.job_changed()
        return JobView(job, status, self.shots(job) if status is JobStatus.DONE else ())

    def final_view(self, job: Job) -> JobView:
        """What a poll of this terminal job answers, without counting as one."""
        status = job.outcome.status
        return JobView(job, status, self.shots(job) if status is JobStatus.DONE else ())

    def job_changed(self) -> None:
        if self.on_job_change is not None:
            self.on_job_change()

    def clip_slug(self, view: JobView) -> str | None:
        """The stream name of a done clip: the same shots always make the same stream."""
        if view.status is not JobStatus.DONE:
            return None
        return self.stream_slug([(view.job.video.id, [(s.start, s.end) for s in view.shots])])

    @staticmethod
    def shots(job: Job) -> tuple[Shot, ...]:
        return job.outcome.shots or derive_shots(job.video, job.request.prompt, job.request.content_type)

    def job(self, key: str, job_id: str) -> Job:
        return self.store.job(key, job_id)

    def jobs(self, key: str) -> list[Job]:
        return self.store.jobs(key)

    def add_override(self, key: str, patch: OutcomePatch, count: int) -> None:
        self.store.namespace(key).overrides.append(PendingOverride(patch, count))

    def overrides(self, key: str) -> list[PendingOverride]:
        return list(self.store.namespace(key).overrides)

    def clear_overrides(self, key: str) -> None:
        self.store.namespace(key).overrides.clear()

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
