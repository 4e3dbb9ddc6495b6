"""Contract-valid answers as hypothesis strategies, for testing a VideoDB client against every
answer ``openapi.yaml`` and the job contract allow, not only the emulator's own.

- ``answer(operation_id, status)``: any answer of one operation.
- ``clip_data()``: a done clip job's ``data``, its shots inside their video (0 <= start < end <= length).
- ``clip_journey(base_url)``: every answer an SDK needs for the clip journey (collection, video,
  clip job, its polls, compile and stream), ready for ``Control.give_answers`` or
  ``videodb_mock.answers``.
- ``trimmed_answers(answers, fails)``: a failing journey's answers with every key and item that
  does not matter to the failure deleted, each answer still one the contract allows.

Objects the contract leaves open get extra keys after the declared ones, named like what the SDKs
themselves use (where a client is likeliest to misread an answer) and always lower snake_case, as
the job contract requires. Needs hypothesis: ``pip install 'videodb-clip-emulator[conform]'``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as missing:  # pragma: no cover - depends on the user's environment
    raise ImportError("mockserver.strategies needs hypothesis: pip install 'videodb-clip-emulator[conform]'") from missing

from . import resources
from .conformance.job_contract import CLIP, MAX_SHOTS, answer_rules_broken, shape_broken
from .control import given_answer_body
from .schema_strategies import from_schema
from .spec import compile_validator, inline_refs, load_document
from .trimming import trimmed

# Parameter, attribute and key names of both SDKs (Node's snake-cased): an extra key named so is the
# likeliest to be mistaken for one the client reads.
SDK_NAMES = (
    "id", "collection_id", "video_id", "length", "video_length", "name", "title", "video_title", "description",
    "stream_url", "stream_link", "player_url", "thumbnail", "thumbnail_url", "user_id", "size", "is_public",
    "results", "docs", "shots", "start", "end", "text", "score", "search_score", "metadata", "scene_index_id",
    "scene_index_name", "status", "success", "data", "message", "error_code", "output_url", "percentage",
    "response_type", "warnings", "code", "label", "url", "media_type", "callback_url", "timeline", "connection",
    "http", "vhttp", "emit_warnings", "kwargs", "args", "type", "value", "index", "job_id", "prompt",
)  # fmt: skip
_LOWER = string.ascii_lowercase + string.digits
_SNAKE_NAMES = st.builds(  # lower snake_case by construction: a letter, then words joined by "_"
    lambda first, rest, words: "_".join([first + rest, *words]),
    st.sampled_from(string.ascii_lowercase),
    st.text(_LOWER, max_size=5),
    st.lists(st.text(_LOWER, min_size=1, max_size=5), max_size=2),
)
_NAMES = st.sampled_from(SDK_NAMES) | _SNAKE_NAMES
_SCALARS = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.floats(-1e6, 1e6) | st.text(max_size=12)
_EXTRA_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=3),
    max_leaves=6,
)

# A clip job's own id goes into the URL polled: path-safe, as ids are everywhere else.
_JOB_IDS = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=24)


def sdk_extra_keys(declared: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Extra keys for an open object: names the SDKs use, or any snake_case name."""
    return st.dictionaries(_NAMES, _EXTRA_VALUES, max_size=3)  # the builder drops any declared name


@cache
def contract() -> dict[str, Any]:
    """The bundled openapi.yaml, parsed."""
    return load_document(resources.spec_path())


def _response_schema(operation_id: str, status: int) -> dict[str, Any]:
    for item in contract()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                response = inline_refs(contract(), operation["responses"].get(str(status)))
                if response is None or "application/json" not in response.get("content", {}):
                    raise ValueError(f"{operation_id} declares no JSON answer {status}")
                return response["content"]["application/json"]["schema"]
    raise ValueError(f"openapi.yaml has no operation {operation_id}")


@cache
def answer(operation_id: str, status: int = 200) -> st.SearchStrategy[Any]:
    """Any answer openapi.yaml allows for that operation and status."""
    return from_schema(_response_schema(operation_id, status), contract(), extra_keys=sdk_extra_keys)


@cache
def schema(name: str) -> st.SearchStrategy[Any]:
    """Any value of a component schema of openapi.yaml (``Shot``, ``Video``…)."""
    return from_schema({"$ref": f"#/components/schemas/{name}"}, contract(), extra_keys=sdk_extra_keys)


# A done answer's own keys, and those the contract keeps out of it: extras never take these names.
_DONE_KEYS = frozenset({"success", "status", "data", "message", "response", "request_type"})
_envelope_extras = sdk_extra_keys(tuple(_DONE_KEYS)).map(lambda extras: {k: v for k, v in extras.items() if k not in _DONE_KEYS})


