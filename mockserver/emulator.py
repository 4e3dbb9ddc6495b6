"""The emulator's domain in one place: fixtures, keys, videos and their jobs behind the VideoDB calls.

Nothing here knows HTTP: handlers turn requests into these calls and the results into answers.
Job state belongs to the engine; this facade checks what a request names (its video, its
callback URL) and starts the job of the right kind.
"""

from __future__ import annotations

from pathlib import Path

from .callback_policy import CallbackPolicy
from .clock import NamespaceClock
from .deliveries import DeliveryLog
from .engine import JobEngine
from .errors import InvalidInput, NotFound
from .fault_rules import FaultRules, SeededRule
from .faults import FaultBook
from .fixtures import load_fixtures
from .jobs import Job
from .journal import Journal
from .kinds.clip import ClipKind, ClipSubject, stream_slug
from .memory_store import MemoryStore
from .model import ClipRequest, Collection, Fixtures, Video
from .outcomes import OutcomePatch
from .store import JobStore

DEFAULT_KEY_PREFIX = "sk-"


class Emulator:
    def __init__(
        self,
        fixtures: Fixtures,
        *,
        seed: int,
        store: JobStore | None = None,
        fixtures_dir: Path | None = None,
        callback_policy: CallbackPolicy | None = None,
        extra_key_prefix: str | None = None,
        fault_rules: tuple[SeededRule, ...] = (),
    ) -> None:
        self.seed = seed
        # Keys with this prefix are accepted even when the fixtures list api_keys (the pytest
        # plugin's per-test keys), so a fixtures folder written for `serve` works in tests too.
        self.extra_key_prefix = extra_key_prefix
        self.fixtures_dir = fixtures_dir
        self.callback_policy = callback_policy or CallbackPolicy()
        self.clips = ClipKind(seed)
        self.faults = FaultBook()  # answer faults set through the control API, per key, and by fault rules
        self._extra_fault_rules = fault_rules  # from --faults FILE, after the fixtures' own
        self._use_fixtures(fixtures)
        self.engine = JobEngine(store if store is not None else MemoryStore(seed), seed, [self.clips])
        self.store = self.engine.store

    # Keys and their state -----------------------------------------------------------------------
    def key_refusal(self, key: str) -> str | None:
        """Why ``key`` is not accepted, or None when it is."""
        prefix = self.extra_key_prefix
        if prefix and key.startswith(prefix) and len(key) > len(prefix):
            return None
        if self.fixtures.api_keys:
            return None if key in self.fixtures.api_keys else "not among the api_keys the fixtures list"
        if key.startswith(DEFAULT_KEY_PREFIX) and len(key) > len(DEFAULT_KEY_PREFIX):
            return None
        return f"not an accepted API key: keys start with '{DEFAULT_KEY_PREFIX}'"

    def example_key(self) -> str:
        if self.fixtures.api_keys:
            return min(self.fixtures.api_keys)
        return f"{DEFAULT_KEY_PREFIX}emulator"

    def clock(self, key: str) -> NamespaceClock:
        return self.store.clock(key)

    def journal(self, key: str) -> Journal:
        return self.store.journal(key)

    def deliveries(self, key: str) -> DeliveryLog:
        return self.store.deliveries(key)

    def reset(self, key: str | None = None) -> None:
        self.engine.reset(key)
        self.faults.clear(key)

    def read_fixtures_again(self) -> Fixtures:
        """The fixtures folder read and checked anew, not yet in use: this part may run on
        another thread, so that a large folder does not hold up requests."""
        if self.fixtures_dir is None:
            raise InvalidInput("fixtures", "this emulator was given fixtures in memory, not a folder to reload")
        return load_fixtures(self.fixtures_dir)

    def use_fixtures(self, fixtures: Fixtures) -> Fixtures:
        self._use_fixtures(fixtures)
        return fixtures

    def _use_fixtures(self, fixtures: Fixtures) -> None:
        self.fixtures = fixtures
        self.clips.use_rules(fixtures.clip_rules)
        self.faults.use_seeded(FaultRules(fixtures.fault_rules + self._extra_fault_rules, self.seed))

    # Collections and videos ---------------------------------------------------------------------
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

    # Jobs ---------------------------------------------------------------------------------------
    def create_clip(
        self,
        key: str,
        request: ClipRequest,
        preference: OutcomePatch | None = None,
        base_url: str | None = None,
        callback_url: str | None = None,
        reached_at: tuple[tuple[str, int], ...] = (),
    ) -> Job:
        """A clip job; ``reached_at`` lists where this request reached the emulator, so that a
        callback can never be pointed back at it."""
        video = self.video(request.video_id)
        if callback_url is not None:
            self.callback_policy.check_url(callback_url, own=reached_at)
        subject = ClipSubject.of(request, video)
        return self.engine.start(key, self.clips, subject, preference=preference, callback_url=callback_url, base_url=base_url)

    def poll(self, key: str, job_id: str) -> Job:
        """One poll of a job of any kind; ``job.status`` is what it answers."""
        return self.engine.poll(key, job_id)

    # Streams ------------------------------------------------------------------------------------
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
        return stream_slug(self.seed, parts)
