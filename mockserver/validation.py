"""Read a request's parameters and JSON body and check them against its compiled operation.

Every failure becomes an HttpError whose message names the field and the rule,
e.g. ``body.prompt: required`` or ``path.video_id: must match pattern '^m-'``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import jsonschema_rs
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from .http_errors import HttpError, bad_request
from .spec import Operation, Parameter

_MAX_RULE_LENGTH = 200


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"number out of range: {text[:40]}")
    return number


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with hooks builds a new decoder on each call.
_DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=_reject_constant)


def field_path(location: str, parts: Any) -> str:
    return location + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _rule(error: jsonschema_rs.ValidationError) -> str:
    kind = error.kind
    name = kind.name
    if name == "type":
        return f"must be of type {' or '.join(kind.types)}"
    if name == "enum":
        return "must be one of " + ", ".join(json.dumps(o) for o in kind.options)
    if name == "minLength":
        return f"must be at least {kind.limit} characters long"
    if name == "maxLength":
        return f"must be at most {kind.limit} characters long"
    if name == "pattern":
        return f"must match pattern {kind.pattern!r}"
    if name == "format":
        return f"must be a valid {kind.format}"
    if name == "minItems":
        return f"must have at least {kind.limit} items"
    if name == "maxItems":
        return f"must have at most {kind.limit} items"
    if name == "minimum":
        return f"must be >= {kind.limit}"
    if name == "maximum":
        return f"must be <= {kind.limit}"
    message = error.message
    return message if len(message) <= _MAX_RULE_LENGTH else message[:_MAX_RULE_LENGTH] + "…"


def check(validator: jsonschema_rs.Draft4Validator, value: Any, location: str) -> None:
    """Raise a 400 naming the first rule ``value`` breaks."""
    if validator.is_valid(value):
        return
    error = next(validator.iter_errors(value))
    if error.kind.name == "required":
        raise bad_request(field_path(location, [*error.instance_path, error.kind.property]), "required")
    raise bad_request(field_path(location, error.instance_path), _rule(error))


def _coerce(parameter: Parameter, raw: str) -> Any:
    where = parameter.where
    if parameter.type == "integer":
        try:
            return int(raw)
        except ValueError:
            raise bad_request(where, "must be an integer") from None
    if parameter.type == "number":
        try:
            return _finite_float(raw)
        except ValueError:
            raise bad_request(where, "must be a number") from None
    if parameter.type == "boolean":
        if raw not in ("true", "false"):
            raise bad_request(where, "must be true or false")
        return raw == "true"
    return raw


def read_parameters(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, str],
    headers: Mapping[bytes, bytes],
) -> dict[str, Any]:
    sources: dict[str, Mapping[str, str]] = {"path": path_params, "query": query}
    values: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.location == "header":
            header = headers.get(parameter.name.lower().encode("latin-1"))
            raw = None if header is None else header.decode("latin-1")
        else:
            raw = sources[parameter.location].get(parameter.name)
        if raw is None:
            if parameter.required:
                raise bad_request(parameter.where, "required")
            values[parameter.name] = parameter.default
            continue
        value = raw if parameter.type == "string" else _coerce(parameter, raw)
        if not parameter.validator.is_valid(value):  # the error's name is built only when there is one
            check(parameter.validator, value, parameter.where)
        values[parameter.name] = value
    return values


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


async def read_raw_body(headers: Mapping[bytes, bytes], receive: Receive, operation: Operation, limit: int) -> bytes | None:
    """The body's bytes once its media type and size are acceptable; None when none was sent."""
    content_type = headers.get(b"content-type")
    declared = headers.get(b"content-length")
    if content_type is None and declared in (None, b"0") and b"transfer-encoding" not in headers:
        return None
    if content_type != b"application/json":  # what nearly every client sends: no parsing needed
        media_type = _media_type(content_type.decode("latin-1") if content_type else "")
        if not _is_json(media_type):
            raise HttpError(415, "unsupported_media_type", f"header.content-type: must be application/json, got {media_type or 'nothing'!r}")
    if declared is not None:
        if not declared.isdigit():
            raise bad_request("header.content-length", "must be a whole number")
        if int(declared) > limit:
            raise HttpError(413, "payload_too_large", f"body: must be at most {limit} bytes, got {int(declared)}")
    # Straight from ASGI receive: request.stream() is an async generator, costly per request.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "payload_too_large", f"body: must be at most {limit} bytes")
        if not message.get("more_body", False):
            if not chunks:
                return chunk
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def parse_body(raw: bytes | None, operation: Operation) -> Any:
    """The operation's JSON body as the client sent it, parsed and checked."""
    if not raw:
        if operation.body_required:
            raise bad_request("body", "required (a JSON body with Content-Type: application/json)")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request("body", f"must be valid UTF-8 (bad byte at offset {exc.start})") from None
    try:
        body = _DECODER.decode(text)
    except RecursionError:
        raise bad_request("body", "JSON nested too deeply") from None
    except ValueError as exc:
        raise bad_request("body", f"malformed JSON: {str(exc)[:_MAX_RULE_LENGTH]}") from None
    assert operation.body_validator is not None
    check(operation.body_validator, body, "body")
    return body


def with_defaults(body: Any, operation: Operation) -> Any:
    """The body completed with the contract's defaults, for the handler; the journal keeps what was sent."""
    if operation.body_defaults and isinstance(body, dict):
        return {**operation.body_defaults, **body}
    return body
