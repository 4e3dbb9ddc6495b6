"""Plain, immutable data the fixtures describe: collections, videos, clip rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class JobStatus(str, Enum):
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


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


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """Conditions on a clip request; every condition given must hold."""

    video_id: str | None = None
    prompt_contains: str | None = None
    prompt_regex: re.Pattern[str] | None = None
    content_type: str | None = None
    model_name: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackFaults:
    """Opt-in misbehaviour of a job's callback delivery, for testing receivers."""

    duplicate: bool = False  # deliver the same callback twice (same delivery id)
    delay_seconds: float = 0.0  # wait this long on the key's clock before the first attempt
    out_of_order: bool = False  # hold it until a later job's callback of the same key went out

    def names(self) -> list[str]:
        return [name for name, on in (("duplicate", self.duplicate), ("out-of-order", self.out_of_order)) if on]


NO_FAULTS = CallbackFaults()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a clip job ends and how long it stays processing first."""

    status: JobStatus = JobStatus.DONE
    message: str | None = None
    processing_polls: int = 0
    processing_seconds: float = 0.0
    shots: tuple[Shot, ...] | None = None  # None: derive them from the video
    rule: str | None = None  # the name of the rule that chose it, if any
    callback: CallbackFaults = NO_FAULTS


@dataclass(frozen=True, slots=True)
class ClipRule:
    name: str
    match: RuleMatch
    outcome: Outcome
    description: str = ""


@dataclass(frozen=True, slots=True)
class ClipRequest:
    video_id: str
    prompt: str
    content_type: str = "spoken"
    model_name: str = "basic"
    scene_index_id: str | None = None
    callback_url: str | None = None


@dataclass(frozen=True)
class Fixtures:
    collections: dict[str, Collection]
    default_collection_id: str
    videos: dict[str, Video]
    clip_rules: tuple[ClipRule, ...]
    api_keys: frozenset[str] = field(default_factory=frozenset)
