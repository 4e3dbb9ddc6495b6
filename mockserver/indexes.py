"""What a key can build on a video it sees: a spoken-word index, scene indexes, a transcript."""

from __future__ import annotations

from .catalog import Catalog
from .errors import InvalidInput
from .ids import scene_index_id
from .jobs import Job
from .kinds.scene_index import DEFAULT_WINDOW, SceneIndexKind, scene_records
from .kinds.spoken_index import SpokenIndexKind
from .kinds.transcript import TranscriptKind
from .launcher import JobOptions, Launcher
from .library import Library, SceneIndex
from .model import Segment
from .transcripts import segments


class Indexes:
    def __init__(
        self,
        seed: int,
        catalog: Catalog,
        library: Library,
        launcher: Launcher,
        spoken: SpokenIndexKind,
        scenes: SceneIndexKind,
        transcripts: TranscriptKind,
    ) -> None:
        self.seed = seed
        self.catalog = catalog
        self.library = library
        self.launcher = launcher
        self.spoken = spoken
        self.scenes = scenes
        self.transcripts = transcripts

    def index_spoken_words(self, key: str, video_id: str, options: JobOptions) -> Job:
        """A job; indexing a video again (without force) succeeds and changes nothing."""
        return self.launcher.start(key, self.spoken, self.catalog.video(key, video_id), options)

    def generate_transcript(self, key: str, video_id: str, options: JobOptions) -> Job:
        return self.launcher.start(key, self.transcripts, self.catalog.video(key, video_id), options)

    def transcript(
        self, key: str, video_id: str, segmenter: str, length: float, start: float | None, end: float | None
    ) -> list[Segment]:
        """The transcript at once: every fixture video and finished upload has one."""
        video = self.catalog.video(key, video_id)
        if start is not None and end is not None and not start < end:
            raise InvalidInput("query.start", f"must be less than query.end, got {start:g} and {end:g}")
        return segments(video, segmenter, length, start, end)

    def index_scenes(
        self, key: str, video_id: str, extraction_type: str, window: float | None, name: str | None, options: JobOptions
    ) -> Job:
        video = self.catalog.video(key, video_id)
        self.launcher.check(options)  # before an id is used up
        index_id = scene_index_id(self.seed, key, self.library.next_number(key, "scene-index"))
        records = scene_records(video, extraction_type, window or DEFAULT_WINDOW)
        index = SceneIndex(index_id, video.id, name or f"{extraction_type} scenes of {video.name}", extraction_type, records)
        return self.launcher.start(key, self.scenes, index, options)

    def scene_indexes(self, key: str, video_id: str, collection_id: str | None = None) -> list[SceneIndex]:
        self.catalog.video(key, video_id, collection_id)  # 404 for a video the key cannot see there
        return self.library.scene_indexes(key, video_id)

    def scene_index(self, key: str, video_id: str, index_id: str, collection_id: str | None = None) -> SceneIndex:
        self.catalog.video(key, video_id, collection_id)
        return self.library.scene_index(key, video_id, index_id)
