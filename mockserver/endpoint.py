"""One operation served as a plain ASGI app, straight from the scope.

An endpoint goes: credentials → parameters and body checked → handler → JSON, and writes the
call to its key's journal when it has one. Every error leaves as the same JSON error shape.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from . import fault_answers
from .errors import EmulatorError
from .faults import FAULT_HEADER, AnswerFault, FaultBook
from .given_answers import AnswerBook, GivenAnswer
from .handlers import Call, Handler
from .http_errors import HttpError, error_body, from_domain
from .preferences import parse_answer_fault
from .render import encode_json
from .request_log import RequestLog
from .spec import Operation
from .upload_target import read_file_part
from .validation import parse_body, read_parameters, read_raw_body, with_defaults

logger = logging.getLogger("mockserver")

RawHeaders = Mapping[bytes, bytes]  # lower-case name -> value, as the client sent them
Authenticate = Callable[[RawHeaders], str]  # request headers -> principal, or HttpError
# key, scope, body, raw, status, why it was refused, the fault its answer carried, whether it was a given answer
JournalWriter = Callable[[str, Scope, Any, bytes | None, int, "str | None", "str | None", bool], None]
# A request refused before it reached an operation (bad key, unknown path): scope, headers, status, why.
RefusalWriter = Callable[[Scope, "RawHeaders", int, str], None]

# The base URL of each recent (scheme, Host): one string shared by every job that stores it,
# instead of a new one per request.
_BASE_URLS: dict[tuple[str, bytes], str] = {}
_BASE_URLS_KEPT = 64
_HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")

# A client that closed its connection before its body arrived gets no answer (it is gone); the
# journal and the log show the call with this status, as nginx does.
ABORTED = 499
ABORTED_REASON = "aborted: the client closed the connection before its body arrived"

INTERNAL_ERROR = error_body("internal error in the emulator (a bug: please report it)", "internal_error")


_JSON_TYPE = (b"content-type", b"application/json")


def request_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name, still bytes (the first of repeated ones wins, as in
    Starlette). Each reader decodes the few it needs: clients send many that nothing reads."""
    return dict(reversed(scope["headers"]))


def query_params(scope: Scope) -> dict[str, str]:
    query = scope.get("query_string", b"")
    return dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True)) if query else {}


