"""The control API under /_emulator/: handlers named after the operationIds of admin-openapi.yaml."""

from __future__ import annotations

import asyncio
from typing import Any

from . import __version__
from .emulator import Emulator
from .engine import JobEngine
from .errors import InvalidInput
from .faults import FaultRule, answer_fault
from .conformance.job_contract import answer_rules_broken
from .given_answers import GivenAnswer, given_answer
from .handlers import Answer, Call, Handler
from .jobs import Job
from .outcomes import CALLBACK_TERMS, TOP_TERMS, JobStatus, Outcome, patch_from
from .spec import Operation, deepest_error

_DONE: Answer = {"success": True}


def _outcome(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for term in TOP_TERMS:
        value = getattr(outcome, term.attribute)
        if term.name == "poll_code_times" and outcome.poll_code is None:
            continue  # a count of nothing
        if value is not None and value is not False:  # an unset flag is not shown
            body[term.name] = value.value if isinstance(value, JobStatus) else value
    body["source"] = outcome.rule or "default"
    if outcome.callback.any:
        body["callback"] = {term.name: getattr(outcome.callback, term.attribute) for term in CALLBACK_TERMS}
    return body


def _job(engine: JobEngine, job: Job, now: float) -> dict[str, Any]:
    body: dict[str, Any] = {"id": job.id, "kind": job.kind, "status": job.status_at(now).value}
    body.update(engine.kind(job).describe(job.subject))
    body["created_at"] = job.created_at
    body["processing_answers"] = job.processing_answers
    body["outcome"] = _outcome(job.outcome)
    if job.callback_url:
        body["callback_url"] = job.callback_url
    return body


def _checked_answer(raw: dict[str, Any], where: str, operations: dict[str, Operation], check: bool) -> GivenAnswer:
    """A given answer, checked against the contract's answer for its operation and status unless
    ``check`` is false (to reproduce an answer the contract does not allow)."""
    operation = operations.get(raw["operation"])
    if operation is None:
        raise InvalidInput(f"{where}.operation", "must be an operationId of openapi.yaml")
    status = raw.get("status", 200)
    if "job_id" in raw and "job_id" not in {p.name for p in operation.parameters}:
        raise InvalidInput(f"{where}.job_id", f"goes only with an operation that has a job id ({operation.operation_id} has none)")
    if check:
        validator = operation.answer_validators.get(status)
        if validator is None:
            declared = ", ".join(str(s) for s in sorted(operation.answer_validators))
            raise InvalidInput(f"{where}.status", f"{operation.operation_id} declares no JSON answer {status} (it declares {declared}); send check=false to give it anyway")
        error = next(validator.iter_errors(raw["body"]), None)
        if error is not None:
            error = deepest_error(error)
            place = "".join(f"[{p!r}]" for p in error.instance_path)
            raise InvalidInput(f"{where}.body{place}", f"breaks the contract's {status} answer of {operation.operation_id}: {error.message[:300]}")
        broken = answer_rules_broken(raw["body"])
        if broken:
            raise InvalidInput(f"{where}.body", broken)
    return given_answer(operation.operation_id, status, raw["body"], raw.get("times", 1), raw.get("job_id"), check)


class AdminHandlers:
    def __init__(self, emulator: Emulator, operations: tuple[Operation, ...] = ()) -> None:
        self.emulator = emulator
        self.operations = {operation.operation_id: operation for operation in operations}  # the VideoDB API's
        self.engine = emulator.engine
        self._reloading = asyncio.Lock()  # one reload at a time, applied in the order asked

    def by_operation_id(self) -> dict[str, Handler]:
        return {
            "getHealth": self.get_health,
            "resetAll": self.reset_all,
            "reloadFixtures": self.reload_fixtures,
            "resetNamespace": self.reset_namespace,
            "listJobs": self.list_jobs,
            "getJob": self.get_job,
            "finishJob": self.finish_job,
            "setJobOutcome": self.set_job_outcome,
            "listOverrides": self.list_overrides,
            "addOverride": self.add_override,
            "clearOverrides": self.clear_overrides,
            "listFaults": self.list_faults,
            "addFault": self.add_fault,
            "clearFaults": self.clear_faults,
            "listGivenAnswers": self.list_given_answers,
            "giveAnswers": self.give_answers,
            "clearGivenAnswers": self.clear_given_answers,
            "getClock": self.get_clock,
            "setClock": self.set_clock,
            "advanceClock": self.advance_clock,
            "freezeClock": self.freeze_clock,
            "unfreezeClock": self.unfreeze_clock,
            "getJournal": self.get_journal,
            "clearJournal": self.clear_journal,
            "listDeliveries": self.list_deliveries,
        }

    def _now(self, call: Call) -> float:
        return self.emulator.clock(call.params["key"]).now()

    def get_health(self, call: Call) -> Answer:
        data = {
            "status": "ok",
            "version": __version__,
            "namespaces": len(self.emulator.store.keys()),
            "videos": len(self.emulator.fixtures.videos),
        }
        return {"success": True, "data": data}

    def reset_all(self, call: Call) -> Answer:
        self.emulator.reset()
        return _DONE

    async def reload_fixtures(self, call: Call) -> Answer:
        # Reading and checking a folder can take a while: on a worker thread, so every other
        # request keeps being answered; the switch to the new fixtures happens here, on the loop.
        async with self._reloading:
            fixtures = self.emulator.use_fixtures(await asyncio.to_thread(self.emulator.read_fixtures_again))
        counts = {"collections": len(fixtures.collections), "videos": len(fixtures.videos), "clip_rules": len(fixtures.clip_rules)}
        return {"success": True, "data": counts}

    def reset_namespace(self, call: Call) -> Answer:
        self.emulator.reset(call.params["key"])
        return _DONE

    def _job_answer(self, call: Call, job: Job) -> Answer:
        return {"success": True, "data": _job(self.engine, job, self._now(call))}

    def list_jobs(self, call: Call) -> Answer:
        now = self._now(call)
        return {"success": True, "data": {"jobs": [_job(self.engine, j, now) for j in self.engine.jobs(call.params["key"])]}}

    def get_job(self, call: Call) -> Answer:
        return self._job_answer(call, self.engine.read(call.params["key"], call.params["job_id"]))

    def finish_job(self, call: Call) -> Answer:
        key, job_id = call.params["key"], call.params["job_id"]
        status = JobStatus(call.body["outcome"])
        message = None
        if status is JobStatus.FAILED:
            kind = self.engine.kind(self.engine.read(key, job_id))
            message = call.body.get("message") or f"{kind.failure_message} (forced through the control API)"
        return self._job_answer(call, self.engine.force(key, job_id, status, message))

    def set_job_outcome(self, call: Call) -> Answer:
        job = self.engine.reschedule(call.params["key"], call.params["job_id"], patch_from(call.body, "body"))
        return self._job_answer(call, job)

    def list_overrides(self, call: Call) -> Answer:
        overrides = [{**o.patch.to_dict(), "remaining": o.remaining} for o in self.engine.overrides(call.params["key"])]
        return {"success": True, "data": {"overrides": overrides}}

    def add_override(self, call: Call) -> Answer:
        self.engine.add_override(call.params["key"], patch_from(call.body, "body"), call.body.get("count", 1))
        return self.list_overrides(call)

    def clear_overrides(self, call: Call) -> Answer:
        self.engine.clear_overrides(call.params["key"])
        return _DONE

    def list_faults(self, call: Call) -> Answer:
        rules = self.emulator.faults.rules(call.params["key"])
        faults = [{"fault": r.fault.describe(), "remaining": r.remaining, "method": r.method, "path": r.path} for r in rules]
        return {"success": True, "data": {"faults": faults}}

    def add_fault(self, call: Call) -> Answer:
        body = call.body
        fault = answer_fault(body.get("code"), body.get("retry_after"), float(body.get("delay", 0)), body.get("drop"), "body")
        self.emulator.faults.add(call.params["key"], FaultRule(fault, body.get("times", 1), body.get("method"), body.get("path")))
        return self.list_faults(call)

    def clear_faults(self, call: Call) -> Answer:
        self.emulator.faults.clear(call.params["key"])
        return _DONE

    def list_given_answers(self, call: Call) -> Answer:
        answers = [answer.describe() for answer in self.emulator.given.answers(call.params["key"])]
        return {"success": True, "data": {"answers": answers}}

    def give_answers(self, call: Call) -> Answer:
        check = call.body.get("check", True)
        answers = [_checked_answer(raw, f"body.answers[{i}]", self.operations, check) for i, raw in enumerate(call.body["answers"])]
        self.emulator.given.add(call.params["key"], answers)
        return self.list_given_answers(call)

    def clear_given_answers(self, call: Call) -> Answer:
        self.emulator.given.clear(call.params["key"])
        return _DONE

    def _clock(self, call: Call) -> Answer:
        clock = self.emulator.clock(call.params["key"])
        return {"success": True, "data": {"now": clock.now(), "frozen": clock.frozen}}

    def get_clock(self, call: Call) -> Answer:
        return self._clock(call)

    def _moved(self, call: Call) -> Answer:
        self.engine.clock_moved(call.params["key"])
        return self._clock(call)

    def set_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).set(float(call.body["now"]))
        return self._moved(call)

    def advance_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).advance(float(call.body["seconds"]))
        return self._moved(call)

    def freeze_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).freeze()
        return self._moved(call)

    def unfreeze_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).unfreeze()
        return self._moved(call)

    def get_journal(self, call: Call) -> Answer:
        entries = self.emulator.journal(call.params["key"]).entries(call.params.get("method"), call.params.get("path"))
        return {"success": True, "data": {"entries": [e.to_dict() for e in entries]}}

    def list_deliveries(self, call: Call) -> Answer:
        attempts = self.emulator.deliveries(call.params["key"]).attempts(call.params.get("job_id"))
        return {"success": True, "data": {"attempts": [a.to_dict() for a in attempts]}}

    def clear_journal(self, call: Call) -> Answer:
        self.emulator.journal(call.params["key"]).clear()
        return _DONE
