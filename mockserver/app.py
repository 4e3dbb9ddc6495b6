"""The app: routes compiled from the two OpenAPI files, each bound to its handler.

A request goes through the front door (path normalised, VideoDB operation matched) to its
endpoint, or on to Starlette for the control API, 404s, 405s and the lifespan. Every error,
ours or Starlette's, leaves as the same JSON error shape. VideoDB calls are written to their
key's journal; control calls are not.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import resources
from .admin import AdminHandlers
from .auth import admin_authenticator, api_key_authenticator
from .connection_limits import HEAD_BYTES
from .dispatcher import Dispatcher
from .emulator import Emulator
from .faults import FaultBook
from .given_answers import AnswerBook
from .endpoint import INTERNAL_ERROR, Authenticate, JournalWriter, MethodDispatch, OperationEndpoint, RawHeaders, RefusalWriter, key_of, send_json
from .fixtures import load_fixtures
from .handlers import Handler, VideoDbHandlers
from .http_errors import error_body
from .media_handlers import MediaHandlers
from .memory_store import MemoryStore
from .not_emulated import NotEmulated
from .request_log import RequestLog
from .spec import Operation, compile_spec
from .settings import Settings
from .store import JobStore

logger = logging.getLogger("mockserver")

_JOURNAL_BODY_LIMIT = 8192  # larger bodies are journaled by size only, to keep the journal small
_JOURNAL_HEAD_LIMIT = 4096  # of a request's headers: the first ones up to this many bytes are kept
_ENTRY_OVERHEAD = 256  # bytes an entry costs besides what it keeps of the request
_SLASHES = re.compile(r"/{2,}")
_STARTED = "mockserver.started"


class EmulatorApp:
    """The front door: normalises the path, serves the VideoDB operations straight from their
    compiled path patterns, and hands everything else (404, 405, the control API, lifespan) to
    the Starlette app. Our endpoints answer their own errors, so Starlette's middleware would only
    add work to every VideoDB call.
    """

    def __init__(self, starlette: Starlette, routes: list[Route], not_emulated: ASGIApp | None = None) -> None:
        self.starlette = starlette
        self.not_emulated = not_emulated  # answers published operations we do not serve, with 501
        self.state = starlette.state
        # By first path segment and number of segments, then in declaration order (so
        # /collection/default wins over /collection/{id}): a request tries one or two patterns.
        self._table: dict[tuple[str, int], list[tuple[re.Pattern[str], set[str], ASGIApp]]] = {}
        for route in routes:
            shelf = (route.path.split("/")[1], route.path.count("/"))
            self._table.setdefault(shelf, []).append((route.path_regex, route.methods or set(), route.app))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if "//" in path or (len(path) > 1 and path.endswith("/")):
                # Clients differ on slashes: serve `/video/` as `/video` and `//video//x` as `/video/x`.
                path = _SLASHES.sub("/", path)
                if len(path) > 1:
                    path = path.rstrip("/") or "/"
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
            # A target like `OPTIONS *` has no first segment: it finds no operation and Starlette answers it.
            first = path.split("/", 2)[1] if path.startswith("/") else ""
            for pattern, methods, app in self._table.get((first, path.count("/")), ()):
                found = pattern.match(path)
                if found is not None:
                    if scope["method"] not in methods:
                        break  # a 405 with Allow, unless the published API has the method (then a 501)
                    scope["path_params"] = found.groupdict()
                    await app(scope, receive, send)
                    return
            scope[_STARTED] = time.perf_counter()  # for the request log of what Starlette (or the 501) answers
            if self.not_emulated is not None and not path.startswith("/_emulator/"):
                await self.not_emulated(scope, receive, send)
                return
        await self.starlette(scope, receive, send)


def journal_writer(emulator: Emulator) -> JournalWriter:
    """Records a VideoDB call in its key's journal: what was asked, minus secrets, and the status.
    What an entry keeps is bounded: headers to _JOURNAL_HEAD_LIMIT, bodies to _JOURNAL_BODY_LIMIT."""

    def write(key: str, scope: Scope, body: Any, raw: bytes | None, status: int, refused: str | None, fault: str | None, given: bool = False) -> None:
        size = _ENTRY_OVERHEAD
        if raw:
            if len(raw) > _JOURNAL_BODY_LIMIT:
                body = f"({len(raw)} bytes, too large to keep)"
            else:
                size += len(raw)
                if body is None:
                    body = raw.decode("utf-8", "replace")
        headers, head_size = _kept_headers(scope)
        emulator.store.journal(key).record(
            scope["method"], scope["path"], scope.get("query_string", b""), headers, body, status, refused, size + head_size, fault, given
        )

    return write


def _kept_headers(scope: Scope) -> tuple[list[tuple[bytes, bytes]], int]:
    """The request's headers as the journal keeps them (the first _JOURNAL_HEAD_LIMIT bytes), and
    about how many bytes that is. The server says how large the head was (HEAD_BYTES): an ordinary
    one is kept as it is, unmeasured; only a large one, or a long one of unknown size, is cut."""
    headers = scope["headers"]
    estimate = scope.get(HEAD_BYTES, 0)
    if estimate <= _JOURNAL_HEAD_LIMIT and (estimate or len(headers) <= 16):
        return headers, estimate
    kept, size = [], 0
    for name, value in headers:
        size += len(name) + len(value)
        if size > _JOURNAL_HEAD_LIMIT:
            kept.append((b"x-emulator-journal", b"later headers left out: the journal keeps 4096 bytes of them"))
            break
        kept.append((name, value))
    return kept, min(size, _JOURNAL_HEAD_LIMIT)


def refusal_writer(emulator: Emulator) -> RefusalWriter:
    """Journals a refused request under the API key it carried, when that key already has state:
    a test can then see the calls its key made that never reached an operation. A key seen for
    the first time gets no state from a refusal, so refused requests cannot crowd out real keys."""

    def write(scope: Scope, headers: RawHeaders, status: int, reason: str) -> None:
        raw = headers.get(b"x-access-token")
        key = raw.decode("latin-1") if raw else None
        if key is not None and emulator.store.epoch(key) is not None:
            headers, head_size = _kept_headers(scope)
            emulator.store.journal(key).record(
                scope["method"], scope["path"], scope.get("query_string", b""), headers, None, status, reason, _ENTRY_OVERHEAD + head_size
            )

    return write


def _http_exception_handler(log: RequestLog | None, refused: RefusalWriter) -> Any:
    """Starlette's 404 and 405 as the JSON error shape, logged and journaled as refusals."""

    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allowed = exc.headers.get("Allow", "") if exc.headers else ""
            message, code = f"method {request.method} is not allowed on {request.url.path}; allowed: {allowed}", "method_not_allowed"
        elif exc.status_code == 404:
            message, code = f"path {request.url.path!r}: no such operation", "not_found"
        else:
            message, code = str(exc.detail), "http_error"
        scope = request.scope
        if exc.status_code in (404, 405):
            refused(scope, dict(reversed(scope["headers"])), exc.status_code, message)
        if log is not None:
            log.request(request.method, request.url.path, request.headers.get("x-access-token"), exc.status_code, scope.get(_STARTED, time.perf_counter()), message)
        return JSONResponse(error_body(message, code), status_code=exc.status_code, headers=exc.headers)

    return answer


