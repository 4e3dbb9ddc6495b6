"""Which collections and videos a key sees: the fixtures', less what it deleted, plus its own uploads."""

from __future__ import annotations

from .errors import NotFound
from .library import Library
from .model import Collection, Fixtures, Video


class Catalog:
    def __init__(self, fixtures: Fixtures, library: Library) -> None:
        self.library = library
        self.use(fixtures)

    def use(self, fixtures: Fixtures) -> None:
        """The fixtures to read from now on (a reload swaps them)."""
        self.fixtures = fixtures
        self._videos = fixtures.videos  # looked up on every clip request

    def collection(self, collection_id: str | None = None) -> Collection:
        """A collection by id; ``None`` or ``"default"`` means the default collection."""
        fixtures = self.fixtures
        if collection_id in (None, "default"):
            collection_id = fixtures.default_collection_id
        collection = fixtures.collections.get(collection_id)
        if collection is None:
            raise NotFound("collection", collection_id)
        return collection

    def videos(self, key: str, collection_id: str | None = None) -> list[Video]:
        """The collection's videos as this key sees them: fixtures first, then its uploads, oldest first."""
        collection = self.collection(collection_id)
        library = self.library
        listed = [v for v in self._videos.values() if v.collection_id == collection.id and not library.is_deleted(key, v.id)]
        return listed + [v for v in library.uploads(key) if v.collection_id == collection.id]

    def video(self, key: str, video_id: str, collection_id: str | None = None) -> Video:
        video = self._videos.get(video_id)
        if video is None:
            video = self.library.upload(key, video_id)
        elif self.library.is_deleted(key, video_id):
            video = None
        if video is None:
            raise NotFound("video", video_id)
        if collection_id is not None and self.collection(collection_id).id != video.collection_id:
            raise NotFound("video", video_id, f"not in collection {collection_id!r}")
        return video

    def delete(self, key: str, video_id: str, collection_id: str | None = None) -> Video:
        video = self.video(key, video_id, collection_id)
        self.library.delete(key, video_id, fixture=video_id in self._videos)
        return video
