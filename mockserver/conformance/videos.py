"""The videos jobs are created on: those named on the command line, else those the deployment lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import Client, Exchange, TransportError
from .contract import GET_VIDEO, LIST_VIDEOS, Contract
from .traffic import RequestRefused


class DiscoveryError(Exception):
    """No video to clip could be found; the message says what answered what."""


@dataclass(frozen=True)
class Video:
    id: str
    collection_id: str | None
    length: float | None  # seconds, as GET /video/{id} reports it; None when it reports none usable


@dataclass(frozen=True)
class VideoFact:
    """What the deployment says of one video: its length, that it has no such video, or why neither is known."""

    length: float | None = None
    collection_id: str | None = None
    missing: bool = False
    asked: bool = True  # False: the run did not ask (its own limit, or no answer): nothing can be judged from it
    unknown: str = ""


def video_length(value: Any) -> float | None:
    """A number or a numeric string, as the contract allows; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def discover_videos(client: Client, contract: Contract, base_url: str, named: tuple[str, ...], limit: int) -> list[Video]:
    ids = list(named) or _listed_ids(client, contract, base_url)
    if not ids:
        raise DiscoveryError("the deployment lists no videos in its default collection, so no job can be created (name some with --video-id)")
    return [_describe(client, contract, base_url, video_id) for video_id in ids[: max(1, limit)]]


def _listed_ids(client: Client, contract: Contract, base_url: str) -> list[str]:
    answer = _get(client, base_url + contract.operation(LIST_VIDEOS).fill())
    body = answer.json()
    data = body.get("data") if isinstance(body, dict) else None
    videos = data.get("videos") if isinstance(data, dict) else None
    if answer.status != 200 or not isinstance(videos, list):
        raise DiscoveryError(f"cannot list the videos: {answer.describe(300)}")
    return [video["id"] for video in videos if isinstance(video, dict) and isinstance(video.get("id"), str)]


def _describe(client: Client, contract: Contract, base_url: str, video_id: str) -> Video:
    answer = _get(client, base_url + contract.operation(GET_VIDEO).fill(video_id=video_id))
    video = _read_video(answer, video_id)
    if video is None:
        raise DiscoveryError(f"cannot read video {video_id}: {answer.describe(300)}")
    return video


def _read_video(answer: Exchange, video_id: str) -> Video | None:
    """The video a GET /video/{id} answer describes; None unless it answered 200 with a video."""
    body = answer.json()
    data = body.get("data") if isinstance(body, dict) else None
    if answer.status != 200 or not isinstance(data, dict):
        return None
    collection_id = data.get("collection_id")
    return Video(video_id, collection_id if isinstance(collection_id, str) else None, video_length(data.get("length")))


class VideoLookup:
    """What the deployment says of each video a refused request named (GET /video/{id}), asked once per id.

    Generated requests name many made-up ids: only the first ``LOOKUPS_KEPT`` are asked about, so a
    long run costs a bounded number of extra requests; later ones are reported as not asked about.
    """

    LOOKUPS_KEPT = 64

    def __init__(self, client: Client, contract: Contract, base_url: str) -> None:
        self._client = client
        self._base_url = base_url
        self._operation = contract.operation(GET_VIDEO) if contract.has(GET_VIDEO) else None
        self._known: dict[str, VideoFact] = {}

    def __call__(self, video_id: str) -> VideoFact:
        fact = self._known.get(video_id)
        if fact is None:
            if len(self._known) >= self.LOOKUPS_KEPT:
                return VideoFact(unknown=f"not asked about (a run asks about {self.LOOKUPS_KEPT} videos at most)", asked=False)
            fact = self._known[video_id] = self._ask(video_id)
        return fact

    def _ask(self, video_id: str) -> VideoFact:
        if self._operation is None:
            return VideoFact(unknown="the contract has no GET /video/{video_id} to ask", asked=False)
        try:
            answer = self._client.get(self._base_url + self._operation.fill(video_id=video_id))
        except (TransportError, RequestRefused) as error:
            return VideoFact(unknown=f"GET /video/{video_id} got no answer ({error})", asked=False)
        if answer.status == 404:
            return VideoFact(missing=True)
        video = _read_video(answer, video_id)
        if video is None or video.length is None:
            return VideoFact(unknown=f"GET /video/{video_id} answered {answer.status} without a usable length")
        return VideoFact(length=video.length, collection_id=video.collection_id)


def _get(client: Client, url: str) -> Exchange:
    try:
        return client.get(url)
    except TransportError as error:
        raise DiscoveryError(f"no answer: {error}") from None
