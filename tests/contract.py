"""An independent oracle: every answer the tests receive is checked against openapi.yaml.

``ContractRecorder`` wraps the app (in-process or behind uvicorn) and records each exchange;
``assert_conforms`` then validates every recorded response with openapi-core, which shares
no code with the emulator's own request validation.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.starlette import StarletteOpenAPIRequest
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_schema_validator import OAS30Validator
from starlette.requests import Request
from werkzeug.datastructures import Headers

from mockserver.conformance.job_contract import answer_rules_broken

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi.yaml"
ADMIN_SPEC_PATH = ROOT / "mockserver" / "admin-openapi.yaml"
ADMIN_PREFIX = "/_emulator/"
_SLASHES = re.compile(r"/{2,}")


@dataclass
class Exchange:
    scope: dict[str, Any]
    request_body: bytes
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    @property
    def label(self) -> str:
        query = self.scope.get("query_string", b"").decode("latin-1")
        return f"{self.scope['method']} {self.scope['path']}{'?' + query if query else ''} -> {self.status}"


class _Response:
    """The response protocol openapi-core reads."""

    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in exchange.headers])
        self.content_type = self.headers.get("content-type", "")
        self.data = exchange.body


class ContractRecorder:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(dict(scope), b"")
        self.exchanges.append(exchange)

        async def recording_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                exchange.request_body += message.get("body", b"")
            return message

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                exchange.body += message.get("body", b"")
            await send(message)

        await self.app(scope, recording_receive, recording_send)


@functools.cache
def _oracle(spec_path: Path) -> tuple[OpenAPI, OAS30Validator]:
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return OpenAPI.from_dict(document), OAS30Validator(document["components"]["schemas"]["Error"])


NOT_EMULATED = 501  # a published operation outside the contract: judged below, with the unknown paths
FAULT_STATUSES = (429, 503)  # declared for what a deployment may send; the emulator sends them only as faults


def violations(exchange: Exchange) -> list[str]:
    """What is wrong with one recorded answer, judged by the OpenAPI files alone.

    An answer carrying X-Emulator-Fault was asked for by the test (a Prefer fault): any status is
    then accepted, with the error shape; without it, a fault status or a 5xx is a violation. A
    given answer (X-Emulator-Answer) is judged as the contract's answer for its status, unless the
    test gave it unchecked."""
    problems: list[str] = []
    given = next((v for k, v in exchange.headers if k.lower() == b"x-emulator-answer"), None)
    if given == b"given; unchecked":
        return problems  # an answer the test gave on purpose outside the contract
    faulted = any(k.lower() == b"x-emulator-fault" for k, _ in exchange.headers)
    if faulted and exchange.status >= 400:  # a status asked for: any one, in the error shape
        _, error_validator = _oracle(SPEC_PATH)
        try:
            error_validator.validate(json.loads(exchange.body))
        except Exception as exc:
            problems.append(f"a faulted answer without the JSON error shape: {exc}")
        return problems
    if given is None and ((exchange.status >= 500 and exchange.status != NOT_EMULATED) or exchange.status in FAULT_STATUSES):
        problems.append("server error" if exchange.status >= 500 else f"status {exchange.status} without a fault asked for")
    return problems + _judged(exchange)


def _judged(exchange: Exchange) -> list[str]:
    problems: list[str] = []
    scope = dict(exchange.scope)
    path = _SLASHES.sub("/", scope["path"])
    scope["path"] = path.rstrip("/") if len(path) > 1 else path
    openapi, error_validator = _oracle(ADMIN_SPEC_PATH if scope["path"].startswith(ADMIN_PREFIX) else SPEC_PATH)
    request = StarletteOpenAPIRequest(Request(scope), exchange.request_body)
    result = openapi.unmarshal_response(request, _Response(exchange))
    if any(isinstance(e, (PathNotFound, OperationNotFound)) for e in result.errors):
        # Not an operation of the contract (an unknown path or method): it must still be a JSON error.
        if exchange.status not in (404, 405, NOT_EMULATED):
            problems.append(f"status {exchange.status} for a path/method outside the contract")
        try:
            error_validator.validate(json.loads(exchange.body))
        except Exception as exc:  # not JSON, or not the Error shape
            problems.append(f"not a JSON error body: {exc}")
        if exchange.status == 405 and not any(k.lower() == b"allow" for k, _ in exchange.headers):
            problems.append("405 without an Allow header")
        return problems
    for error in result.errors:
        details = "".join(f"\n      {e}" for e in getattr(error, "schema_errors", None) or [])
        problems.append(f"{error}{details}")
    if not scope["path"].startswith(ADMIN_PREFIX) and exchange.body[:1] in (b"{", b"["):
        broken = answer_rules_broken(json.loads(exchange.body))  # the job contract's rules beyond the schema
        if broken:
            problems.append(broken)
    return problems


def assert_conforms(recorder: ContractRecorder) -> None:
    report = []
    for exchange in recorder.exchanges:
        if exchange.scope["method"] == "HEAD":
            continue  # HEAD mirrors GET without a body; nothing to validate
        if exchange.status == 0:
            continue  # no answer was sent: a connection dropped by a fault the test asked for
        for problem in violations(exchange):
            report.append(f"{exchange.label}: {problem}\n    body: {exchange.body[:300]!r}")
    assert not report, "answers that break openapi.yaml:\n" + "\n".join(report)
