"""Callback phase: jobs created with a ``callback_url`` on a receiver of ours; each callback must arrive and
carry the job's final poll answer (the job id may ride along at the top level as ``job_id`` or ``id``).

It runs when the deployment can reach this machine: a local target, or ``--callback-host``. Whether a
deployment that delivers nothing fails or only earns a note is ``--callbacks``: ``required``, ``optional``,
or ``auto`` (required when ``--callback-host`` is given). A deployment that delivers some callbacks is
judged on every job either way.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import job_contract as contract_rules
from .client import Client, Exchange, TransportError
from .contract import CREATE_CLIP, Contract
from .findings import Finding, Findings
from .settings import ConformSettings
from .traffic import RequestRefused
from .videos import Video

PHASE = "callbacks"
ARRIVES = "callback_arrives"
MATCHES = "callback_matches_final_answer"
CALLBACK_SCHEMA = "JobCallback"  # the schema of a callback body in openapi.yaml's components
CALLBACK_JOBS = 2  # on the first and the last video listed: two jobs, with a chance of two outcomes
MAX_DELIVERIES = 100
MAX_DELIVERY_BYTES = 1024 * 1024
CALLBACK_PROMPT = "the opening minute"


@dataclass(frozen=True)
class Delivery:
    method: str
    path: str
    body: bytes
    content_type: str = ""


class CallbackReceiver:
    """A small threaded HTTP server that keeps what is sent to it, bounded in count and size."""

    def __init__(self, listen: str, port: int = 0) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _receive(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_DELIVERY_BYTES:
                    self.send_response(413)
                    self.end_headers()
                    return
                body = self.rfile.read(length) if length else b""
                receiver._keep(Delivery(self.command, self.path, body, self.headers.get("content-type") or ""))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}')

            do_POST = do_PUT = do_PATCH = do_GET = _receive

            def log_message(self, format: str, *args: Any) -> None:  # the run reports; the receiver stays quiet
                return

        self._server = ThreadingHTTPServer((listen, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="conform callbacks", daemon=True
        )

    def _keep(self, delivery: Delivery) -> None:
        with self._lock:
            if len(self.deliveries) < MAX_DELIVERIES:
                self.deliveries.append(delivery)

    def received_at(self, path: str) -> list[Delivery]:
        with self._lock:
            return [delivery for delivery in self.deliveries if delivery.path == path]

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@dataclass
class CallbackJob:
    video: Video
    path: str  # where its callback must arrive on the receiver
    created: Exchange
    job_id: str
    output_url: str
    final: Exchange | None = None

    @property
    def subject(self) -> str:
        return f"callback job {self.job_id} on {self.video.id}"


def _schema_problem(contract: Contract, body: bytes) -> str | None:
    """The callback body against the contract's JobCallback schema (job_id required)."""
    problems = contract.schema_problems(CALLBACK_SCHEMA, json.loads(body))
    return f"the callback breaks openapi.yaml's {CALLBACK_SCHEMA}: " + "; ".join(problems) if problems else None


def payload_mismatch(body: bytes, final: Any, job_id: str) -> str | None:
    """What differs between a callback's body and the final poll answer, the job id aside."""
    try:
        payload = json.loads(body)
    except ValueError:
        return f"the callback body is not JSON: {body[:120]!r}"
    if not isinstance(payload, dict):
        return f"the callback body is not a JSON object: {contract_rules.short(payload)}"
    payload = dict(payload)
    for key in ("job_id", "id"):
        if key in payload and not (isinstance(final, dict) and key in final):
            if payload[key] != job_id:
                return f"the callback names job {contract_rules.short(payload[key])}, not {job_id!r}"
            del payload[key]
    if payload != final:
        return f"the callback carried {contract_rules.short(payload, 300)}, the final poll answered {contract_rules.short(final, 300)}"
    return None


def _advertised_host(settings: ConformSettings, port: int) -> str:
    if settings.callback_host is None:
        return f"127.0.0.1:{port}"
    parts = urlsplit("//" + settings.callback_host)
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{parts.port or port}"


def _listen_address(settings: ConformSettings) -> tuple[str, int]:
    listen = settings.callback_listen or ("127.0.0.1" if settings.callback_host is None else "0.0.0.0")
    port = urlsplit("//" + settings.callback_host).port if settings.callback_host else None
    return listen, port or 0


