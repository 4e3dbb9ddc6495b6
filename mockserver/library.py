"""What each API key adds to the shared fixtures: its uploads, upload slots, indexes and deletions.

Fixtures are shared by every key and never change; a key's own media live here, invisible to
other keys, bounded, and gone with a reset. Jobs fill it: an upload, index or scene-index job
that ends done leaves its result on the key's shelf (the kinds do it, on the engine's JobEnded).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from . import ids
from .errors import InvalidInput, NotFound
from .model import Segment, Video


@dataclass(frozen=True)
class LibraryLimits:
    """What bounds the keys' own media; past a bound the oldest goes first (for a bound in all, the
    least recently used key's oldest)."""

    uploads_per_key: int = 1_000  # uploaded videos (with their indexes)
    uploads: int = 10_000  # in all
    upload_text_bytes: int = 16 * 1024 * 1024  # names and descriptions of uploads, as clients sent them, in all
    upload_slots_per_key: int = 100  # upload URLs handed out and not yet used
    scene_indexes_per_key: int = 1_000
    scene_indexes: int = 10_000  # in all
    keys: int = 1_000  # the least recently used key's shelf is forgotten whole
    # Keys forgotten whole by the bound above whose id counters are remembered, so that a returning key
    # never hands out an id it gave before (an old upload job's answer names that id).
    remembered_keys: int = 10_000


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """What the upload target kept of a file: never its bytes."""

    filename: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class UploadSlot:
    """An upload URL handed out by ``upload_url``: the token in it is the only credential."""

    token: str
    key: str
    collection_id: str
    name: str | None
    received: ReceivedFile | None = None


@dataclass(frozen=True, slots=True)
class SceneIndex:
    id: str
    video_id: str
    name: str
    extraction_type: str
    records: tuple[Segment, ...]


@dataclass
class _Shelf:
    uploads: OrderedDict[str, Video] = field(default_factory=OrderedDict)  # oldest first
    spoken: set[str] = field(default_factory=set)  # video ids with a spoken-word index
    scene_indexes: OrderedDict[str, SceneIndex] = field(default_factory=OrderedDict)
    deleted: set[str] = field(default_factory=set)  # fixture videos this key deleted
    slots: OrderedDict[str, UploadSlot] = field(default_factory=OrderedDict)
    counters: dict[str, int] = field(default_factory=dict)  # per kind of id handed out


