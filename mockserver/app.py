"""The Starlette app: routes compiled from the two OpenAPI files, each bound to its handler.

A request goes: path normalised → route → credentials → parameters and body checked →
handler → JSON. Every error, ours or Starlette's, leaves as the same JSON error shape.
VideoDB calls are written to their key's journal; control calls are not.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import ids, render, resources
from .admin import AdminHandlers
from .callbacks import CallbackPolicy, Dispatcher
from .emulator import Emulator
from .errors import Expired, FixtureError, InvalidInput, NotFound
from .fixtures import load_fixtures
from .handlers import Call, Handler, VideoDbHandlers
from .http_errors import HttpError, error_body, error_response
from .jobs import Job, JobIsTerminal
from .spec import Operation, compile_spec
from .validation import parse_body, read_parameters, read_raw_body

logger = logging.getLogger("mockserver")

API_KEY_HEADER = "x-access-token"
ADMIN_TOKEN_HEADER = "x-admin-token"
DEFAULT_BODY_LIMIT = 1024 * 1024
_JOURNAL_BODY_LIMIT = 8192  # larger bodies are journaled by size only, to keep the journal small
_SLASHES = re.compile(r"/{2,}")


@dataclass(frozen=True)
class Settings:
    fixtures_dir: Path | None = None
    spec_path: Path | None = None
    seed: int = 0
    public_url: str | None = None
    body_limit: int = DEFAULT_BODY_LIMIT
    max_jobs: int = 100_000
    max_jobs_per_namespace: int = 10_000
    max_namespaces: int = 1_000
    frozen_clocks: bool = False  # every key's clock starts frozen (virtual) instead of real
    admin_token: str | None = None
    admin_open: bool = True  # without a token, the control API answers only when served on loopback
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)


Authenticate = Callable[[Request], str]
JournalWriter = Callable[[str, Request, Any, bytes | None, int], None]


def _domain_error(error: Exception) -> HttpError:
    if isinstance(error, Expired):
        return HttpError(404, "expired", str(error))
    if isinstance(error, NotFound):
        return HttpError(404, "not_found", str(error))
    if isinstance(error, InvalidInput):
        return HttpError(400, "invalid_request", str(error))
    if isinstance(error, JobIsTerminal):
        return HttpError(409, "job_is_terminal", f"job {error}: already terminal; its answer is final")
    if isinstance(error, FixtureError):
        return HttpError(400, "invalid_fixtures", "fixtures: " + "; ".join(error.reasons))
    raise error


# One encoder for every answer: json.dumps with options builds a new encoder on each call.
_NO_QUERY: dict[str, str] = {}
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class JsonAnswer(JSONResponse):
    """Starlette's JSONResponse, byte for byte, with the encoder built once."""

    def render(self, content: Any) -> bytes:
        return _ENCODE(content).encode("utf-8")