class CallbackPhase:
    def __init__(self, settings: ConformSettings, contract: Contract, client: Client, findings: Findings, videos: list[Video]) -> None:
        self.settings = settings
        self.contract = contract
        self.create_operation = contract.operation(CREATE_CLIP)
        self.client = client
        self.findings = findings
        self.videos = videos
        self._numbers = itertools.count(1)
        self._refused = 0  # creations the deployment answered, but not with a job to follow

    def _contract_problem(self, body: bytes) -> str | None:
        return _schema_problem(self.contract, body)

    def run(self) -> None:
        if self.settings.callbacks == "off":
            self.findings.note(PHASE, "skipped: --callbacks off")
            return
        if not self.settings.target_is_local and self.settings.callback_host is None:
            self.findings.note(PHASE, "skipped: the deployment is not on this machine; give --callback-host HOST[:PORT] that it can reach")
            return
        if self.settings.callbacks_required:
            self.findings.expect(PHASE, (ARRIVES, MATCHES))
        with CallbackReceiver(*_listen_address(self.settings)) as receiver:
            base = f"http://{_advertised_host(self.settings, receiver.port)}"
            videos = [self.videos[0], self.videos[-1]] if len(self.videos) > 1 else self.videos[:1]
            jobs = [job for job in (self._create(video, base) for video in videos) if job is not None]
            if not jobs:
                if self._refused and self.settings.callbacks_required:
                    refused = "the deployment refused every job that named a callback_url"
                    self.findings.fail(Finding(PHASE, ARRIVES, "jobs with a callback_url", refused))
                else:
                    self.findings.note(PHASE, "skipped: no job with a callback_url could be created")
                return
            for job in jobs:
                job.final = self._final_answer(job)
            self._wait_for(receiver, jobs)
            self._judge(receiver, jobs)

    def _create(self, video: Video, receiver_base: str) -> CallbackJob | None:
        path = f"/callbacks/{next(self._numbers)}"  # the receiver is this run's own: a counter keeps runs reproducible
        url = self.settings.base + self.create_operation.fill(video_id=video.id)
        try:
            answer = self.client.post_json(url, {"prompt": CALLBACK_PROMPT, "callback_url": receiver_base + path})
        except RequestRefused:
            return None
        except TransportError as error:
            self.findings.fail(Finding(PHASE, "request_completes", f"callback job on {video.id}", f"no answer: {error}"))
            return None
        body = answer.json()
        data = body.get("data") if isinstance(body, dict) else None
        if answer.status != 200 or not isinstance(data, dict) or contract_rules.output_url_not_absolute(data.get("output_url")):
            self._refused += 1
            self.findings.note(PHASE, f"a job with a callback_url could not be followed: {answer.describe(300)}")
            return None
        self.client.policy.allow_list.admit(data["output_url"])
        self.findings.say(f"callbacks: job {data.get('id')} on {video.id} will call back {receiver_base + path}")
        return CallbackJob(video, path, answer, str(data.get("id")), data["output_url"])

    def _final_answer(self, job: CallbackJob) -> Exchange | None:
        deadline = time.monotonic() + self.settings.job_timeout
        while True:  # bounded by the deadline: each turn sleeps the poll interval
            try:
                answer = self.client.get(job.output_url)
            except (TransportError, RequestRefused):
                return None
            if answer.status != 200 or contract_rules.status_of(answer.json()) != contract_rules.PROCESSING:
                return answer if answer.status == 200 else None
            if time.monotonic() >= deadline:
                return None
            time.sleep(self.settings.poll_interval)

    def _wait_for(self, receiver: CallbackReceiver, jobs: list[CallbackJob]) -> None:
        deadline = time.monotonic() + self.settings.callback_wait
        while time.monotonic() < deadline and not all(receiver.received_at(job.path) for job in jobs):
            time.sleep(0.05)

    def _judge(self, receiver: CallbackReceiver, jobs: list[CallbackJob]) -> None:
        arrived = [job for job in jobs if receiver.received_at(job.path)]
        if not arrived and not self.settings.callbacks_required:
            self.findings.note(
                PHASE,
                f"skipped: no callback arrived within {self.settings.callback_wait:g} s — the deployment may not deliver callbacks "
                "(--callbacks required makes this a failure)",
            )
            return
        for job in jobs:
            deliveries = receiver.received_at(job.path)
            evidence = f"created: {job.created.describe(300)}\nfinal poll: {job.final.describe(400) if job.final else '(none)'}"
            if not deliveries:
                missing = f"no callback arrived within {self.settings.callback_wait:g} s"
                self.findings.fail(Finding(PHASE, ARRIVES, job.subject, missing, evidence, (job.created.curl(),)))
                continue
            self.findings.passed(PHASE, ARRIVES)
            if job.final is None:
                self.findings.note(PHASE, f"{job.subject}: no final answer within --job-timeout, so its callback was not compared")
                continue
            for delivery in deliveries:
                media_type = delivery.content_type.split(";")[0].strip().lower()
                if delivery.method != "POST":
                    problem: str | None = f"the callback came as {delivery.method}, not POST"
                elif media_type != "application/json":
                    problem = f"the callback came as Content-Type {delivery.content_type or '(none)'!r}, not application/json"
                else:
                    problem = payload_mismatch(delivery.body, job.final.json(), job.job_id) or self._contract_problem(delivery.body)
                if problem is None:
                    self.findings.passed(PHASE, MATCHES)
                else:
                    shown = f"{evidence}\ncallback: {delivery.method} {delivery.path} {delivery.body[:400].decode('utf-8', 'replace')}"
                    self.findings.fail(Finding(PHASE, MATCHES, job.subject, problem, shown, (job.created.curl(),)))
