"""Plain, immutable data the fixtures describe (collections, videos, clip rules) and a clip request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from .outcomes import Outcome


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    name: str
    description: str = ""
    is_public: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a video with its words: a transcript line or a scene description."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Video:
    id: str
    collection_id: str
    name: str
    length: float
    description: str = ""
    size: int | None = None
    transcript: tuple[Segment, ...] = ()
    scenes: tuple[Segment, ...] = ()

    def __hash__(self) -> int:
        # By id only: the generated hash would walk the whole transcript on every cached look-up
        # (derive_shots is cached by video). Equal videos share an id, so this agrees with ==.
        return hash(self.id)


@dataclass(frozen=True, slots=True)
class Shot:
    start: float
    end: float
    text: str
    score: float


class PromptPattern(Protocol):
    """A compiled prompt_regex (RE2's, which matches in linear time)."""

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Conditions on a clip request; every condition given must hold."""

    video_id: str | None = None
    prompt_contains: str | None = None  # lower-cased when loaded: it matches in any case
    prompt_regex: PromptPattern | None = None
    content_type: str | None = None
    model_name: str | None = None


@dataclass(frozen=True, slots=True)
class ClipRule:
    name: str
    match: RuleMatch
    outcome: Outcome
    description: str = ""


class ClipRequest(NamedTuple):
    # Built on every clip request: a named tuple costs less to build than a frozen dataclass.
    video_id: str
    prompt: str
    content_type: str = "spoken"
    model_name: str = "basic"
    scene_index_id: str | None = None


@dataclass(frozen=True, slots=True)
class JobRule:
    """A fixture rule for a job kind other than clip (upload, index, transcript, scene_index)."""

    name: str
    kind: str
    outcome: Outcome
    video_id: str | None = None  # the video the job works on (not for uploads)
    url_contains: str | None = None  # uploads: a part of the URL, in any case (lower-cased when loaded)
    description: str = ""


@dataclass(frozen=True)
class Fixtures:
    collections: dict[str, Collection]
    default_collection_id: str
    videos: dict[str, Video]
    clip_rules: tuple[ClipRule, ...]
    api_keys: frozenset[str] = field(default_factory=frozenset)
    fault_rules: tuple[Any, ...] = ()  # fault_rules.SeededRule, in file and list order
    job_rules: tuple[JobRule, ...] = ()  # rules of the other job kinds, in file and list order
    # An upload of one of these URLs copies that fixture video (its transcript, scenes, length).
    source_urls: dict[str, str] = field(default_factory=dict)  # url -> video id

