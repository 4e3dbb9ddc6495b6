"""The emulator's domain in one place: fixtures, keys, videos and their jobs behind the VideoDB calls.

Nothing here knows HTTP: handlers turn requests into these calls and the results into answers.
Job state belongs to the engine; this facade checks what a request names (its video, its
callback URL) and starts the job of the right kind. What a key adds to the fixtures (uploads,
indexes, deletions) lives in its library; uploads, indexes and searches have their own modules.
"""

from __future__ import annotations

from pathlib import Path

from .callback_policy import CallbackPolicy
from .clock import NamespaceClock
from .deliveries import DeliveryLog
from .catalog import Catalog
from .engine import JobEngine, JobEnded, JobEvent, KeysReset
from .errors import InvalidInput
from .fault_rules import FaultRules, SeededRule
from .faults import FaultBook
from .given_answers import AnswerBook
from .fixtures import load_fixtures
from .jobs import Job
from .journal import Journal
from .indexes import Indexes
from .kinds.clip import ClipKind, ClipSubject, stream_slug
from .kinds.scene_index import SceneIndexKind
from .kinds.spoken_index import SpokenIndexKind
from .kinds.transcript import TranscriptKind
from .kinds.upload import UploadKind
from .launcher import Launcher
from .library import Library, LibraryLimits
from .memory_store import MemoryStore
from .model import ClipRequest, Collection, Fixtures, Video
from .outcomes import JobStatus, OutcomePatch
from .searches import Searches
from .uploads import Uploads
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
        library_limits: LibraryLimits | None = None,
    ) -> None:
        self.seed = seed
        # Keys with this prefix are accepted even when the fixtures list api_keys (the pytest
        # plugin's per-test keys), so a fixtures folder written for `serve` works in tests too.
        self.extra_key_prefix = extra_key_prefix
        self.fixtures_dir = fixtures_dir
        self.callback_policy = callback_policy or CallbackPolicy()
        self.library = Library(seed, library_limits)
        self.catalog = Catalog(fixtures, self.library)
        self.clips = ClipKind(seed)
        self.uploads_kind = UploadKind(seed, self.library)
        spoken, scenes, transcripts = SpokenIndexKind(self.library), SceneIndexKind(self.library), TranscriptKind()
        self._rule_takers = (spoken.rules, scenes.rules, transcripts.rules)  # uploads take theirs in use_fixtures
        self.faults = FaultBook()  # answer faults set through the control API, per key, and by fault rules
        self.given = AnswerBook()  # answers set through the control API, served as they are
        self._extra_fault_rules = fault_rules  # from --faults FILE, after the fixtures' own
        self._use_fixtures(fixtures)
        self.engine = JobEngine(
            store if store is not None else MemoryStore(seed), seed, [self.clips, self.uploads_kind, spoken, scenes, transcripts]
        )
        self.engine.subscribe(self._keep_results, (JobEnded, KeysReset))
        self.store = self.engine.store
        launcher = Launcher(self.engine, self.callback_policy)
        self.uploads = Uploads(self.catalog, self.library, self.uploads_kind, launcher)
        self.indexes = Indexes(seed, self.catalog, self.library, launcher, spoken, scenes, transcripts)
        self.searches = Searches(self.catalog, self.library)

    def _keep_results(self, event: JobEvent) -> None:
        """A job that ended done leaves its result (an uploaded video, an index) in its key's library;
        a reset empties the library with the jobs."""
        if type(event) is JobEnded:
            if event.job.status is JobStatus.DONE:
                self.engine.kind(event.job).on_done(event.key, event.job)
        elif type(event) is KeysReset:
            self.library.reset(event.key)

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
        self.given.clear(key)

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
        self.catalog.use(fixtures)
        self.clips.use_rules(fixtures.clip_rules)
        self.uploads_kind.use_fixtures(fixtures)
        for rules in self._rule_takers:
            rules.use(fixtures.job_rules)
        self.faults.use_seeded(FaultRules(fixtures.fault_rules + self._extra_fault_rules, self.seed))

    # Collections and videos, as a key sees them ---------------------------------------------------
    def collection(self, collection_id: str | None = None) -> Collection:
        """A collection by id; ``None`` or ``"default"`` means the default collection."""
        return self.catalog.collection(collection_id)

    def videos(self, key: str, collection_id: str | None = None) -> list[Video]:
        return self.catalog.videos(key, collection_id)

    def video(self, key: str, video_id: str, collection_id: str | None = None) -> Video:
        return self.catalog.video(key, video_id, collection_id)

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
        video = self.catalog.video(key, request.video_id)
        if callback_url is not None:
            self.callback_policy.check_url(callback_url, own=reached_at)
        subject = ClipSubject.of(request, video)
        return self.engine.start(key, self.clips, subject, preference=preference, callback_url=callback_url, base_url=base_url)

    def poll(self, key: str, job_id: str) -> Job:
        """One poll of a job of any kind; ``job.status`` is what it answers."""
        return self.engine.poll(key, job_id)

    # Streams ------------------------------------------------------------------------------------
    def check_timeline(
        self, key: str, video_id: str, timeline: list[tuple[float, float]], field: str, collection_id: str | None = None
    ) -> Video:
        """The video, once every shot of ``timeline`` is known to lie inside it."""
        video = self.catalog.video(key, video_id, collection_id)
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
