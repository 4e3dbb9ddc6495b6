"""Lifecycle phase: clip jobs created, polled and judged over time by a hypothesis state machine.

Jobs are created from generated valid requests on the videos in turn, so failed jobs are judged as well
as done ones. Each poll answer is judged against the job contract (``job_contract``); when a scenario
ends, its jobs are polled until terminal (within ``--job-timeout``) and polled once more to see that the
terminal answer holds.
"""

from __future__ import annotations

import itertools
import math
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, precondition, rule, run_state_machine_as_test
from schemathesis import GenerationMode

from . import job_contract as contract_rules
from .client import Client, Exchange, TransportError
from .contract import CREATE_CLIP, GET_JOB, Contract
from .findings import Finding, Findings
from .lifecycle_probes import POLL_AUTH, REAL_SHOTS, probe_poll_auth, use_real_shots
from .schema_config import UNSAFE_BODY_PROPERTIES
from .settings import ConformSettings
from .traffic import RequestRefused
from .videos import Video

PHASE = "lifecycle"
ALLOWED = "status_in_allowed_set"
BACKWARDS = "never_backwards"
STABLE = "terminal_stable"
SHAPE = "state_shape"
OUTPUT_URL = "output_url_absolute_and_answering"
RIGHT_VIDEO = "done_points_at_requested_video"
SHOTS = "shots_within_video"
IDS = "ids_consistent"
IN_TIME = "terminal_within_timeout"
UNKNOWN = "unknown_job_404"
ACCEPTED = "valid_request_accepted"
NO_ANSWER = "request_completes"
UNIQUE_IDS = "job_ids_unique"
LASTING = "terminal_lasts"
MATCHES_CONTRACT = "answer_matches_contract"


@dataclass
class TrackedJob:
    number: int
    video: Video
    request: Exchange  # the creation request and its answer
    job_id: str
    output_url: str
    created_at: float
    answers: list[Exchange] = field(default_factory=list)
    terminal: Exchange | None = None
    terminal_at: float = 0.0  # when the terminal answer came, for the later re-poll
    finished: bool = False  # judged for good: terminal and confirmed, timed out, or no longer answering
    last_poll: float = 0.0
    kind: str = CREATE_CLIP  # the operation that started it

    @property
    def subject(self) -> str:
        of_kind = "" if self.kind == CREATE_CLIP else f" ({self.kind})"
        return f"job {self.number}{of_kind} on {self.video.id}"

    def evidence(self) -> str:
        body = (self.request.request_body or b"").decode("utf-8", "replace")[:300]
        lines = [f"request: {self.request.method} {self.request.url} {body}", "answers:"]
        for index, exchange in enumerate([self.request, *self.answers], start=1):
            lines.append(f"  {index}. {exchange.describe(400)}")
        return "\n".join(lines)

    def reproduction(self) -> tuple[str, ...]:
        steps = [self.request.curl()]
        if self.answers:
            steps.append("# then poll the output_url the first answer hands back, as this run did:")
            steps.append(self.answers[-1].curl())
        return tuple(steps)