class _Headers(Headers):
    """Starlette's request headers, looked up in a dict built once instead of a list scanned per look-up."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope=scope)
        # Reversed, so that the first of repeated headers wins, as in Starlette's own look-up.
        self._first = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(self._list)}

    def __getitem__(self, key: str) -> str:
        return self._first[key.lower()]

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key.lower() in self._first

    def get(self, key: str, default: Any = None) -> Any:
        return self._first.get(key.lower(), default)


class _Request(Request):
    @property
    def headers(self) -> Headers:
        if not hasattr(self, "_headers"):
            self._headers = _Headers(self.scope)
        return self._headers


class _Asgi:
    """Serves ``request -> response`` as a plain ASGI app: Starlette's wrapper adds two closures and
    a relay of every message per request, for exception handling that our endpoints do themselves."""

    def __init__(self, endpoint: Callable[[Request], Any]) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(_Request(scope, receive, send))
        await response(scope, receive, send)


class DirectRoutes:
    """The VideoDB operations, matched before Starlette's exception middleware and router.

    Our endpoints answer their own errors, so those layers only add per-request closures and a
    relay of each message. Whatever matches no route fully (404, 405, the control API) goes on
    to the Starlette app unchanged.
    """

    def __init__(self, app: ASGIApp, routes: list[Route]) -> None:
        self.app = app
        # Each route's compiled path pattern, read once: Route.matches() costs several µs a call.
        self.table = [(route.path_regex, route.methods or set(), route.app) for route in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            for pattern, methods, app in self.table:
                found = pattern.match(path)
                if found is not None:
                    if scope["method"] not in methods:
                        break  # Starlette answers the 405, with Allow
                    scope["path_params"] = found.groupdict()
                    await app(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class OperationEndpoint:
    """Serves one operation: authenticate, validate, call the handler, render, journal."""

    def __init__(
        self,
        operation: Operation,
        handler: Handler,
        authenticate: Authenticate,
        settings: Settings,
        journal: JournalWriter | None = None,
    ) -> None:
        self.operation = operation
        self.handler = handler
        self.authenticate = authenticate
        self.journal = journal
        self.body_limit = settings.body_limit
        self.public_url = settings.public_url.rstrip("/") if settings.public_url else None

    def _base_url(self, request: Request) -> str:
        if self.public_url:
            return self.public_url
        # From the scope: request.url would build and parse a whole URL on every request.
        host = request.headers.get("host") or "{}:{}".format(*request.scope["server"])
        return f"{request.scope.get('scheme', 'http')}://{host}"

    async def handle(self, request: Request) -> Response:
        try:
            principal = self.authenticate(request)
        except HttpError as error:
            return error_response(error)
        raw: bytes | None = None
        body: Any = None
        try:
            # Parsing an empty query string still costs; most operations have none.
            query = request.query_params if request.scope.get("query_string") else _NO_QUERY
            params = read_parameters(self.operation, request.path_params, query, request.headers)
            if self.operation.takes_body:
                raw = await read_raw_body(request, self.operation, self.body_limit)
                body = parse_body(raw, self.operation)
            answer = self.handler(Call(principal, params, body, self._base_url(request), request.headers))
            response: Response = JsonAnswer(answer)
        except HttpError as error:
            response = error_response(error)
        except (NotFound, InvalidInput, JobIsTerminal, FixtureError) as error:
            response = error_response(_domain_error(error))
        if self.journal is not None:
            self.journal(principal, request, body, raw, response.status_code)
        return response


def api_key_authenticator(emulator: Emulator) -> Authenticate:
    def authenticate(request: Request) -> str:
        key = request.headers.get(API_KEY_HEADER)
        if not key:
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: required (the API key)")
        if not emulator.accepts_key(key):
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: not an accepted API key")
        return key

    return authenticate


def admin_authenticator(settings: Settings) -> Authenticate:
    token = settings.admin_token

    def authenticate(request: Request) -> str:
        if token is None:
            if settings.admin_open:
                return "admin"
            raise HttpError(401, "unauthorized", "the control API needs --admin-token when the server listens beyond loopback")
        given = request.headers.get(ADMIN_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HttpError(401, "unauthorized", f"header.{ADMIN_TOKEN_HEADER}: {'wrong' if given else 'required'} (the admin token)")
        return "admin"

    return authenticate


def journal_writer(emulator: Emulator) -> JournalWriter:
    """Records a VideoDB call in its key's journal: what was asked, minus secrets, and the status."""

    def write(key: str, request: Request, body: Any, raw: bytes | None, status: int) -> None:
        if raw and len(raw) > _JOURNAL_BODY_LIMIT:
            body = f"({len(raw)} bytes, too large to keep)"
        elif body is None and raw:
            body = raw.decode("utf-8", "replace")
        namespace = emulator.namespace(key)
        scope = request.scope
        namespace.journal.record(
            namespace.clock.now(), scope["method"], scope["path"], scope.get("query_string", b""), scope["headers"], body, status
        )

    return write


