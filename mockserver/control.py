"""``Control``: one Python client for the control API, against a server URL or an in-process app.

    control = Control("http://127.0.0.1:8000")         # or Control(app=create_app())
    ns = control.namespace("sk-my-test")
    ns.override_next(outcome="failed", polls=2, message="codec error")
    ns.clock.freeze(); ns.clock.advance(30)
    assert ns.journal(method="POST")[0]["body"]["prompt"] == "goals"
"""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import quote

import httpx

ADMIN_PREFIX = "/_emulator"


class ControlError(Exception):
    """The control API refused a call; carries its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _in_process_client(app: Any) -> httpx.Client:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's TestClient nudges towards httpx2 on import
        from starlette.testclient import TestClient
    return TestClient(app)


class Control:
    def __init__(
        self,
        base_url: str | None = None,
        *,
        app: Any = None,
        admin_token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ValueError("give either base_url or app")
        headers = {"x-admin-token": admin_token} if admin_token else {}
        if app is not None:
            self._http = _in_process_client(app)
            self._http.headers.update(headers)
        else:
            self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Control:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One control API call; its ``data`` (or True), or ControlError."""
        response = self._http.request(method, ADMIN_PREFIX + path, json=body, params=params)
        try:
            answer = response.json()
        except ValueError:
            raise ControlError(response.status_code, response.text[:200]) from None
        if response.status_code >= 400 or not answer.get("success"):
            raise ControlError(response.status_code, answer.get("message", response.text[:200]))
        return answer.get("data", True)

    def health(self) -> dict[str, Any]:
        return self.call("GET", "/health")

    def reset(self) -> None:
        """Forget every namespace."""
        self.call("POST", "/reset")

    def reload_fixtures(self) -> dict[str, int]:
        return self.call("POST", "/fixtures/reload")

    def namespace(self, key: str) -> NamespaceControl:
        return NamespaceControl(self, key)


def _patch(outcome: str | None, polls: int | None, seconds: float | None, message: str | None, callback: dict[str, Any] | None = None, **faults: Any) -> dict[str, Any]:
    # The terms of outcomes.TERMS, as the control API spells them (a test holds the two together).
    given = {"outcome": outcome, "polls": polls, "seconds": seconds, "message": message, "callback": callback, **faults}
    return {k: v for k, v in given.items() if v is not None}


def given_answer_body(operation: str, body: Any, status: int = 200, times: int = 1, job_id: str | None = None) -> dict[str, Any]:
    """One given answer as the control API takes it."""
    answer = {"operation": operation, "body": body, "status": status, "times": times}
    return answer if job_id is None else {**answer, "job_id": job_id}


class ClockControl:
    def __init__(self, namespace: NamespaceControl) -> None:
        self._ns = namespace

    def _call(self, method: str, path: str = "", body: Any = None) -> float:
        return float(self._ns._call(method, "/clock" + path, body)["now"])

    def now(self) -> float:
        return self._call("GET")

    @property
    def frozen(self) -> bool:
        return bool(self._ns._call("GET", "/clock")["frozen"])

    def advance(self, seconds: float) -> float:
        return self._call("POST", "/advance", {"seconds": seconds})

    def set(self, now: float) -> float:
        return self._call("PUT", "", {"now": now})

    def freeze(self) -> float:
        return self._call("POST", "/freeze")

    def unfreeze(self) -> float:
        return self._call("POST", "/unfreeze")


