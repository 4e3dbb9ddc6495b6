"""Schema phase: schemathesis against the live deployment, every operation, then sequences through the links.

Each operation gets its own hypothesis run (examples, coverage and fuzzing; positive and negative data);
then schemathesis' state machine follows the OpenAPI links. Every answer is judged by each check on its
own, so a failure is reported under the name of the check that found it. Nothing raises out of a test
(a failure is recorded, not shrunk), so no request is sent twice to minimise an example.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
import requests
from schemathesis.core.errors import NoLinksFound, SerializationNotPossible
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.generation import derive_operation_seed
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output

from .contract import CREATE_CLIP, Contract
from .findings import Finding, Findings
from .guarded_transport import guard_every_request
from .schema_checks import TENANT_CHECK, CheckFunction, NotApplicable, selected_checks
from .shot_refusals import CHECK as SHOT_REFUSAL, VideoFacts, shot_refusal_check
from .settings import ConformSettings
from .traffic import JobBudgetSpent, RequestRefused, TrafficPolicy

PHASE = "schema"
UNTESTABLE = "operation_fuzzable"
NO_ANSWER = "request_completes"
# ignored_auth sends two probes per successful answer; a few confirmations per operation are enough.
AUTH_PROBES_PER_OPERATION = 3
EVIDENCE_LIMIT = 1500


class _StopRun(KeyboardInterrupt):
    """Ends a hypothesis run early without it counting as a failure: hypothesis lets interrupts through."""

    reason = ""


class _OutOfTime(_StopRun):
    reason = "the time budget ran out"


class _NoAnswer(_StopRun):
    reason = "the deployment stopped answering"


@contextmanager
def _quiet() -> Iterator[None]:
    """hypothesis and schemathesis report through prints and warnings; this run reports through findings."""
    with warnings.catch_warnings(), ignore_hypothesis_output():
        warnings.simplefilter("ignore")
        yield


class SchemaPhase:
    def __init__(
        self, settings: ConformSettings, schema: Any, contract: Contract, policy: TrafficPolicy, findings: Findings, video_facts: VideoFacts | None = None
    ) -> None:
        self.settings = settings
        self.contract = contract
        self.video_facts = video_facts  # what the deployment says of a video a refused shot names
        self.findings = findings
        self.policy = policy
        if settings.read_only and contract.has(CREATE_CLIP):
            schema = schema.exclude(operation_id=CREATE_CLIP)
        # Generated requests never delete: a deployment's real videos could match a generated id. The
        # lifecycle deletes only what the run itself uploaded.
        if any(ref.method == "DELETE" for ref in contract.operations.values()):
            schema = schema.exclude(method="DELETE")
        self.schema = schema
        self.transport_kwargs: dict[str, Any] = {
            "session": guard_every_request(schema, policy, use_proxies=not settings.target_is_local),
            "base_url": settings.base,
            "timeout": settings.request_timeout,
        }
        self._outcomes: list[tuple[str, BaseException]] = []  # what each check of the current answer raised
        self._named_checks = self._name_checks()
        self._auth_probes: Counter[str] = Counter()
        self._not_sent_for_budget = 0
        self._cases_sent = 0
        self._tenant_probes = 0  # answers object_level_authorization replayed under the second key

    # Running ----------------------------------------------------------------------------------
    def run(self) -> None:
        deadline = time.monotonic() + self.settings.max_time
        operations = self._operations()
        stateful = self.settings.stateful_examples > 0 and not self.settings.read_only
        phase_budget = self.policy.budget
        if stateful:  # keep half of the phase's jobs for the sequences, which need jobs to follow the links
            self.policy.budget = phase_budget.share((phase_budget.remaining + 1) // 2)
        try:
            for index, operation in enumerate(operations):
                now = time.monotonic()
                if now >= deadline:
                    self.findings.note(PHASE, f"time budget of {self.settings.max_time:g}s spent; {len(operations) - index} operation(s) not fuzzed")
                    return
                slots_left = len(operations) - index + (1 if stateful else 0)
                self._fuzz(operation, now + (deadline - now) / slots_left)
        finally:
            self.policy.budget = phase_budget
        if stateful:
            self._run_stateful(deadline)
        if _two_tenants(self.settings) and not self._tenant_probes:
            self.findings.note(
                PHASE,
                f"{TENANT_CHECK} never applied: no successful read showed an object the run's key had made (this API's"
                " job answers name their job only while processing); the lifecycle's tenants_kept_apart judges tenants",
            )
        if self._not_sent_for_budget:
            unsent = f"{self._not_sent_for_budget} generated request(s) that may create a job were not sent: the job budget was spent"
            self.findings.note(PHASE, unsent)

    def _operations(self) -> list[Any]:
        operations = []
        for result in self.schema.get_all_operations():
            if isinstance(result, Ok):
                operations.append(result.ok())
            elif isinstance(result, Err):
                error = result.err()
                subject = f"{(getattr(error, 'method', None) or '').upper()} {getattr(error, 'path', None) or ''}".strip()
                self.findings.fail(Finding(PHASE, UNTESTABLE, subject or "the contract", f"cannot be tested: {error}"[:300]))
        return operations

    def _fuzz(self, operation: Any, deadline: float) -> None:
        sent_before = self._cases_sent

        def exercise(case: Any) -> None:
            if time.monotonic() >= deadline:
                raise _OutOfTime
            self._exercise(case)

        config = self.schema.config
        test = create_test(
            operation=operation,
            test_func=exercise,
            config=HypothesisTestConfig(
                project=config,
                modes=[HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING],
                settings=config.get_hypothesis_settings(operation=operation, phase="fuzzing", apply_ci_profile=False),
                apply_ci_profile=False,
                seed=derive_operation_seed(self.settings.seed, operation.label),
            ),
        )
        stopped = ""
        try:
            with _quiet():
                test()
        except _StopRun as stop:
            stopped = f" (stopped: {stop.reason})"
        except Exception as error:  # hypothesis or schemathesis gave up on this operation: it went untested
            self.findings.fail(Finding(PHASE, UNTESTABLE, operation.label, f"could not be fuzzed: {type(error).__name__}: {error}"[:300], operation=operation.label))
        self.findings.say(f"schema: {operation.label}: {self._cases_sent - sent_before} cases{stopped}")

    def _run_stateful(self, deadline: float) -> None:
        sent_before = self._cases_sent
        settings = hypothesis.settings(
            max_examples=self.settings.stateful_examples,
            stateful_step_count=self.settings.stateful_steps,
            phases=[hypothesis.Phase.generate],
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        stopped = ""
        try:
            machine = hypothesis.seed(self.settings.seed)(self._guarded_machine(deadline))
            with _quiet():
                machine.run(settings=settings)
        except NoLinksFound:
            self.findings.note(PHASE, "no OpenAPI links between the selected operations: no stateful sequences")
            return
        except Unsatisfiable:  # every sequence drawn needed a job, and none was left
            stopped = " (stopped: the job budget was spent)"
        except FlakyStrategyDefinition:
            # hypothesis replays a sequence's first steps and expects the same draws, but the draws follow
            # live answers (ids a deployment made): the sequences judged so far stand, and the run goes on.
            stopped = " (stopped: the next sequence's steps depended on answers that had changed)"
            self.findings.note(PHASE, "sequences stopped early: hypothesis cannot replay steps drawn from answers that changed")
        except _StopRun as stop:
            stopped = f" (stopped: {stop.reason})"
        except Exception as error:  # the state machine itself broke down: the sequences went untested
            self.findings.fail(Finding(PHASE, UNTESTABLE, "stateful sequences", f"could not run: {type(error).__name__}: {error}"[:300]))
        self.findings.say(f"schema: sequences through the links: {self._cases_sent - sent_before} cases{stopped}")

    def _guarded_machine(self, deadline: float) -> type:
        phase = self

        class GuardedStateMachine(self.schema.as_state_machine()):  # type: ignore[misc]
            def call(self, case: Any, **kwargs: Any) -> Any:
                if time.monotonic() >= deadline:
                    raise _OutOfTime
                try:
                    response = phase._send(case)
                except JobBudgetSpent:
                    # This sequence's later steps would need the job that was not created: it ends here, and
                    # the sequences that create no job go on.
                    phase._not_sent_for_budget += 1
                    hypothesis.reject()
                if response is None:
                    raise _NoAnswer
                return response

            def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
                phase._judge(case, response, self.recorder)  # after_call already recorded the answer

        return GuardedStateMachine

    # One case ---------------------------------------------------------------------------------
    def _exercise(self, case: Any) -> None:
        recorder = ScenarioRecorder(label=case.operation.label)
        recorder.record_case(case=case)
        try:
            response = self._send(case)
        except JobBudgetSpent:
            self._not_sent_for_budget += 1
            return
        if response is not None:
            recorder.record_response(case_id=case.id, response=response)
            self._judge(case, response, recorder)

    def _send(self, case: Any) -> Any | None:
        """The answer; None when there is none to judge (a network failure is recorded as such)."""
        try:
            response = case.call(**self.transport_kwargs)
        except SerializationNotPossible:
            return None  # a generated body the transport cannot encode: nothing was sent
        except requests.RequestException as error:
            self._cases_sent += 1
            evidence = str(error)[:EVIDENCE_LIMIT]
            summary = f"no answer: {type(error).__name__}"
            self.findings.fail(Finding(PHASE, NO_ANSWER, case.operation.label, summary, evidence, (case.as_curl_command(),), case.operation.label))
            return None
        self._cases_sent += 1
        return response

    def _judge(self, case: Any, response: Any, recorder: ScenarioRecorder) -> None:
        """All checks in one pass (each would otherwise rebuild schemathesis' configuration), each reporting under its name."""
        label = case.operation.label
        checks = [
            (name, check)
            for name, check in self._named_checks
            if name != "ignored_auth" or self._wants_auth_probe(label, response.status_code)
        ]
        self._outcomes.clear()
        try:
            case.validate_response(response, checks=[check for _, check in checks], transport_kwargs=self.transport_kwargs, recorder=recorder)
        except FailureGroup:
            pass  # every failure in it was also caught, under its check's name, by the wrapper that raised it
        outcomes = dict(self._outcomes)
        for name, _ in checks:
            outcome = outcomes.get(name)
            if outcome is None:
                self.findings.passed(PHASE, name, label)
            elif isinstance(outcome, requests.RequestException):
                summary = f"a probe of {name} got no answer: {type(outcome).__name__}"
                self.findings.fail(Finding(PHASE, NO_ANSWER, label, summary, str(outcome)[:EVIDENCE_LIMIT], operation=label))
            elif not isinstance(outcome, (RequestRefused, NotApplicable)):  # a refused probe judged nothing
                for failure in _failures_of(name, label, outcome):
                    self._record(name, case, response, failure, recorder)

    def _name_checks(self) -> list[tuple[str, CheckFunction]]:
        """Each check wrapped so that whatever it raises is kept under its name, and a probe that could not
        be sent ends only that check, not the pass."""

        def named(name: str, check: CheckFunction) -> CheckFunction:
            def run(ctx: Any, response: Any, case: Any) -> Any:
                try:
                    return check(ctx, response, case)
                except (Failure, FailureGroup, AssertionError) as error:
                    self._outcomes.append((name, error))
                    raise
                except (NotApplicable, RequestRefused, requests.RequestException) as error:
                    self._outcomes.append((name, error))
                    return True  # tells schemathesis the check did not apply

            run.__name__ = name
            return run

        checks = selected_checks(tenants=_two_tenants(self.settings))
        checks = [(name, self._applied_when_it_probes(check) if name == TENANT_CHECK else check) for name, check in checks]
        if self.video_facts is not None:
            checks.append((SHOT_REFUSAL, shot_refusal_check(self.contract, self.video_facts)))
        return [(name, named(name, check)) for name, check in checks]

    def _applied_when_it_probes(self, check: CheckFunction) -> CheckFunction:
        """object_level_authorization says nothing when it finds nothing of the key's own to replay:
        it applied only where it sent a probe."""

        def run(ctx: Any, response: Any, case: Any) -> Any:
            sent_before = self.policy.requests_sent
            result = check(ctx, response, case)
            if self.policy.requests_sent == sent_before:
                raise NotApplicable
            self._tenant_probes += 1
            return result

        return run

    def _wants_auth_probe(self, label: str, status: int) -> bool:
        if not 200 <= status < 300:
            return True  # the check looks at successful answers only; it sends nothing for the others
        self._auth_probes[label] += 1
        return self._auth_probes[label] <= AUTH_PROBES_PER_OPERATION

    def _record(self, check: str, case: Any, response: Any, failure: Failure, recorder: ScenarioRecorder) -> None:
        answered = (recorder.find_response(case_id=failure.case_id) if failure.case_id else None) or response
        body = answered.content[:600].decode("utf-8", errors="replace") if answered.content else ""
        evidence = f"{failure.message}"[:EVIDENCE_LIMIT] + f"\nanswer: {answered.status_code} {body}"
        label = case.operation.label
        self.findings.fail(Finding(PHASE, check, label, failure.title, evidence.strip(), _reproduction(recorder, case, failure), label))


def _two_tenants(settings: ConformSettings) -> bool:
    """Whether the run has a second key, so object_level_authorization runs."""
    return settings.second_api_key is not None


def _failures_of(name: str, operation: str, error: BaseException) -> list[Failure]:
    if isinstance(error, FailureGroup):
        return [failure for failure in error.exceptions if isinstance(failure, Failure)]
    if isinstance(error, Failure):
        return [error]
    return [Failure(operation=operation, title=f"Check failed: `{name}`", message=str(error))]


def _reproduction(recorder: ScenarioRecorder, case: Any, failure: Failure) -> tuple[str, ...]:
    """curl commands for the failing request and the earlier requests it depends on, oldest first."""
    try:
        data = recorder.find_failure_data(parent_id=case.id, failure=failure)
    except (KeyError, AssertionError):
        return (case.as_curl_command(),)
    steps = []
    for earlier in recorder.iter_chain_cases(case_id=data.case.id):
        if earlier.id in recorder.interactions:
            steps.append(earlier.as_curl_command(headers=recorder.find_request_headers(case_id=earlier.id), verify=data.verify))
    return tuple(steps) or (data.case.as_curl_command(headers=data.headers, verify=data.verify),)