def not_emulated_answer(served: set[tuple[str, str]], log: RequestLog | None, refused: RefusalWriter, starlette: ASGIApp) -> ASGIApp:
    """501 for an operation of the published API the contract leaves out (its path may be served with
    other methods: openapi.yaml lists such methods under x-unemulated-methods); anything else goes on
    to Starlette (404, 405)."""
    table = NotEmulated(served)

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        operation = table.operation(scope["method"], scope["path"])
        if operation is None:
            await starlette(scope, receive, send)
            return
        message = NotEmulated.message(operation)
        await send_json(send, 501, error_body(message, "not_emulated"))
        headers = dict(reversed(scope["headers"]))
        refused(scope, headers, 501, message)
        if log is not None:
            log.request(scope["method"], scope["path"], key_of(headers), 501, scope[_STARTED], message)

    return answer


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(INTERNAL_ERROR, status_code=500)


def _anonymous(headers: RawHeaders) -> str:
    """A public operation's principal: no key. Its handler finds whose call it is (an upload token)."""
    return ""


def build_routes(
    operations: tuple[Operation, ...],
    handlers: dict[str, Handler],
    authenticate: Authenticate,
    settings: Settings,
    journal: JournalWriter | None = None,
    refused: RefusalWriter | None = None,
    fault_book: FaultBook | None = None,
    answer_book: AnswerBook | None = None,
) -> list[Route]:
    missing = [op.operation_id for op in operations if op.operation_id not in handlers]
    if missing:
        raise RuntimeError(f"operations in the spec without a handler: {', '.join(missing)}")
    by_path: dict[str, dict[str, OperationEndpoint]] = {}
    for op in operations:
        endpoint = OperationEndpoint(
            op,
            handlers[op.operation_id],
            _anonymous if op.public else authenticate,
            settings.body_limit,
            settings.public_url,
            journal,
            settings.request_log,
            refused,
            fault_book,
            settings.upload_limit,
            answer_book,
        )
        by_path.setdefault(op.path, {})[op.method] = endpoint
    return [
        Route(path, next(iter(endpoints.values())) if len(endpoints) == 1 else MethodDispatch(endpoints), methods=list(endpoints))
        for path, endpoints in by_path.items()
    ]


