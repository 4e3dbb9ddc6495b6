"""Deliberately broken deployments: the emulator behind a middleware that breaks one rule of the contract.

Each factory returns a ``Deployment``: an ASGI app to serve with ``ServerThread``, which also counts what it
was asked (so tests can see, server side, which requests a run sent).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx

from mockserver.app import create_app

JOB_PATH = re.compile(r"^/async-response/([^/]+)/?$")
RUN_KEY = "sk-conformance"  # the key the conform runs of these tests use
CLIP_PATH = re.compile(r"^/+video/+[^/]+/+clip/*$")
# Every operation that starts a job: clips, uploads, spoken-word and scene indexes, transcripts.
JOB_CREATING_PATH = re.compile(r"^/+(video/+[^/]+/+(clip|index|index/+scene|transcription)|collection/+[^/]+/+upload)/*$")


@dataclass(frozen=True)
class Seen:
    """A request as the deployment received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    retry_after: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, **({"retry-after": self.retry_after} if self.retry_after else {})}


RequestHook = Callable[[Seen], "Seen | Reply"]
AnswerHook = Callable[[Seen, int, Any], "tuple[int, Any]"]


class Deployment:
    """The emulator, with ``on_request`` able to alter or answer a request and ``on_answer`` to alter a JSON answer."""

    def __init__(self, on_request: RequestHook | None = None, on_answer: AnswerHook | None = None, app: Any = None) -> None:
        self.app = app or create_app()
        self.on_request = on_request
        self.on_answer = on_answer
        self.answered: list[tuple[str, str, int]] = []  # (method, path, status), as the client saw them
        self.received: list[Seen] = []  # every request, as it arrived
        self._lock = threading.Lock()

    def count(self, method: str, path_pattern: re.Pattern[str], statuses: Callable[[int], bool] = lambda status: True) -> int:
        with self._lock:
            return sum(1 for m, path, status in self.answered if m == method and path_pattern.match(path) and statuses(status))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan: the emulator starts its callback dispatcher
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        seen = Seen(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), headers, body)
        with self._lock:
            self.received.append(seen)
        decided = self.on_request(seen) if self.on_request else seen
        if isinstance(decided, Reply):
            await self._reply(seen, decided.status, decided.body, decided.headers, send)
            return
        seen = decided
        scope = {**scope, "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in seen.headers.items() if k != "content-length"]}
        scope["headers"].append((b"content-length", str(len(seen.body)).encode()))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": seen.body, "more_body": False}
            return await receive()

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        status, answer = start["status"], b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        if self.on_answer is not None and headers.get("content-type", "").startswith("application/json") and answer:
            status, altered = self.on_answer(seen, status, json.loads(answer))
            answer = json.dumps(altered).encode()
        await self._reply(seen, status, answer, headers, send)

    async def _reply(self, seen: Seen, status: int, body: bytes, headers: dict[str, str], send: Any) -> None:
        with self._lock:
            self.answered.append((seen.method, seen.path, status))
        kept = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items() if k != "content-length"]
        await send({"type": "http.response.start", "status": status, "headers": [*kept, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _is_job_poll(seen: Seen) -> bool:
    return seen.method == "GET" and JOB_PATH.match(seen.path) is not None


def _done_clip(seen: Seen, body: Any) -> bool:
    """A poll answering a done clip (other kinds' done answers hold no results)."""
    return _is_job_poll(seen) and isinstance(body, dict) and body.get("status") == "done" and "results" in body.get("data", {})


def _done_of_kind(seen: Seen, body: Any, marker: str) -> bool:
    """A poll answering a done job whose data holds ``marker`` (an upload's collection_id, a scene index's id…)."""
    return _is_job_poll(seen) and isinstance(body, dict) and body.get("status") == "done" and marker in body.get("data", {})


def _is_clip_request(seen: Seen) -> bool:
    return seen.method == "POST" and CLIP_PATH.match(seen.path) is not None


# The job contract, broken one rule at a time -----------------------------------------------------
def completed_status_word() -> Deployment:
    """Says `completed` where the contract says `done`, as the published async docs do."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _is_job_poll(seen) and isinstance(body, dict) and body.get("status") == "done":
            body = {**body, "status": "completed"}
        return status, body

    return Deployment(on_answer=on_answer)


def status_goes_backwards() -> Deployment:
    """Answers `processing` again on the poll after a job was done or failed."""
    terminal_seen: set[str] = set()

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        match = JOB_PATH.match(seen.path)
        if seen.method == "GET" and match and isinstance(body, dict) and body.get("status") in ("done", "failed"):
            job_id = match.group(1)
            if job_id in terminal_seen:
                url = f"http://{seen.headers['host']}/async-response/{job_id}"
                return 200, {"success": True, "status": "processing", "data": {"id": job_id, "output_url": url}}
            terminal_seen.add(job_id)
        return status, body

    return Deployment(on_answer=on_answer)


def relative_output_url() -> Deployment:
    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if isinstance(body, dict) and isinstance(body.get("data"), dict) and "output_url" in body["data"]:
            url = body["data"]["output_url"]
            body = {**body, "data": {**body["data"], "output_url": "/" + url.split("://", 1)[1].split("/", 1)[1]}}
        return status, body

    return Deployment(on_answer=on_answer)


def forgets_jobs() -> Deployment:
    """A job is created, then unknown at its output_url."""

    def on_request(seen: Seen) -> Seen | Reply:
        if _is_job_poll(seen):
            return Reply(404, json.dumps({"success": False, "message": "no such job", "error_code": "not_found"}).encode())
        return seen

    return Deployment(on_request=on_request)


def ignores_auth() -> Deployment:
    """Serves every request as if it carried a valid key."""

    def on_request(seen: Seen) -> Seen | Reply:
        key = seen.headers.get("x-access-token", "")
        if not key.startswith("sk-") or len(key) < 4:
            return replace(seen, headers={**seen.headers, "x-access-token": "sk-anyone"})
        return seen

    return Deployment(on_request=on_request)


def forgets_finished_jobs(after: float = 0.3) -> Deployment:
    """A job's terminal answer is served for ``after`` seconds, then its output_url answers 404."""
    ended: dict[str, float] = {}

    def on_request(seen: Seen) -> Seen | Reply:
        match = JOB_PATH.match(seen.path)
        if match and match.group(1) in ended and time.monotonic() - ended[match.group(1)] > after:
            return Reply(404, json.dumps({"success": False, "message": "job not found"}).encode())
        return seen

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        match = JOB_PATH.match(seen.path)
        if match and isinstance(body, dict) and body.get("status") in ("done", "failed"):
            ended.setdefault(match.group(1), time.monotonic())
        return status, body

    return Deployment(on_request=on_request, on_answer=on_answer)


def reissues_job_ids() -> Deployment:
    """Every new job is handed the first job's id and output_url."""
    first: dict[str, Any] = {}

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _is_clip_request(seen) and status == 200 and isinstance(body, dict):
            first.setdefault("data", body["data"])
            return status, {**body, "data": first["data"]}
        return status, body

    return Deployment(on_answer=on_answer)


def refuses_gets_with_a_content_type() -> Deployment:
    """Answers 415 to a GET that says Content-Type: application/json, as the Python SDK's every GET does."""

    def on_request(seen: Seen) -> Seen | Reply:
        if seen.method == "GET" and seen.headers.get("content-type"):
            return Reply(415, json.dumps({"success": False, "message": "a GET takes no body"}).encode())
        return seen

    return Deployment(on_request=on_request)


def refuses_every_compile() -> Deployment:
    """Refuses every /compile with 400, whatever it is given."""

    def on_request(seen: Seen) -> Seen | Reply:
        if seen.method == "POST" and seen.path.rstrip("/").endswith("/compile"):
            return Reply(400, json.dumps({"success": False, "message": "body: invalid"}).encode())
        return seen

    return Deployment(on_request=on_request)


def every_job_fails() -> Deployment:
    """Every clip job ends failed, consistently: nothing breaks a rule, but nothing shows a done clip."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _is_job_poll(seen) and isinstance(body, dict) and body.get("status") == "done":
            return 200, {"success": False, "status": "failed", "message": "the encoder is down"}
        return status, body

    return Deployment(on_answer=on_answer)


def scores_out_of_range() -> Deployment:
    """Done answers whose shots score 7 on the contract's 0-to-1 scale (every other rule kept)."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _done_clip(seen, body):
            for result in body["data"]["results"]:
                for doc in result["docs"]:
                    doc["score"] = 7
        return status, body

    return Deployment(on_answer=on_answer)


def clips_with_an_upper_case_twin() -> Deployment:
    """Done clips carry `RESULTS: []` after their results: Node's camelCase makes both `results`, the
    later wins, and the SDK sees no shots (every other rule kept, so only the job contract's key rule sees it)."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _done_clip(seen, body):
            body["data"]["RESULTS"] = []
        return status, body

    return Deployment(on_answer=on_answer)


def _video_answers_with(key: str, value: Any) -> Deployment:
    """Every video a GET answers carries one more key."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if seen.method == "GET" and re.match(r"^/+video/+[^/]+/*$", seen.path) and status == 200:
            body["data"][key] = value
        return status, body

    return Deployment(on_answer=on_answer)


def videos_with_a_camel_case_twin() -> Deployment:
    """Video answers carry `collectionId` after `collection_id`: Node reads the later one."""
    return _video_answers_with("collectionId", "c-elsewhere")


def videos_named_self() -> Deployment:
    """Video answers carry a key `self`: Python's Video(**video) raises TypeError on every one."""
    return _video_answers_with("self", "m-elsewhere")


def forbids_instead_of_unauthorized() -> Deployment:
    """Refuses a request without a key with 403 and a text body: the SDKs expect 401 and JSON."""

    def on_request(seen: Seen) -> Seen | Reply:
        if not seen.headers.get("x-access-token") and not seen.path.startswith("/upload-target/"):
            return Reply(403, b"Forbidden", "text/plain")
        return seen

    return Deployment(on_request=on_request)


SECOND_KEY = "sk-conformance-second"


def one_namespace_for_every_key() -> Deployment:
    """Accepts a second account's key but serves it the first account's jobs and videos."""

    def on_request(seen: Seen) -> Seen | Reply:
        if seen.headers.get("x-access-token") == SECOND_KEY:
            return replace(seen, headers={**seen.headers, "x-access-token": RUN_KEY})
        return seen

    return Deployment(on_request=on_request)


def refuses_the_node_client() -> Deployment:
    """A gateway that lets only the Python SDK's client header through: Node's calls get a 403."""

    def on_request(seen: Seen) -> Seen | Reply:
        if seen.headers.get("x-videodb-client", "").startswith("videodb-node"):
            return Reply(403, json.dumps({"success": False, "message": "client not allowed"}).encode())
        return seen

    return Deployment(on_request=on_request)


def polls_ignore_auth() -> Deployment:
    """Answers a job poll whatever key it carries, as if the run's own key had asked."""

    def on_request(seen: Seen) -> Seen | Reply:
        if _is_job_poll(seen) and seen.headers.get("x-access-token") != RUN_KEY:
            return replace(seen, headers={**seen.headers, "x-access-token": RUN_KEY})
        return seen

    return Deployment(on_request=on_request)


def refuses_polls_in_plain_text() -> Deployment:
    """Refuses a keyless job poll with 401, but as text, not the contract's JSON error body."""

    def on_request(seen: Seen) -> Seen | Reply:
        if _is_job_poll(seen) and not seen.headers.get("x-access-token"):
            return Reply(401, b"Unauthorized", "text/plain")
        return seen

    return Deployment(on_request=on_request)


def shots_outside_the_video() -> Deployment:
    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _done_clip(seen, body):
            for result in body["data"]["results"]:
                for doc in result["docs"]:
                    doc["end"] = float(result["length"]) + 60
        return status, body

    return Deployment(on_answer=on_answer)


def crashes_on_long_collection_ids() -> Deployment:
    """A plain-text 500, as a crashed handler gives, for collection ids over ten characters."""

    def on_request(seen: Seen) -> Seen | Reply:
        if seen.method == "GET" and seen.path.startswith("/collection/") and len(seen.path) > len("/collection/") + 10:
            return Reply(500, b"Internal Server Error", "text/plain")
        return seen

    return Deployment(on_request=on_request)


def never_finishes() -> Deployment:
    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        match = JOB_PATH.match(seen.path)
        if seen.method == "GET" and match and status == 200:
            job_id = match.group(1)
            url = f"http://{seen.headers['host']}/async-response/{job_id}"
            return 200, {"success": True, "status": "processing", "data": {"id": job_id, "output_url": url}}
        return status, body

    return Deployment(on_answer=on_answer)


def rate_limits_first_polls() -> Deployment:
    """Answers the first poll of every job with 429 and a short Retry-After, as a busy gateway does."""
    limited: set[str] = set()

    def on_request(seen: Seen) -> Seen | Reply:
        if _is_job_poll(seen) and seen.path not in limited:
            limited.add(seen.path)
            return Reply(429, json.dumps({"success": False, "message": "slow down"}).encode(), retry_after="0.2")
        return seen

    return Deployment(on_request=on_request)


# The job kinds beyond clip ------------------------------------------------------------------------
def _done_answers_without(marker: str, dropped: str) -> Deployment:
    """Done answers of the kind whose data holds ``marker`` lose the key ``dropped``."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _done_of_kind(seen, body, marker):
            body["data"].pop(dropped)
        return status, body

    return Deployment(on_answer=on_answer)


def uploads_answer_no_id() -> Deployment:
    """A done upload whose video has no id: Python's upload() returns None on it."""
    return _done_answers_without("collection_id", "id")


def transcripts_without_words() -> Deployment:
    """A done transcript job that answers its text only, without the word_timestamps the SDKs return."""
    return _done_answers_without("word_timestamps", "word_timestamps")


def uploads_vanish() -> Deployment:
    """An upload ends done, but the video it names is not found afterwards."""
    uploaded: set[str] = set()

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if _done_of_kind(seen, body, "collection_id"):
            uploaded.add(body["data"]["id"])
        if seen.method == "GET" and seen.path.rstrip("/").rsplit("/", 1)[-1] in uploaded:
            return 404, {"success": False, "message": "video not found"}
        return status, body

    return Deployment(on_answer=on_answer)


def forgets_scene_indexes() -> Deployment:
    """A scene-index job ends done, but the video's list of scene indexes stays empty."""

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        if seen.method == "GET" and seen.path.rstrip("/").endswith("/index/scene") and isinstance(body, dict) and "data" in body:
            body["data"]["scene_indexes"] = []
        return status, body

    return Deployment(on_answer=on_answer)


# Callbacks --------------------------------------------------------------------------------------
def _without_callback(seen: Seen) -> tuple[Seen, str | None]:
    body = seen.json()
    if not _is_clip_request(seen) or not isinstance(body, dict) or "callback_url" not in body:
        return seen, None
    url = body.pop("callback_url")
    return replace(seen, body=json.dumps(body).encode()), url


def delivers_no_callbacks() -> Deployment:
    """Accepts callback_url and never calls it."""
    return Deployment(on_request=lambda seen: _without_callback(seen)[0])


def delivers_callbacks(
    alter: Callable[[dict[str, Any]], dict[str, Any]] = lambda final: final, content_type: str = "application/json", job_id: bool = True
) -> Deployment:
    """Calls back on its own (the emulator never sees the callback_url) once the job ends:
    ``alter(final poll answer)`` plus the job id, sent as ``content_type``."""
    pending: dict[tuple[str, bytes], str] = {}  # (path, body sent on) -> the callback_url it carried

    def on_request(seen: Seen) -> Seen | Reply:
        stripped, url = _without_callback(seen)
        if url is not None:
            pending[(stripped.path, stripped.body)] = url
        return stripped

    def on_answer(seen: Seen, status: int, body: Any) -> tuple[int, Any]:
        url = pending.pop((seen.path, seen.body), None)
        if url is not None and status == 200:
            poll = f"http://{seen.headers['host']}/async-response/{body['data']['id']}"
            arguments = (poll, seen.headers["x-access-token"], url, body["data"]["id"] if job_id else None, alter, content_type)
            threading.Thread(target=_call_back, args=arguments, daemon=True).start()
        return status, body

    return Deployment(on_request=on_request, on_answer=on_answer)


def delivers_wrong_callbacks() -> Deployment:
    """Calls back once the job ends, but with the final answer's `data` left out."""
    return delivers_callbacks(lambda final: {key: value for key, value in final.items() if key != "data"})


def delivers_callbacks_without_job_id() -> Deployment:
    """Calls back with the final answer alone: the contract requires job_id beside it."""
    return delivers_callbacks(job_id=False)


def delivers_callbacks_as_text() -> Deployment:
    """Calls back with the right body, labelled text/plain."""
    return delivers_callbacks(content_type="text/plain")


def _call_back(
    poll_url: str, key: str, callback_url: str, job_id: str | None, alter: Callable[[dict[str, Any]], dict[str, Any]], content_type: str
) -> None:
    with httpx.Client(timeout=5) as client:
        for _ in range(50):  # at most ~5 s: the emulator's jobs end on their first poll
            final = client.get(poll_url, headers={"x-access-token": key}).json()
            if final.get("status") != "processing":
                break
            time.sleep(0.1)
        body = {**alter(final), **({"job_id": job_id} if job_id is not None else {})}
        client.post(callback_url, content=json.dumps(body), headers={"content-type": content_type})