class LifecycleRun:
    """What the state machine acts on: creating, polling and judging jobs, within the budget and the clock."""

    def __init__(self, settings: ConformSettings, contract: Contract, client: Client, findings: Findings, videos: list[Video]) -> None:
        self.settings = settings
        self.contract = contract
        self.client = client
        self.findings = findings
        self.create_operation = contract.operation(CREATE_CLIP)
        self.job_operation = contract.operation(GET_JOB)
        self.videos = videos
        self._rotation = itertools.cycle(videos)
        self._numbers = itertools.count(1)
        # Enough polls to cover the timeout at the poll interval, plus the confirming one.
        self.max_polls = math.ceil(settings.job_timeout / max(settings.poll_interval, 0.01)) + 3
        self.jobs: list[TrackedJob] = []
        self._compiled = False  # a done job's shots went through compile and stream once

    def _judge(self, check: str, problem: str | None, job: TrackedJob) -> bool:
        if problem is None:
            self.findings.passed(PHASE, check)
            return True
        self.findings.fail(Finding(PHASE, check, job.subject, problem, job.evidence(), job.reproduction()))
        return False

    def ask(self, job: TrackedJob, check: str, what: str, send: Callable[[], Exchange]) -> Exchange | None:
        """``send``'s answer, for a probe about ``job``; None, failing ``check``, when no answer came."""
        try:
            return send()
        except (TransportError, RequestRefused) as error:
            self.findings.fail(Finding(PHASE, check, job.subject, f"no answer for {what}: {error}"))
            return None

    def can_create(self) -> bool:
        return self.client.policy.budget.remaining > 0

    # Creating ---------------------------------------------------------------------------------
    def cover_videos(self, bodies: list[dict[str, Any]]) -> list[TrackedJob]:
        """A job on every video that has none yet, budget permitting: failed jobs get judged, not only done ones."""
        covered = {job.video.id for job in self.jobs if job.kind == CREATE_CLIP}
        missing = [video for video in self.videos if video.id not in covered]
        created = (self.create(body, video) for body, video in zip(bodies, missing) if self.can_create())
        return [job for job in created if job is not None]

    def create(self, body: dict[str, Any], video: Video | None = None, kind: str = CREATE_CLIP) -> TrackedJob | None:
        """A job started by the ``kind`` operation on ``video`` (an upload: into its collection)."""
        video = video or next(self._rotation)
        operation = self.contract.operation(kind)
        url = self.settings.base + operation.fill(video_id=video.id, collection_id=video.collection_id or "default")
        try:
            answer = self.client.post_json(url, body)
        except RequestRefused:
            return None
        except TransportError as error:
            self.findings.fail(Finding(PHASE, NO_ANSWER, f"new job on {video.id}", f"no answer: {error}"))
            return None
        number = next(self._numbers)
        payload = answer.json()
        status_word = contract_rules.short(contract_rules.status_of(payload))
        self.findings.say(f"lifecycle: job {number} on {video.id}: created -> {answer.status} {status_word}")
        placeholder = TrackedJob(number, video, answer, "", "", time.monotonic(), kind=kind)
        if answer.status == 429:
            self.findings.note(PHASE, f"job {number} was refused with 429 (rate limited) even after waiting as asked")
            return None
        refused = f"a valid {operation.label} request for listed video {video.id} answered {answer.status}"
        if not self._judge(ACCEPTED, None if answer.status == 200 else refused, placeholder):
            return None
        self._judge_by_contract(kind, answer, placeholder)
        if not self._judge(ALLOWED, contract_rules.status_not_allowed(payload), placeholder):
            return None
        problem = contract_rules.shape_broken(payload, kind)
        if problem is None and payload.get("status") != contract_rules.PROCESSING:
            problem = f"a new job answers {payload.get('status')!r}; the contract says it starts processing"
        if not self._judge(SHAPE, problem, placeholder):
            return None
        data = payload["data"]
        if not self._judge(OUTPUT_URL, contract_rules.output_url_not_absolute(data["output_url"]), placeholder):
            return None
        self.client.policy.allow_list.admit(data["output_url"])
        job = TrackedJob(number, video, answer, data["id"], data["output_url"], placeholder.created_at, kind=kind)
        earlier = next((j for j in self.jobs if j.job_id == job.job_id), None)
        self._judge(UNIQUE_IDS, None if earlier is None else f"the id {job.job_id!r} was handed out before, to {earlier.subject}", job)
        self.jobs.append(job)
        if len(self.jobs) == 1:
            probe_poll_auth(self, job)  # once a run: three requests, whatever the budget of jobs
        return job

    # Polling ----------------------------------------------------------------------------------
    def poll(self, job: TrackedJob) -> None:
        if job.finished:
            return
        wait = job.last_poll + self.settings.poll_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            answer = self.client.get(job.output_url)
        except (TransportError, RequestRefused) as error:
            job.finished = True
            self.findings.fail(Finding(PHASE, NO_ANSWER, job.subject, f"polling got no answer: {error}", job.evidence(), job.reproduction()))
            return
        job.last_poll = time.monotonic()
        job.answers.append(answer)
        self._judge_poll(job, answer)

    def _judge_poll(self, job: TrackedJob, answer: Exchange) -> None:
        if answer.status == 429:  # still rate limited after waiting as asked: poll again later, within the job's time
            if self._late(job):
                job.finished = True
                self.findings.note(PHASE, f"{job.subject}: still rate limited at --job-timeout; not judged")
            return
        if answer.status != 200:
            first = len(job.answers) == 1
            job.finished = True
            self._judge(OUTPUT_URL, f"output_url answered {answer.status}{' right after the job was created' if first else ''}", job)
            return
        body = answer.json()
        self._judge_by_contract(GET_JOB, answer, job)
        if not self._judge(ALLOWED, contract_rules.status_not_allowed(body), job):
            job.finished = True
            return
        status = body["status"]
        if job.terminal is not None:
            first = job.terminal.json()
            job.finished = True
            self._judge(BACKWARDS, contract_rules.went_backwards(first["status"], status), job)
            self._judge(STABLE, contract_rules.changed_after_terminal(first, body), job)
            return
        if not self._judge(SHAPE, contract_rules.shape_broken(body, job.kind), job):
            job.finished = True
            return
        self._judge(IDS, contract_rules.ids_inconsistent(body, job.job_id, job.output_url, job.video.collection_id), job)
        age = time.monotonic() - job.created_at
        if status == contract_rules.PROCESSING:
            if self._late(job):
                job.finished = True
                late = f"still processing after {age:.1f}s and {len(job.answers)} polls (--job-timeout {self.settings.job_timeout:g}s)"
                self._judge(IN_TIME, late, job)
            return
        job.terminal = answer
        job.terminal_at = time.monotonic()
        self.findings.say(f"lifecycle: {job.subject}: {status} after {len(job.answers)} poll(s), {age:.2f}s")
        self._judge(IN_TIME, None, job)
        if status == "done" and job.kind == CREATE_CLIP:
            self._judge(RIGHT_VIDEO, contract_rules.elsewhere_than(body, job.video.id), job)
            if self._judge(SHOTS, contract_rules.shots_outside(body, job.video.length), job) and not self._compiled:
                self._compiled = use_real_shots(self, job, body)

    def _judge_by_contract(self, operation_id: str, answer: Exchange, job: TrackedJob) -> None:
        """The answer against openapi.yaml's schema for its status, beside the job contract's rules."""
        problems = self.contract.answer_problems(operation_id, answer.status, answer.json())
        if problems is not None:
            found = f"{operation_id} {answer.status} breaks openapi.yaml: " + "; ".join(problems) if problems else None
            self._judge(MATCHES_CONTRACT, found, job)

    def _late(self, job: TrackedJob) -> bool:
        return time.monotonic() - job.created_at > self.settings.job_timeout or len(job.answers) >= self.max_polls

    def settle(self, jobs: list[TrackedJob]) -> None:
        """Poll every unfinished job until it is judged for good; bounded by the poll cap of each job."""
        while True:
            pending = [job for job in jobs if not job.finished]
            if not pending:
                return
            for job in pending:
                if len(job.answers) >= self.max_polls + 1:
                    job.finished = True
                    continue
                self.poll(job)

    def confirm_lasting(self) -> None:
        """Every terminal answer, polled again once ``stable_after`` has passed since it came: it
        must still answer 200, byte for byte the same (results do not vanish or change)."""
        ended = [job for job in self.jobs if job.terminal is not None]
        if not ended:
            return
        wait = max(job.terminal_at for job in ended) + self.settings.stable_after - time.monotonic()
        if wait > 0:
            self.findings.say(f"lifecycle: polling {len(ended)} finished job(s) again in {wait:.1f}s (--stable-after)")
            time.sleep(wait)
        for job in ended:
            assert job.terminal is not None
            try:
                again = self.client.get(job.output_url)
            except (TransportError, RequestRefused) as error:
                self.findings.fail(Finding(PHASE, NO_ANSWER, job.subject, f"the later poll got no answer: {error}"))
                continue
            job.answers.append(again)
            later = f"{time.monotonic() - job.terminal_at:.1f}s after it ended"
            if again.status != 200:
                problem: str | None = f"the terminal answer vanished: {again.status} {later}"
            elif again.body != job.terminal.body:
                problem = f"the terminal answer changed {later}: {contract_rules.changed_after_terminal(job.terminal.json(), again.json()) or 'other bytes'}"
            else:
                problem = None
            self._judge(LASTING, problem, job)

    # Unknown jobs -----------------------------------------------------------------------------
    def ask_for_unknown(self, job_id: str) -> None:
        url = self.settings.base + self.job_operation.fill(job_id=job_id)
        try:
            answer = self.client.get(url)
        except (TransportError, RequestRefused) as error:
            self.findings.fail(Finding(PHASE, NO_ANSWER, f"unknown job {job_id}", f"no answer: {error}"))
            return
        if answer.status == 404:
            self.findings.passed(PHASE, UNKNOWN)
        else:
            wrong = f"an unknown job id answered {answer.status}, not 404"
            self.findings.fail(Finding(PHASE, UNKNOWN, "unknown job ids", wrong, answer.describe(), (answer.curl(),)))