def create_app(settings: Settings | None = None, emulator: Emulator | None = None, store: JobStore | None = None) -> EmulatorApp:
    """The emulator as an ASGI app. Everything costly (specs, validators, fixtures) happens here, once.

    ``store`` replaces the default in-memory store (it must use the same seed); ``emulator``
    replaces the whole domain, for tests that build their own.
    """
    settings = settings or Settings()
    if emulator is None:
        fixtures_dir = settings.fixtures_dir or resources.default_fixtures_dir()
        emulator = Emulator(
            load_fixtures(fixtures_dir),
            seed=settings.seed,
            store=store or MemoryStore(settings.seed, settings.limits, frozen_clocks=settings.frozen_clocks),
            fixtures_dir=fixtures_dir,
            callback_policy=settings.callbacks,
            extra_key_prefix=settings.extra_key_prefix,
            fault_rules=settings.fault_rules,
            library_limits=settings.library,
        )
    refused = refusal_writer(emulator)
    api = compile_spec(settings.spec_path or resources.spec_path())
    admin = compile_spec(resources.admin_spec_path(), answers=False)
    routes = build_routes(
        api.operations,
        {**VideoDbHandlers(emulator).by_operation_id(), **MediaHandlers(emulator).by_operation_id()},
        api_key_authenticator(emulator),
        settings,
        journal_writer(emulator),
        refused,
        emulator.faults,
        emulator.given,
    )
    api_routes = list(routes)
    routes += build_routes(admin.operations, AdminHandlers(emulator, api.operations).by_operation_id(), admin_authenticator(settings.admin_token, settings.admin_open, settings.admin_hosts), settings)
    dispatcher = Dispatcher(emulator.callback_policy, emulator.engine)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await dispatcher.start()  # callbacks are delivered while a server (or TestClient) runs the app
        try:
            yield
        finally:
            await dispatcher.stop()
            if settings.request_log is not None:
                settings.request_log.flush()

    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception_handler(settings.request_log, refused), Exception: _server_error}, lifespan=lifespan)
    app.state.emulator = emulator
    app.state.dispatcher = dispatcher
    app.state.spec = api
    served = {(op.method, op.path) for op in api.operations}
    return EmulatorApp(app, api_routes, not_emulated_answer(served, settings.request_log, refused, app))


def app_factory() -> Any:
    """For ``uvicorn --factory mockserver.app:app_factory``."""
    return create_app()
