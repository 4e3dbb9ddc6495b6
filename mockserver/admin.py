"""The control API under /_emulator/: handlers named after the operationIds of admin-openapi.yaml."""

from __future__ import annotations

from typing import Any

from . import __version__
from .emulator import Emulator
from .handlers import Answer, Call, Handler
from .jobs import Job
from .model import JobStatus
from .preferences import OutcomePatch, make_patch

_DONE: Answer = {"success": True}


def _job(job: Job, now: float) -> dict[str, Any]:
    outcome = job.outcome
    body: dict[str, Any] = {
        "id": job.id,
        "status": job.peek(now).value,
        "video_id": job.request.video_id,
        "prompt": job.request.prompt,
        "content_type": job.request.content_type,
        "model_name": job.request.model_name,
        "created_at": job.created_at,
        "processing_answers": job.processing_answers,
        "outcome": {
            "outcome": outcome.status.value,
            "polls": outcome.processing_polls,
            "seconds": outcome.processing_seconds,
            "source": outcome.rule or "default",
        },
    }
    if outcome.message is not None:
        body["outcome"]["message"] = outcome.message
    faults = outcome.callback
    if faults.duplicate or faults.out_of_order or faults.delay_seconds:
        body["outcome"]["callback"] = {"duplicate": faults.duplicate, "delay_seconds": faults.delay_seconds, "out_of_order": faults.out_of_order}
    if job.request.callback_url:
        body["callback_url"] = job.request.callback_url
    return body


def _patch(body: dict[str, Any]) -> OutcomePatch:
    return make_patch(body.get("outcome"), body.get("message"), body.get("polls"), body.get("seconds"), body.get("callback"), field="body")


class AdminHandlers:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

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
            "namespaces": len(self.emulator.store.namespaces()),
            "videos": len(self.emulator.fixtures.videos),
        }
        return {"success": True, "data": data}

    def reset_all(self, call: Call) -> Answer:
        self.emulator.reset()
        return _DONE

    def reload_fixtures(self, call: Call) -> Answer:
        fixtures = self.emulator.reload_fixtures()
        counts = {"collections": len(fixtures.collections), "videos": len(fixtures.videos), "clip_rules": len(fixtures.clip_rules)}
        return {"success": True, "data": counts}

    def reset_namespace(self, call: Call) -> Answer:
        self.emulator.reset(call.params["key"])
        return _DONE

    def list_jobs(self, call: Call) -> Answer:
        now = self._now(call)
        return {"success": True, "data": {"jobs": [_job(j, now) for j in self.emulator.jobs(call.params["key"])]}}

    def get_job(self, call: Call) -> Answer:
        job = self.emulator.job(call.params["key"], call.params["job_id"])
        return {"success": True, "data": _job(job, self._now(call))}

    def finish_job(self, call: Call) -> Answer:
        job = self.emulator.job(call.params["key"], call.params["job_id"])
        status = JobStatus(call.body["outcome"])
        message = call.body.get("message")
        if status is JobStatus.FAILED and message is None:
            message = "Clip generation failed (forced through the control API)"
        job.finish(status, message if status is JobStatus.FAILED else None, "forced")
        self.emulator.job_changed()
        return {"success": True, "data": _job(job, self._now(call))}

    def set_job_outcome(self, call: Call) -> Answer:
        job = self.emulator.job(call.params["key"], call.params["job_id"])
        job.reschedule(_patch(call.body).apply(job.outcome, "override"))
        self.emulator.job_changed()
        return {"success": True, "data": _job(job, self._now(call))}

    def list_overrides(self, call: Call) -> Answer:
        overrides = [{**o.patch.to_dict(), "remaining": o.remaining} for o in self.emulator.overrides(call.params["key"])]
        return {"success": True, "data": {"overrides": overrides}}

    def add_override(self, call: Call) -> Answer:
        self.emulator.add_override(call.params["key"], _patch(call.body), call.body.get("count", 1))
        return self.list_overrides(call)

    def clear_overrides(self, call: Call) -> Answer:
        self.emulator.clear_overrides(call.params["key"])
        return _DONE

    def _clock(self, call: Call) -> Answer:
        clock = self.emulator.clock(call.params["key"])
        return {"success": True, "data": {"now": clock.now(), "frozen": clock.frozen}}

    def get_clock(self, call: Call) -> Answer:
        return self._clock(call)

    def set_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).set(float(call.body["now"]))
        return self._clock(call)

    def advance_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).advance(float(call.body["seconds"]))
        return self._clock(call)

    def freeze_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).freeze()
        return self._clock(call)

    def unfreeze_clock(self, call: Call) -> Answer:
        self.emulator.clock(call.params["key"]).unfreeze()
        return self._clock(call)

    def get_journal(self, call: Call) -> Answer:
        entries = self.emulator.journal(call.params["key"]).entries(call.params.get("method"), call.params.get("path"))
        return {"success": True, "data": {"entries": [e.to_dict() for e in entries]}}

    def list_deliveries(self, call: Call) -> Answer:
        attempts = self.emulator.namespace(call.params["key"]).deliveries.attempts(call.params.get("job_id"))
        return {"success": True, "data": {"attempts": [a.to_dict() for a in attempts]}}

    def clear_journal(self, call: Call) -> Answer:
        self.emulator.journal(call.params["key"]).clear()
        return _DONE