@cache
def _accepts(name: str) -> Any:
    return compile_validator(inline_refs(contract(), {"$ref": f"#/components/schemas/{name}"})).is_valid


@st.composite
def clip_data(draw: st.DrawFn) -> dict[str, Any]:
    """A done clip's ``data``: the contract's shape, and the job contract's rule that every shot
    lies inside its video (0 <= start < end <= length) and that a clip holds at most MAX_SHOTS shots
    (one compile request's worth); times are drawn inside the length."""
    data = draw(schema("Clip"))
    if sum(len(result["docs"]) for result in data["results"]) > MAX_SHOTS:
        draw(st.nothing())  # more than one compile takes: the job contract refuses it
    for result in data["results"]:
        length = float(result["length"])
        for doc in result["docs"]:
            if length <= 0:
                result["length"] = length = draw(st.floats(1.0, 3600.0))
            doc["start"] = start = draw(st.floats(0.0, length, exclude_max=True))
            doc["end"] = draw(st.floats(start, length, exclude_min=True))
    return data


@dataclass(frozen=True)
class ClipJourney:
    """The answers of one clip journey, in the order an SDK asks for them."""

    answers: list[dict[str, Any]]  # each as Control.give_answers takes it
    job_id: str
    outcome: str  # done | failed
    shots: int  # how many shots the done clip holds
    processing_polls: int

    def answer_of(self, operation: str) -> Any:
        """The body given for an operation (its last, for the polls: the terminal answer)."""
        return [a["body"] for a in self.answers if a["operation"] == operation][-1]


@st.composite
def clip_journey(draw: st.DrawFn, base_url: str, max_processing_polls: int = 0) -> ClipJourney:
    """Every answer of the clip journey: the default collection, a video, a clip job polled at
    ``base_url`` (after up to ``max_processing_polls`` processing answers: each costs the SDKs their
    fixed poll interval), then done or failed, and compile and stream answers for a done one."""
    job_id = draw(_JOB_IDS)
    output_url = f"{base_url.rstrip('/')}/async-response/{job_id}"
    processing = draw(answer("createClip"))
    processing["data"].update(id=job_id, output_url=output_url)
    polls = []
    for _ in range(draw(st.integers(0, max_processing_polls))):
        again = draw(answer("createClip"))
        again["data"].update(id=job_id, output_url=output_url)
        polls.append(again)
    if draw(st.booleans()):
        # Built here rather than drawn whole: JobDone's data may be any kind's result, and only a clip's fits.
        terminal = {"success": True, "status": "done", "data": draw(clip_data()), **draw(_envelope_extras)}
        # The clip's extra keys may make it another kind's result too (a `scene_index_id` alone is
        # a scene index's): the answer must stay one kind's.
        if not _accepts("JobDone")(terminal):
            draw(st.nothing())
    else:
        terminal = draw(schema("JobFailed"))
    shots = sum(len(result["docs"]) for result in terminal["data"]["results"]) if terminal["status"] == "done" else 0
    answers = [
        given_answer_body("getDefaultCollection", draw(answer("getDefaultCollection"))),
        given_answer_body("getVideo", draw(answer("getVideo"))),
        given_answer_body("createClip", processing),
        *(given_answer_body("getAsyncResponse", poll) for poll in polls),
        given_answer_body("getAsyncResponse", terminal),
    ]
    if shots:
        answers += [
            given_answer_body("compileShots", draw(answer("compileShots"))),
            given_answer_body("generateStream", draw(answer("generateStream"))),
        ]
    return ClipJourney(answers, job_id, terminal["status"], shots, len(polls))


@cache
def _allows(operation_id: str, status: int) -> Any:
    return compile_validator(_response_schema(operation_id, status)).is_valid


def trimmed_answers(answers: list[dict[str, Any]], fails: Any) -> list[dict[str, Any]]:
    """Given answers of a clip journey (as ``Control.give_answers`` takes them) that make
    ``fails(answers)`` true, with each body trimmed to what the failure needs, every body still
    allowed by the contract and the job contract, and every poll still a clip job's. ``fails`` is
    asked once per try: give it a fresh key each time."""
    current = [dict(given) for given in answers]
    for index, given in enumerate(current):
        allows = _allows(given["operation"], given["status"])

        def fails_with(body: Any, index: int = index) -> bool:
            return bool(fails([*current[:index], {**current[index], "body": body}, *current[index + 1 :]]))

        def allowed(body: Any, allows: Any = allows, poll: bool = given["operation"] == "getAsyncResponse") -> bool:
            # A clip job's poll stays a clip's: the contract would also take `{}` data, an index's.
            if poll and (not isinstance(body, dict) or shape_broken(body, CLIP) is not None):
                return False
            return bool(allows(body)) and answer_rules_broken(body) is None

        current[index] = {**given, "body": trimmed(given["body"], fails_with, allowed)}
    return current
