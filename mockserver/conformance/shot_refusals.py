"""Whether a 400 from compile or stream, to a schema-valid request, is earned.

No schema can say that a shot lies inside its video, so a deployment may refuse schema-valid shots
with 400, but only when the request provably breaks that rule: a shot that does not go forward
(start >= end), a shot that ends past its video's length (as GET /video/{id} reports it), a video the
deployment does not have (GET /video/{id} answers 404), or one named in a collection it is not in.
Any other 400 refuses what an SDK rightly sends, and the check named here fails; a 400 naming a video
the run could not ask about is left unjudged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from schemathesis.core.failures import Failure

from .contract import COMPILE, STREAM, Contract
from .schema_checks import NotApplicable
from .videos import VideoFact

CHECK = "shot_refusal_is_justified"

VideoFacts = Callable[[str], VideoFact]


def _timelines(operation_id: str, path_parameters: Any, body: Any) -> Iterator[tuple[str, str, Any, Any]]:
    """(where, video id, the collection it was named in if any, timeline) of each part of the request."""
    if operation_id == STREAM and isinstance(body, dict):
        yield "body.timeline", str((path_parameters or {}).get("video_id")), None, body.get("timeline")
    elif operation_id == COMPILE and isinstance(body, list):
        for index, item in enumerate(body):
            if isinstance(item, dict):
                yield f"body[{index}].shots", str(item.get("video_id")), item.get("collection_id"), item.get("shots")


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _pairs(timeline: Any) -> list[tuple[float, float]]:
    """The [start, end] shots of a timeline (a schema-valid one has no other kind)."""
    if not isinstance(timeline, list):
        return []
    return [(float(shot[0]), float(shot[1])) for shot in timeline if isinstance(shot, list) and len(shot) == 2 and all(map(_is_seconds, shot))]


@dataclass(frozen=True)
class Proof:
    broken_rule: str | None = None  # the rule the request breaks, when one is shown
    known: str = ""  # what was learnt of the videos, when none is
    undecided: bool = False  # a video the run could not ask about: the refusal is neither shown earned nor unearned


def proof_of_invalid_shots(operation_id: str, path_parameters: Any, body: Any, facts: VideoFacts) -> Proof:
    """Whether the request provably breaks a rule that no schema can say."""
    parts = list(_timelines(operation_id, path_parameters, body))
    for where, _, _, timeline in parts:  # what needs no question to the deployment first
        for index, (start, end) in enumerate(_pairs(timeline)):
            if not start < end:
                return Proof(f"{where}[{index}] = [{start:g}, {end:g}] does not go forward")
    known, undecided = [], False
    for where, video_id, collection_id, timeline in parts:
        fact = facts(video_id)
        if fact.missing:
            return Proof(f"{video_id} is not a video of the deployment (GET /video/{video_id} answered 404)")
        if collection_id is not None and fact.collection_id is not None and collection_id != fact.collection_id:
            return Proof(f"{video_id} is in collection {fact.collection_id}, not the {collection_id!r} the request names")
        undecided = undecided or not fact.asked
        if fact.length is None:
            known.append(f"{video_id}: {fact.unknown}")
            continue
        for index, (start, end) in enumerate(_pairs(timeline)):
            if end > fact.length:
                return Proof(f"{where}[{index}] ends at {end:g}, past the {fact.length:g} s of {video_id}")
        known.append(f"{video_id} is {fact.length:g} s long")
    return Proof(known="; ".join(known), undecided=undecided)


def shot_refusal_check(contract: Contract, facts: VideoFacts) -> Callable[[Any, Any, Any], None]:
    labels = {f"{ref.method.upper()} {ref.path}": operation_id for operation_id, ref in contract.operations.items() if operation_id in (COMPILE, STREAM)}

    def shot_refusal_is_justified(ctx: Any, response: Any, case: Any) -> None:
        operation_id = labels.get(case.operation.label)
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if operation_id is None or response.status_code != 400 or not positive:
            raise NotApplicable
        proof = proof_of_invalid_shots(operation_id, case.path_parameters, case.body, facts)
        if proof.undecided and proof.broken_rule is None:
            raise NotApplicable
        if proof.broken_rule is None:
            raise Failure(
                operation=case.operation.label,
                title="Schema-valid shots refused with 400",
                message=f"no shot breaks start < end <= the video's length ({proof.known or 'no video was named'}): an SDK's request like this one is refused",
            )

    return shot_refusal_is_justified