class NamespaceControl:
    """The controls of one API key's namespace."""

    def __init__(self, control: Control, key: str) -> None:
        self.control = control
        self.key = key
        self.clock = ClockControl(self)

    def _call(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.control.call(method, f"/namespaces/{quote(self.key, safe='')}{path}", body, params)

    def reset(self) -> None:
        """Forget this key's jobs, clock, journal and overrides."""
        self._call("DELETE", "")

    def jobs(self) -> list[dict[str, Any]]:
        return self._call("GET", "/jobs")["jobs"]

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{quote(job_id, safe='')}")

    def finish(self, job_id: str, outcome: str, message: str | None = None) -> dict[str, Any]:
        """End a processing job now."""
        return self._call("POST", f"/jobs/{quote(job_id, safe='')}/finish", _patch(outcome, None, None, message))

    def set_outcome(
        self,
        job_id: str,
        *,
        outcome: str | None = None,
        polls: int | None = None,
        seconds: float | None = None,
        message: str | None = None,
        callback: dict[str, Any] | None = None,
        poll_code: int | None = None,
        poll_code_times: int | None = None,
        expire_seconds: float | None = None,
        stuck: bool | None = None,
    ) -> dict[str, Any]:
        """Change how a processing job will end (``callback``: faults of its delivery; ``poll_code``…: poll faults)."""
        faults = {"poll_code": poll_code, "poll_code_times": poll_code_times, "expire_seconds": expire_seconds, "stuck": stuck}
        return self._call("PUT", f"/jobs/{quote(job_id, safe='')}/outcome", _patch(outcome, polls, seconds, message, callback, **faults))

    def override_next(
        self,
        count: int = 1,
        *,
        outcome: str | None = None,
        polls: int | None = None,
        seconds: float | None = None,
        message: str | None = None,
        callback: dict[str, Any] | None = None,
        poll_code: int | None = None,
        poll_code_times: int | None = None,
        expire_seconds: float | None = None,
        stuck: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Give the next ``count`` clip jobs of this key this outcome (``callback``: faults of its
        delivery; ``poll_code``, ``poll_code_times``, ``expire_seconds``: faults of its polls)."""
        faults = {"poll_code": poll_code, "poll_code_times": poll_code_times, "expire_seconds": expire_seconds, "stuck": stuck}
        body = {"count": count, **_patch(outcome, polls, seconds, message, callback, **faults)}
        return self._call("POST", "/overrides", body)["overrides"]

    def overrides(self) -> list[dict[str, Any]]:
        return self._call("GET", "/overrides")["overrides"]

    def add_fault(
        self,
        *,
        code: int | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        drop: str | None = None,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> list[dict[str, Any]]:
        """Give this key's next ``times`` requests (matching ``method`` and a part of ``path``) a fault."""
        given = {"code": code, "retry_after": retry_after, "delay": delay, "drop": drop, "method": method, "path": path}
        body = {name: value for name, value in given.items() if value is not None}
        return self._call("POST", "/faults", {**body, "times": times})["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def clear_overrides(self) -> None:
        self._call("DELETE", "/overrides")

    def give_answer(self, operation: str, body: Any, *, status: int = 200, times: int = 1, job_id: str | None = None, check: bool = True) -> list[dict[str, Any]]:
        """Serve ``body`` with ``status``, as it is, to this key's next ``times`` requests of ``operation``
        (an operationId of openapi.yaml; ``job_id``: only that job's polls). The request is still
        checked and the operation does not run. ``check=False`` allows an answer the contract does not."""
        return self.give_answers([given_answer_body(operation, body, status, times, job_id)], check=check)

    def give_answers(self, answers: list[dict[str, Any]], *, check: bool = True) -> list[dict[str, Any]]:
        """Several answers at once, in order (each a dict with ``operation``, ``body`` and, when not the
        defaults, ``status``, ``times``, ``job_id``): one call for a whole journey's answers."""
        return self._call("POST", "/answers", {"answers": answers, "check": check})["answers"]

    def given_answers(self) -> list[dict[str, Any]]:
        """The given answers still waiting, in the order they will be served."""
        return self._call("GET", "/answers")["answers"]

    def clear_given_answers(self) -> None:
        self._call("DELETE", "/answers")

    def journal(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"method": method, "path": path}.items() if v is not None}
        return self._call("GET", "/journal", params=params)["entries"]

    def clear_journal(self) -> None:
        self._call("DELETE", "/journal")

    def deliveries(self, job_id: str | None = None) -> list[dict[str, Any]]:
        """Each callback attempt of this key: time, status or error."""
        return self._call("GET", "/deliveries", params={"job_id": job_id} if job_id else None)["attempts"]
