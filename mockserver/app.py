"""The Starlette app: routes compiled from openapi.yaml, each bound to its handler.

A request goes: path normalised → route → API key → parameters and body checked →
handler → JSON. Every error, ours or Starlette's, leaves as the same JSON error shape.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import resources
from .emulator import Emulator
from .errors import Expired, InvalidInput, NotFound
from .fixtures import load_fixtures
from .handlers import Call, Handler, VideoDbHandlers
from .http_errors import HttpError, error_body, error_response
from .spec import Operation, compile_spec
from .validation import read_body, read_parameters

logger = logging.getLogger("mockserver")

API_KEY_HEADER = "x-access-token"
DEFAULT_BODY_LIMIT = 1024 * 1024
_SLASHES = re.compile(r"/{2,}")


@dataclass(frozen=True)
class Settings:
    fixtures_dir: Path | None = None
    spec_path: Path | None = None
    seed: int = 0
    public_url: str | None = None
    body_limit: int = DEFAULT_BODY_LIMIT
    max_jobs_per_namespace: int = 10_000
    max_namespaces: int = 1_000


def _domain_error(error: Exception) -> HttpError:
    if isinstance(error, Expired):
        return HttpError(404, "expired", str(error))
    if isinstance(error, NotFound):
        return HttpError(404, "not_found", str(error))
    if isinstance(error, InvalidInput):
        return HttpError(400, "invalid_request", str(error))
    raise error


class OperationEndpoint:
    """Serves one operation: authenticate, validate, call the handler, render."""

    def __init__(self, operation: Operation, handler: Handler, emulator: Emulator, settings: Settings) -> None:
        self.operation = operation
        self.handler = handler
        self.emulator = emulator
        self.body_limit = settings.body_limit
        self.public_url = settings.public_url.rstrip("/") if settings.public_url else None

    def _key(self, request: Request) -> str:
        key = request.headers.get(API_KEY_HEADER)
        if not key:
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: required (the API key)")
        if not self.emulator.accepts_key(key):
            raise HttpError(401, "unauthorized", f"header.{API_KEY_HEADER}: not an accepted API key")
        return key

    def _base_url(self, request: Request) -> str:
        if self.public_url:
            return self.public_url
        scheme = request.url.scheme
        host = request.headers.get("host") or "{}:{}".format(*request.scope["server"])
        return f"{scheme}://{host}"

    async def handle(self, request: Request) -> Response:
        try:
            key = self._key(request)
            params = read_parameters(self.operation, request.path_params, request.query_params, request.headers)
            body = await read_body(request, self.operation, self.body_limit) if self.operation.takes_body else None
            answer = self.handler(Call(key, params, body, self._base_url(request)))
        except HttpError as error:
            return error_response(error)
        except (NotFound, InvalidInput) as error:
            return error_response(_domain_error(error))
        return JSONResponse(answer)


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
        message = f"method {request.method} is not allowed on {request.url.path}; allowed: {exc.headers.get('Allow', '') if exc.headers else ''}"
        code = "method_not_allowed"
    elif exc.status_code == 404:
        message = f"path {request.url.path!r}: no such operation"
        code = "not_found"
    else:
        message, code = str(exc.detail), "http_error"
    return JSONResponse(error_body(message, code), status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("internal error in the emulator (a bug: please report it)", "internal_error"), status_code=500)


def build_routes(operations: tuple[Operation, ...], handlers: dict[str, Handler], emulator: Emulator, settings: Settings) -> list[Route]:
    missing = [op.operation_id for op in operations if op.operation_id not in handlers]
    if missing:
        raise RuntimeError(f"operations in the spec without a handler: {', '.join(missing)}")
    return [
        Route(op.path, OperationEndpoint(op, handlers[op.operation_id], emulator, settings).handle, methods=[op.method], name=op.operation_id)
        for op in operations
    ]


def create_app(settings: Settings | None = None, emulator: Emulator | None = None) -> Starlette:
    """The emulator as an ASGI app. Everything costly (spec, validators, fixtures) happens here, once."""
    settings = settings or Settings()
    spec = compile_spec(settings.spec_path or resources.spec_path())
    if emulator is None:
        fixtures = load_fixtures(settings.fixtures_dir or resources.default_fixtures_dir())
        emulator = Emulator(
            fixtures,
            seed=settings.seed,
            max_jobs_per_namespace=settings.max_jobs_per_namespace,
            max_namespaces=settings.max_namespaces,
        )
    handlers = VideoDbHandlers(emulator).by_operation_id()
    app = Starlette(
        routes=build_routes(spec.operations, handlers, emulator, settings),
        exception_handlers={HTTPException: _http_exception, Exception: _server_error},
    )
    app.state.emulator = emulator
    app.state.spec = spec
    app.add_middleware(NormalisePath)
    return app


def app_factory() -> Any:
    """For ``uvicorn --factory mockserver.app:app_factory``."""
    return create_app()