_UNKNOWN_IDS = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=6, max_size=12).map(lambda tail: f"conform-unknown-{tail}")


def _machine_for(run: LifecycleRun, bodies: st.SearchStrategy[dict[str, Any]]) -> type[RuleBasedStateMachine]:
    class ClipJobLifecycle(RuleBasedStateMachine):
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            self.created: list[TrackedJob] = []

        @initialize(target=jobs, bodies=st.lists(bodies, min_size=len(run.videos), max_size=len(run.videos)))
        def cover_every_video(self, bodies: list[dict[str, Any]]) -> Any:
            created = run.cover_videos(bodies)
            self.created.extend(created)
            return multiple(*created)

        @precondition(lambda self: run.can_create())
        @rule(target=jobs, body=bodies)
        def create_job(self, body: dict[str, Any]) -> Any:
            job = run.create(body)
            if job is None:
                return multiple()
            self.created.append(job)
            return job

        @rule(job=jobs)
        def poll_job(self, job: TrackedJob) -> None:
            run.poll(job)

        @rule(job_id=_UNKNOWN_IDS)
        def ask_for_unknown_job(self, job_id: str) -> None:
            run.ask_for_unknown(job_id)

        def teardown(self) -> None:
            run.settle(self.created)

    return ClipJobLifecycle


