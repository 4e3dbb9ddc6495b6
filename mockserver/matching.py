"""Derive a clip's shots from a video: the segments whose words best overlap the prompt.

The score of a segment is the share of the prompt's meaningful words it contains, so the
same prompt on the same video always picks the same shots in the same order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .model import Segment, Shot, Video

MAX_SHOTS = 5
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORDS = frozenset(
    """a about all an and any are as at be been but by can clip clips do does find for from get give
    had has have how i in into is it its just let make me moment moments my of on or our part parts
    please show shows so some that the their them then there these this those to up us was we were
    what when where which while who with you your""".split()
)


def _stem(word: str) -> str:
    """A light suffix trim so that 'goals' meets 'goal' and 'penalties' meets 'penalty'."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("'s", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=16384)
def terms(text: str) -> frozenset[str]:
    """The meaningful, normalised words of a text. Cached: uploads share their template's transcript
    lines, so a search over many videos reads the same few texts again and again."""
    return frozenset(_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)


def _pool(video: Video, content_type: str) -> tuple[Segment, ...]:
    if content_type == "visual" and video.scenes:
        return video.scenes
    if content_type == "multimodal":
        return tuple(sorted(video.transcript + video.scenes, key=lambda s: (s.start, s.end)))
    return video.transcript


@lru_cache(maxsize=4096)
def derive_shots(video: Video, prompt: str, content_type: str) -> tuple[Shot, ...]:
    """Up to MAX_SHOTS segments ranked by overlap with the prompt, returned in time order.

    A prompt that overlaps nothing gets the video's opening segment with score 0, as a
    real service still answers with something rather than nothing.
    """
    pool = _pool(video, content_type)
    if not pool:
        return (Shot(0.0, video.length, video.name, 0.0),)
    wanted = terms(prompt)
    scored = []
    if wanted:
        for index, segment in enumerate(pool):
            overlap = len(wanted & terms(segment.text))
            if overlap:
                scored.append((-overlap, index, segment))
    if not scored:
        first = pool[0]
        return (Shot(first.start, first.end, first.text, 0.0),)
    best = sorted(scored)[:MAX_SHOTS]
    best.sort(key=lambda item: item[1])
    return tuple(
        Shot(seg.start, seg.end, seg.text, round(-neg / len(wanted), 4)) for neg, _, seg in best
    )
