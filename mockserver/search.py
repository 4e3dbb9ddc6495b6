"""Search inside videos: rank transcript lines or scene records against a query.

Semantic search scores a segment by the share of the query's meaningful words it holds (as clip
shots are picked); keyword search finds the query as a substring, in any case, with score 1.
Results come best first, and the same query always finds the same segments.
"""

from __future__ import annotations

from collections.abc import Sequence

from .matching import terms
from .model import Segment, Shot


def rank(segments: Sequence[Segment], query: str, search_type: str, score_threshold: float, limit: int) -> list[Shot]:
    if search_type == "keyword":
        needle = query.lower()
        return [Shot(s.start, s.end, s.text, 1.0) for s in segments if needle in s.text.lower()][:limit]
    wanted = terms(query)
    if not wanted:
        return []
    scored = []
    for index, segment in enumerate(segments):
        overlap = len(wanted & terms(segment.text))
        score = round(overlap / len(wanted), 4)
        if overlap and score >= score_threshold:
            scored.append((-score, index, segment))
    scored.sort()
    return [Shot(segment.start, segment.end, segment.text, -negative) for negative, _, segment in scored[:limit]]
