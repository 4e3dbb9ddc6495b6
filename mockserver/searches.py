"""Search in one video or across a collection, over the indexes the key built.

Legacy search (``/search``) before its index exists is a 400 naming the call that builds it;
search v2 (``/search/v2``) answers no results and a ``no_index`` warning instead.
"""

from __future__ import annotations

from typing import NamedTuple

from .catalog import Catalog
from .errors import InvalidInput
from .library import Library, SceneIndex
from .model import Shot, Video
from .search import rank

NEEDS_SPOKEN = "index_spoken_words()"
MAX_COLLECTION_DOCS = 1_000  # docs in one collection search answer, over all its videos
NEEDS_SCENES = "index_scenes()"


class Query(NamedTuple):
    text: str
    search_type: str = "semantic"  # semantic, keyword, scene or llm (ranked as semantic)
    index_type: str = "spoken_word"  # spoken_word or scene
    score_threshold: float = 0.2
    limit: int = 5  # docs per video
    scene_index_id: str | None = None

    @property
    def on_scenes(self) -> bool:
        return self.index_type == "scene" or self.search_type == "scene"


class Found(NamedTuple):
    video: Video
    docs: list[Shot]
    scene_index: SceneIndex | None = None  # the index the docs came from, for scene search


class SearchWarning(NamedTuple):
    code: str
    message: str


class Searches:
    def __init__(self, catalog: Catalog, library: Library) -> None:
        self.catalog = catalog
        self.library = library

    def _scene_index(self, key: str, video: Video, wanted: str | None) -> SceneIndex | None:
        if wanted is not None:
            return self.library.scene_index(key, video.id, wanted)
        indexes = self.library.scene_indexes(key, video.id)
        return indexes[-1] if indexes else None  # the newest

    def _found(self, key: str, video: Video, query: Query) -> Found | None:
        """What the video's index finds, or None when the video has no such index."""
        search_type = "semantic" if query.search_type in ("scene", "llm") else query.search_type
        if query.on_scenes:
            index = self._scene_index(key, video, query.scene_index_id)
            if index is None:
                return None
            return Found(video, rank(index.records, query.text, search_type, query.score_threshold, query.limit), index)
        if not self.library.has_spoken_index(key, video.id):
            return None
        return Found(video, rank(video.transcript, query.text, search_type, query.score_threshold, query.limit))

    def in_video(self, key: str, video_id: str, query: Query) -> Found:
        """Legacy search: a 400 naming the call to make when the index is missing."""
        video = self.catalog.video(key, video_id)
        found = self._found(key, video, query)
        if found is None:
            call = NEEDS_SCENES if query.on_scenes else NEEDS_SPOKEN
            raise InvalidInput("index", f"{video_id} has no {'scene' if query.on_scenes else 'spoken-word'} index yet: call {call} first")
        return found

    def in_video_v2(self, key: str, video_id: str, query: Query) -> tuple[list[Found], list[SearchWarning]]:
        """Search v2 reads the spoken-word index, else the newest scene index, else warns."""
        video = self.catalog.video(key, video_id)
        found = self._found(key, video, query) or self._found(key, video, query._replace(index_type="scene"))
        if found is None:
            return [], [SearchWarning("no_index", f"{video_id} has no index yet: call {NEEDS_SPOKEN} or {NEEDS_SCENES} first")]
        return ([found] if found.docs else []), []

    def in_collection(self, key: str, collection_id: str, query: Query, v2: bool) -> tuple[list[Found], list[SearchWarning]]:
        """Every indexed video of the collection, one result each; legacy search needs at least one index.
        At most MAX_COLLECTION_DOCS docs in all, the videos in the collection's order: a bound on the answer."""
        videos = self.catalog.videos(key, collection_id)
        searched = []
        room = MAX_COLLECTION_DOCS
        for video in videos:
            if room <= 0:
                break
            found = self._found(key, video, query._replace(limit=min(query.limit, room)))
            if found is not None:
                searched.append(found)
                room -= len(found.docs)
        if not searched:
            call = NEEDS_SCENES if query.on_scenes else NEEDS_SPOKEN
            if not v2:
                raise InvalidInput("index", f"no video of collection {collection_id!r} is indexed yet: call {call} on a video first")
            return [], [SearchWarning("no_index", f"no video of collection {collection_id!r} is indexed yet: call {call} on a video first")]
        return [f for f in searched if f.docs], []
