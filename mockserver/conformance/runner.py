"""One conformance run: check the target answers, then the phases in turn, each within its share of the job budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .auth_probes import probe_auth
from .callbacks import CALLBACK_JOBS, CallbackPhase
from .client import Client, TransportError
from .contract import CREATE_CLIP, DEFAULT_COLLECTION, GET_JOB, GET_VIDEO, LIST_VIDEOS, Contract, load_contract
from .coverage import Coverage
from .findings import Finding, Findings, api_key_redactor
from .job_kinds import UPLOAD_OPERATIONS, expected_checks, judge_every_kind
from .lifecycle import LifecycleRun, clip_bodies, run_lifecycle
from .next_calls import clean_up
from .next_calls import expected_checks as next_call_checks
from .report import RunInfo
from .schema_config import load_schema
from .schema_phase import SchemaPhase
from .sdk_shapes import check_sdk_shaped_reads
from .settings import ConformSettings
from .tenants import expected_checks as tenant_checks
from .tenants import probe_tenants
from .traffic import JobBudget, TrafficPolicy
from .videos import DiscoveryError, Video, VideoLookup, discover_videos

MAX_VIDEOS = 20  # videos read to spread jobs over; more would only cost reads


class SetupError(Exception):
    """The run cannot start against this target; the message says why."""


@dataclass
class Outcome:
    findings: Findings
    info: RunInfo


def _preflight(client: Client, contract: Contract, settings: ConformSettings) -> None:
    """One request to learn that the target answers and accepts the key, before anything is fuzzed."""
    path = contract.operation(DEFAULT_COLLECTION).fill() if contract.has(DEFAULT_COLLECTION) else "/"
    try:
        answer = client.get(settings.base + path)
    except TransportError as error:
        raise SetupError(f"cannot reach {settings.base_url}: {error}") from None
    if answer.status in (401, 403):
        raise SetupError(f"the deployment refuses the API key: {answer.describe(200)}")


def _check_operations(contract: Contract, settings: ConformSettings) -> None:
    """Fail before any request when a phase that will run needs an operation the contract lacks."""
    if settings.runs("lifecycle") or settings.runs("callbacks"):
        for operation_id in (GET_VIDEO, CREATE_CLIP, GET_JOB) + (() if settings.video_ids else (LIST_VIDEOS,)):
            contract.operation(operation_id)


def _callbacks_need_jobs(settings: ConformSettings) -> bool:
    reachable = settings.target_is_local or settings.callback_host is not None
    return settings.runs("callbacks") and settings.callbacks != "off" and reachable


def conform(settings: ConformSettings, progress: Callable[[str], None]) -> Outcome:
    started = time.monotonic()
    contract = load_contract(settings.spec_path)
    _check_operations(contract, settings)
    findings = Findings(progress, api_key_redactor(contract.api_key_header, settings.api_key, settings.second_api_key))
    total = JobBudget(0 if settings.read_only else settings.max_jobs)
    coverage = Coverage(contract)
    policy = TrafficPolicy(
        settings.base,
        rate_limit=settings.rate_limit,
        budget=total,
        job_creation=[(op.method, op.path_pattern()) for op in contract.job_creating_operations()],
        on_wait=progress,
    )
    policy.on_answer = coverage.record
    # Environment proxies serve remote targets; a local target is reached directly, whatever the environment says.
    client = Client(
        policy,
        api_key_header=contract.api_key_header,
        api_key=settings.api_key,
        timeout=settings.request_timeout,
        use_proxies=not settings.target_is_local,
    )
    if settings.read_only:
        for phase in ("lifecycle", "callbacks"):
            if phase in settings.phases:
                findings.note(phase, "skipped: --read-only creates no jobs")
    try:
        _preflight(client, contract, settings)
        schema = load_schema(settings, contract)
        callback_reserve = CALLBACK_JOBS if _callbacks_need_jobs(settings) else 0
        if settings.runs("schema"):
            # First, while the whole job budget is there: a refused job request gives its job back.
            probe_auth(contract, client, settings.base, findings, settings.open_keys)
            progress("schema phase: schemathesis against the contract")
            later_phases = settings.runs("lifecycle") or callback_reserve
            policy.budget = total.share(max(1, total.remaining // 4) if later_phases else total.remaining)
            SchemaPhase(settings, schema, contract, policy, findings, VideoLookup(client, contract, settings.base)).run()
        videos = _videos(client, contract, settings, findings) if settings.runs("lifecycle") or callback_reserve else []
        if settings.runs("lifecycle") and videos:
            check_sdk_shaped_reads(client, contract, settings.base, findings, videos)
            progress(f"lifecycle phase: clip jobs over {len(videos)} video(s), polled until terminal")
            policy.budget = total.share(max(0, total.remaining - callback_reserve))
            lifecycle = LifecycleRun(settings, contract, client, findings, videos)
            findings.expect("lifecycle", expected_checks(lifecycle) + tenant_checks(lifecycle) + next_call_checks(lifecycle))
            judge_every_kind(lifecycle)  # first: a handful of jobs, before the clip scenarios spend the budget
            run_lifecycle(lifecycle, clip_bodies(schema, contract))
            probe_tenants(lifecycle)
            clean_up(lifecycle)
        if settings.runs("callbacks") and videos:
            progress("callback phase: jobs with a callback_url on a local receiver")
            policy.budget = total.share(total.remaining)
            CallbackPhase(settings, contract, client, findings, videos).run()
    finally:
        client.close()
    _judge_coverage(coverage, contract, settings, findings)
    info = RunInfo(
        base_url=settings.base_url,
        spec_path=str(settings.spec_path),
        seed=settings.seed,
        seconds=time.monotonic() - started,
        requests_sent=policy.requests_sent,
        jobs_claimed=total.spent,
        max_jobs=total.limit,
    )
    return Outcome(findings, info)


def _judge_coverage(coverage: Coverage, contract: Contract, settings: ConformSettings, findings: Findings) -> None:
    """Every operation the run meant to exercise must have answered 2xx at least once: a run with the
    schema phase (every operation fuzzed) and the lifecycle (every job followed to what the SDKs call next)."""
    for ref in contract.job_creating_operations() if settings.read_only else ():
        coverage.excuse(ref.label, "not sent: --read-only")
    for operation_id in UPLOAD_OPERATIONS if not settings.upload_url else ():
        if contract.has(operation_id):
            coverage.excuse(contract.operation(operation_id).label, "not judged without --upload-url")
    for ref in contract.operations.values():
        if ref.method == "DELETE" and not settings.upload_url:
            coverage.excuse(ref.label, "a run deletes only what it uploaded: not judged without --upload-url")
    findings.coverage_rows = coverage.rows()
    if settings.runs("schema") and settings.runs("lifecycle"):
        findings.unproven_operations = coverage.unproven()
    else:
        findings.note("coverage", "not gated: only a run with the schema and lifecycle phases means to show every operation working")


def _videos(client: Client, contract: Contract, settings: ConformSettings, findings: Findings) -> list[Video]:
    try:
        return discover_videos(client, contract, settings.base, settings.video_ids, MAX_VIDEOS)
    except DiscoveryError as error:
        findings.fail(Finding("lifecycle", "videos_to_clip", "video discovery", str(error)))
        return []