class Library:
    def __init__(self, seed: int, limits: LibraryLimits | None = None) -> None:
        self.seed = seed
        self.limits = limits or LibraryLimits()
        self._shelves: OrderedDict[str, _Shelf] = OrderedDict()
        self._slot_keys: dict[str, str] = {}  # token -> key, for the upload target (it has no key)
        self._uploads = self._upload_text = self._scene_indexes = 0  # in all, for the bounds in all
        self._retired: OrderedDict[str, dict[str, int]] = OrderedDict()  # evicted key -> its id counters

    # Shelves ------------------------------------------------------------------------------------
    def _shelf(self, key: str) -> _Shelf:
        shelf = self._shelves.get(key)
        if shelf is None:
            shelf = self._shelves[key] = _Shelf(counters=self._retired.pop(key, {}))
            while len(self._shelves) > self.limits.keys:
                evicted, dropped = self._shelves.popitem(last=False)
                self._drop(evicted, dropped)
                self._retired[evicted] = dropped.counters  # its ids go on where they stopped
                while len(self._retired) > self.limits.remembered_keys:
                    self._retired.popitem(last=False)
        else:
            self._shelves.move_to_end(key)
        return shelf

    def _drop(self, key: str, shelf: _Shelf) -> None:
        for token in shelf.slots:
            self._slot_keys.pop(token, None)
        for video_id in list(shelf.uploads):
            self._remove_upload(shelf, video_id)
        self._scene_indexes -= len(shelf.scene_indexes)

    def reset(self, key: str | None = None) -> None:
        if key is None:
            self._shelves.clear()
            self._slot_keys.clear()
            self._retired.clear()
            self._uploads = self._upload_text = self._scene_indexes = 0
            return
        self._retired.pop(key, None)  # a reset, asked for, starts the key's ids again
        shelf = self._shelves.pop(key, None)
        if shelf is not None:
            self._drop(key, shelf)

    def next_number(self, key: str, counter: str) -> int:
        """1, 2, … per key and counter: ids derived from it are the same in every replayed run."""
        counters = self._shelf(key).counters
        counters[counter] = number = counters.get(counter, 0) + 1
        return number

    # Videos -------------------------------------------------------------------------------------
    def upload(self, key: str, video_id: str) -> Video | None:
        shelf = self._shelves.get(key)  # a look-up on every video request: no LRU move
        return None if shelf is None else shelf.uploads.get(video_id)

    def uploads(self, key: str) -> list[Video]:
        shelf = self._shelves.get(key)
        return [] if shelf is None else list(shelf.uploads.values())

    def is_deleted(self, key: str, video_id: str) -> bool:
        shelf = self._shelves.get(key)
        return shelf is not None and video_id in shelf.deleted

    def add_upload(self, key: str, video: Video) -> None:
        shelf = self._shelf(key)
        shelf.uploads[video.id] = video
        self._uploads += 1
        self._upload_text += _text_of(video)
        limits = self.limits
        while len(shelf.uploads) > limits.uploads_per_key:
            self._remove_upload(shelf, next(iter(shelf.uploads)))
        while self._uploads > limits.uploads or self._upload_text > limits.upload_text_bytes:
            # The shelf just used is the most recent: another key's oldest upload goes first.
            oldest = next(s for s in self._shelves.values() if s.uploads)
            self._remove_upload(oldest, next(iter(oldest.uploads)))

    def _remove_upload(self, shelf: _Shelf, video_id: str) -> bool:
        video = shelf.uploads.pop(video_id, None)
        if video is not None:
            self._uploads -= 1
            self._upload_text -= _text_of(video)
        self._forget_indexes(shelf, video_id)
        return video is not None

    def delete(self, key: str, video_id: str, fixture: bool) -> None:
        """An upload is forgotten; a fixture video is hidden from this key only."""
        shelf = self._shelf(key)
        if not self._remove_upload(shelf, video_id) and fixture:
            shelf.deleted.add(video_id)  # bounded by the fixtures' own videos

    def _forget_indexes(self, shelf: _Shelf, video_id: str) -> None:
        shelf.spoken.discard(video_id)
        for index_id in [i for i, index in shelf.scene_indexes.items() if index.video_id == video_id]:
            del shelf.scene_indexes[index_id]
            self._scene_indexes -= 1

    # Indexes ------------------------------------------------------------------------------------
    def has_spoken_index(self, key: str, video_id: str) -> bool:
        shelf = self._shelves.get(key)
        return shelf is not None and video_id in shelf.spoken

    def add_spoken_index(self, key: str, video_id: str) -> None:
        self._shelf(key).spoken.add(video_id)  # bounded: one per video the key can see

    def add_scene_index(self, key: str, index: SceneIndex) -> None:
        indexes = self._shelf(key).scene_indexes
        indexes[index.id] = index
        self._scene_indexes += 1
        while len(indexes) > self.limits.scene_indexes_per_key:
            indexes.popitem(last=False)
            self._scene_indexes -= 1
        while self._scene_indexes > self.limits.scene_indexes:
            next(s for s in self._shelves.values() if s.scene_indexes).scene_indexes.popitem(last=False)
            self._scene_indexes -= 1

    @property
    def totals(self) -> dict[str, int]:
        """What all keys hold, for the bounds in all."""
        return {"uploads": self._uploads, "upload_text_bytes": self._upload_text, "scene_indexes": self._scene_indexes}

    def scene_indexes(self, key: str, video_id: str) -> list[SceneIndex]:
        shelf = self._shelves.get(key)
        return [] if shelf is None else [i for i in shelf.scene_indexes.values() if i.video_id == video_id]

    def scene_index(self, key: str, video_id: str, index_id: str) -> SceneIndex:
        shelf = self._shelves.get(key)
        index = None if shelf is None else shelf.scene_indexes.get(index_id)
        if index is None or index.video_id != video_id:
            raise NotFound("scene index", index_id, f"no scene index of {video_id} has this id")
        return index

    # Upload slots -------------------------------------------------------------------------------
    def open_slot(self, key: str, collection_id: str, name: str | None) -> UploadSlot:
        shelf = self._shelf(key)
        token = ids.upload_token(self.seed, key, self.next_number(key, "slot"))
        slot = shelf.slots[token] = UploadSlot(token, key, collection_id, name)
        self._slot_keys[token] = key
        while len(shelf.slots) > self.limits.upload_slots_per_key:
            dropped, _ = shelf.slots.popitem(last=False)
            self._slot_keys.pop(dropped, None)
        return slot

    def slot_by_token(self, token: str) -> UploadSlot:
        """The slot an upload URL names, whoever's it is (the upload target has no API key)."""
        key = self._slot_keys.get(token)
        slot = None if key is None else self._shelves[key].slots.get(token)
        if slot is None:
            raise NotFound("upload URL", token, "it was never handed out, was already used, or was reset")
        return slot

    def receive(self, token: str, received: ReceivedFile) -> UploadSlot:
        slot = self.slot_by_token(token)
        if slot.received is not None:
            raise InvalidInput("file", "this upload URL already received a file; ask upload_url for another")
        slot = self._shelves[slot.key].slots[token] = replace(slot, received=received)
        return slot

    def use_slot(self, key: str, token: str) -> UploadSlot:
        """The key's slot, once its file arrived; it cannot be used twice."""
        shelf = self._shelves.get(key)
        slot = None if shelf is None else shelf.slots.get(token)
        if slot is None:
            raise InvalidInput("body.url", "names an upload URL this key was not given, or one already used")
        if slot.received is None:
            raise InvalidInput("body.url", "this upload URL has received no file yet: POST the file to it first")
        del shelf.slots[token]  # type: ignore[union-attr]
        self._slot_keys.pop(token, None)
        return slot


def _text_of(video: Video) -> int:
    """The client-sent text an upload keeps: its name and description (the transcript is the template's, shared)."""
    return len(video.name) + len(video.description)