class NormalisePath:
    """Serve `/video/` as `/video` and `//video//x` as `/video/x`: clients differ on slashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if "//" in path or (len(path) > 1 and path.endswith("/")):
                path = _SLASHES.sub("/", path)
                if len(path) > 1:
                    path = path.rstrip("/") or "/"
                scope = {**scope, "path": path, "raw_path": path.encode("utf-8")}
        await self.app(scope, receive, send)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = exc.headers.get("Allow", "") if exc.headers else ""
        message, code = f"method {request.method} is not allowed on {request.url.path}; allowed: {allowed}", "method_not_allowed"
    elif exc.status_code == 404:
        message, code = f"path {request.url.path!r}: no such operation", "not_found"
    else:
        message, code = str(exc.detail), "http_error"
    return JSONResponse(error_body(message, code), status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal error in the emulator (a bug: please report it)", "internal_error"), status_code=500)


def _dispatch(endpoints: dict[str, OperationEndpoint]) -> Callable[[Request], Any]:
    """One route per path, so that a wrong method is answered with every method the path has."""
    if len(endpoints) == 1:
        return next(iter(endpoints.values())).handle

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method].handle(request)

    return dispatch


def build_routes(
    operations: tuple[Operation, ...],
    handlers: dict[str, Handler],
    authenticate: Authenticate,
    settings: Settings,
    journal: JournalWriter | None = None,
) -> list[Route]:
    missing = [op.operation_id for op in operations if op.operation_id not in handlers]
    if missing:
        raise RuntimeError(f"operations in the spec without a handler: {', '.join(missing)}")
    by_path: dict[str, dict[str, OperationEndpoint]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = OperationEndpoint(op, handlers[op.operation_id], authenticate, settings, journal)
    return [Route(path, _Asgi(_dispatch(endpoints)), methods=list(endpoints)) for path, endpoints in by_path.items()]


def callback_dispatcher(emulator: Emulator) -> Dispatcher:
    """Wires the emulator's callback jobs to a dispatcher that renders them as a final poll would."""

    def final_answer(job: Job) -> dict[str, Any]:
        view = emulator.final_view(job)
        return {**render.job(view, job.base_url or "", emulator.clip_slug(view)), "job_id": job.id}

    dispatcher = Dispatcher(
        emulator.callback_policy,
        final_answer,
        lambda key, job: ids.delivery_id(emulator.seed, key, job.id),
        emulator.store.current,
    )
    emulator.on_callback_job = dispatcher.watch
    emulator.on_job_change = dispatcher.wake
    return dispatcher


def create_app(settings: Settings | None = None, emulator: Emulator | None = None) -> Starlette:
    """The emulator as an ASGI app. Everything costly (specs, validators, fixtures) happens here, once."""
    settings = settings or Settings()
    if emulator is None:
        fixtures_dir = settings.fixtures_dir or resources.default_fixtures_dir()
        emulator = Emulator(
            load_fixtures(fixtures_dir),
            seed=settings.seed,
            frozen_clocks=settings.frozen_clocks,
            max_jobs=settings.max_jobs,
            max_jobs_per_namespace=settings.max_jobs_per_namespace,
            max_namespaces=settings.max_namespaces,
            fixtures_dir=fixtures_dir,
            callback_policy=settings.callbacks,
        )
    api = compile_spec(settings.spec_path or resources.spec_path())
    admin = compile_spec(resources.admin_spec_path())
    routes = build_routes(
        api.operations, VideoDbHandlers(emulator).by_operation_id(), api_key_authenticator(emulator), settings, journal_writer(emulator)
    )
    api_routes = list(routes)
    routes += build_routes(admin.operations, AdminHandlers(emulator).by_operation_id(), admin_authenticator(settings), settings)
    dispatcher = callback_dispatcher(emulator)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await dispatcher.start()  # callbacks are delivered while a server (or TestClient) runs the app
        try:
            yield
        finally:
            await dispatcher.stop()

    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_exception, Exception: _server_error}, lifespan=lifespan)
    app.state.emulator = emulator
    app.state.dispatcher = dispatcher
    app.state.spec = api
    app.add_middleware(DirectRoutes, routes=api_routes)
    app.add_middleware(NormalisePath)  # added last, so it runs first: paths are normalised before matching
    return app


def app_factory() -> Any:
    """For ``uvicorn --factory mockserver.app:app_factory``."""
    return create_app()