async def send_json(send: Send, status: int, content: Any, headers: dict[str, str] | None = None) -> None:
    body = content if isinstance(content, bytes) else encode_json(content).encode("utf-8")
    raw_headers = [_JSON_TYPE, (b"content-length", str(len(body)).encode("latin-1"))]
    if headers:
        raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class OperationEndpoint:
    """Serves one operation as a plain ASGI app: authenticate, validate, call the handler, render,
    journal. It reads the scope directly: Starlette's Request and Response wrappers would cost more
    than all the emulator's own work on a clip request."""

    def __init__(
        self,
        operation: Operation,
        handler: Handler,
        authenticate: Authenticate,
        body_limit: int,
        public_url: str | None = None,
        journal: JournalWriter | None = None,
        log: RequestLog | None = None,
        refused: RefusalWriter | None = None,
        fault_book: FaultBook | None = None,
        upload_limit: int = 0,
        answer_book: AnswerBook | None = None,
    ) -> None:
        self.operation = operation
        self.answer_book = answer_book
        self.upload_limit = upload_limit
        self.fault_book = fault_book
        self.log = log
        self.refused = refused
        self.handler = handler
        self.authenticate = authenticate
        self.journal = journal
        self.body_limit = body_limit
        self.public_url = public_url.rstrip("/") if public_url else None

    def _base_url(self, scope: Scope, headers: RawHeaders) -> str:
        if self.public_url:
            return self.public_url
        raw_host = headers.get(b"host")
        scheme = scope.get("scheme", "http")
        if not raw_host:
            return "{}://{}:{}".format(scheme, *scope["server"])
        known = _BASE_URLS.get((scheme, raw_host))
        if known is None:
            if _HOST.fullmatch(raw_host) is None:  # it becomes part of every URL handed out
                raise HttpError(400, "invalid_request", "header.host: must be a host name or IP address, with an optional port")
            if len(_BASE_URLS) >= _BASE_URLS_KEPT:
                _BASE_URLS.clear()  # hosts are the client's to choose: keep a few, never many
            known = _BASE_URLS[(scheme, raw_host)] = f"{scheme}://{raw_host.decode('latin-1')}"
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter() if self.log is not None else 0.0
        headers = request_headers(scope)
        try:
            principal = self.authenticate(headers)
        except HttpError as error:
            await send_json(send, error.status, error_body(error.message, error.code), error.headers)
            if self.refused is not None:
                self.refused(scope, headers, error.status, error.message)
            if self.log is not None:
                self.log.request(scope["method"], scope["path"], key_of(headers), error.status, started, error.message)
            return
        raw: bytes | None = None
        sent: Any = None  # the body as the client sent it, for the journal
        status = 200
        call: Call | None = None
        operation = self.operation
        fault: AnswerFault | None = None
        given: GivenAnswer | None = None
        try:
            prefer = headers.get(b"prefer")
            asked = parse_answer_fault(prefer.decode("latin-1")) if prefer is not None else None
            book = self.fault_book
            if asked is None and book is not None and book.armed and principal:  # set through the control API or by fault rules
                asked = book.take(principal, scope["method"], scope["path"])
            if asked is not None:
                fault_answers.check_possible(asked, scope)  # a fault that cannot be carried out is a 400, not a fault
                fault = asked
                if fault.code is not None:
                    raise _StatusFault(fault)
            params = read_parameters(operation, scope["path_params"], query_params(scope), headers)
            if operation.takes_body:
                raw = await read_raw_body(headers, receive, operation, self.body_limit)
                sent = parse_body(raw, operation)
            elif operation.multipart:
                sent = await read_file_part(headers, receive, self.upload_limit)
            body = with_defaults(sent, operation) if operation.body_defaults else sent
            call = Call(principal, params, body, self._base_url(scope, headers), headers, scope.get("server"))
            answers = self.answer_book
            if answers is not None and answers.armed and principal:
                given = answers.take(principal, operation.operation_id, params.get("job_id"))
            if given is not None:  # served as given: the operation does not run
                status, answer, extra = given.status, given.encoded, given.headers
            else:
                answer = self.handler(call)
                if not isinstance(answer, (bytes, dict)):
                    answer = await answer  # a handler with slow work off the loop
                extra = None
        except (HttpError, EmulatorError) as failure:
            error = failure if isinstance(failure, HttpError) else from_domain(failure)
            status, answer, extra = error.status, error_body(error.message, error.code), error.headers
        except _StatusFault:
            assert fault is not None
            status, answer, extra = fault_answers.status_answer(fault)
        except ClientDisconnect:
            if self.journal is not None:
                self.journal(principal, scope, f"({ABORTED_REASON})", None, ABORTED, None, None, False)
            if self.log is not None:
                self.log.request(scope["method"], scope["path"], principal, ABORTED, started, ABORTED_REASON)
            return
        except Exception:  # a bug: answer it as JSON like every other error, and log it
            logger.exception("unexpected error on %s %s", scope["method"], scope["path"])
            status, answer, extra = 500, INTERNAL_ERROR, None
        # A public operation (the upload target) learns its key from what it was sent, if at all.
        key = call.key if call is not None else principal
        if self.journal is not None and key:
            # A poll fault arrives as a domain error whose answer carries the fault header.
            described = fault.describe() if fault is not None else extra.get(FAULT_HEADER) if extra else None
            self.journal(key, scope, sent if not operation.multipart else _summary(sent), raw, status, None, described, given is not None)
        if fault is None:
            await send_json(send, status, answer, extra)
        else:
            await fault_answers.hold(fault)
            if fault.drop is not None:
                fault_answers.drop(scope, fault, status, answer if isinstance(answer, bytes) else encode_json(answer).encode("utf-8"))
            else:
                await send_json(send, status, answer, fault_answers.fault_headers(fault, extra))
        log = self.log
        if log is not None and status >= log.min_status:
            if fault is not None:
                note = f"fault: {fault.describe()}"
            elif given is not None:
                note = "given answer"
            elif status >= 400:
                note = answer.get("message") if isinstance(answer, dict) else None
            else:
                note = (call.job, call.created) if call is not None and call.job is not None else None
            log.request(scope["method"], scope["path"], principal, status, started, note)


class _StatusFault(Exception):
    """A ``code=`` fault: the operation does not run."""


def _summary(received: Any) -> Any:
    """What the journal keeps of an uploaded file: never its bytes."""
    if received is None:
        return None
    return {"file": {"filename": received.filename, "size": received.size, "sha256": received.sha256}}


def key_of(headers: RawHeaders) -> str | None:
    raw = headers.get(b"x-access-token")
    return raw.decode("latin-1") if raw else None


class MethodDispatch:
    """One route per path, so that a wrong method is answered with every method the path has."""

    def __init__(self, endpoints: dict[str, OperationEndpoint]) -> None:
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        await self.endpoints[method](scope, receive, send)