def clip_bodies(schema: Any, contract: Contract) -> st.SearchStrategy[dict[str, Any]]:
    """Valid clip requests as schemathesis generates them, kept to the declared properties.

    Extra properties are valid too, but the schema phase fuzzes those; here they would only clutter
    the evidence. A callback_url would make the deployment call a generated address: never sent.
    """
    declared = contract.body_properties(CREATE_CLIP) - set(UNSAFE_BODY_PROPERTIES)
    operation = schema.find_operation_by_id(CREATE_CLIP)
    cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    return cases.map(lambda case: case.body).filter(lambda body: isinstance(body, dict)).map(
        lambda body: {name: value for name, value in body.items() if name in declared}
    )


# What a lifecycle run must get to judge before it may say CONFORMS (each needs jobs; RIGHT_VIDEO and
# SHOTS need a job that ended done, BACKWARDS and STABLE a terminal answer polled again).
EXPECTED = (ACCEPTED, ALLOWED, SHAPE, OUTPUT_URL, IDS, IN_TIME, UNKNOWN, BACKWARDS, STABLE, RIGHT_VIDEO, SHOTS, REAL_SHOTS, POLL_AUTH, UNIQUE_IDS, LASTING)


def run_lifecycle(run: LifecycleRun, bodies: st.SearchStrategy[dict[str, Any]]) -> None:
    run.findings.expect(PHASE, EXPECTED)
    machine = hypothesis.seed(run.settings.seed)(_machine_for(run, bodies))
    settings = hypothesis.settings(
        max_examples=run.settings.lifecycle_examples,
        stateful_step_count=run.settings.lifecycle_steps,
        phases=[hypothesis.Phase.generate],  # nothing is ever raised, so nothing would be shrunk anyway
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    run_state_machine_as_test(machine, settings=settings)
    run.settle(run.jobs)  # a scenario cut short still leaves no job unjudged
    run.ask_for_unknown("conform-unknown-job")  # once for sure, whatever the scenarios drew
    run.confirm_lasting()
