"""A video's transcript cut the way a client asks: by word, by sentence or by time window.

Words are not in the fixtures: each transcript line's span is shared evenly among its words,
to the millisecond, so word times are plausible and always the same.
"""

from __future__ import annotations

from functools import lru_cache

from .model import Segment, Video

SEGMENTERS = ("word", "sentence", "time")


@lru_cache(maxsize=256)
def words(video: Video) -> tuple[Segment, ...]:
    timed: list[Segment] = []
    for line in video.transcript:
        parts = line.text.split()
        share = (line.end - line.start) / len(parts)
        for index, word in enumerate(parts):
            end = line.end if index == len(parts) - 1 else round(line.start + (index + 1) * share, 3)
            timed.append(Segment(round(line.start + index * share, 3), end, word))
    return tuple(timed)


def _windows(video: Video, length: float) -> list[Segment]:
    """Words grouped into windows of ``length`` seconds, by when each word starts."""
    grouped: dict[int, list[str]] = {}
    for word in words(video):
        grouped.setdefault(int(word.start // length), []).append(word.text)
    return [
        Segment(round(n * length, 3), round(min((n + 1) * length, video.length), 3), " ".join(texts))
        for n, texts in sorted(grouped.items())
    ]


def segments(video: Video, segmenter: str = "word", length: float = 1.0, start: float | None = None, end: float | None = None) -> list[Segment]:
    """The pieces of the transcript that overlap [start, end] (the whole video by default)."""
    if segmenter == "sentence":
        pieces: list[Segment] | tuple[Segment, ...] = video.transcript
    elif segmenter == "time":
        pieces = _windows(video, length)
    else:
        pieces = words(video)
    low = 0.0 if start is None else start
    high = video.length if end is None else end
    return [piece for piece in pieces if piece.end > low and piece.start < high]

