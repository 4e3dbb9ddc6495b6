"""Compile ``openapi.yaml`` once, at start-up, into operations the app can serve cheaply.

Each operation gets its path template, its parameters with compiled validators and the
defaults of its JSON body. Validators are jsonschema-rs, so checking a request costs
microseconds; openapi-core stays out of the request path and serves only as the tests'
independent oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when PyYAML has it
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load_document(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


def _resolve_pointer(document: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def inline_refs(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """A copy of ``node`` with every local ``$ref`` replaced by what it points at."""
    if depth > 64:
        raise ValueError("reference chain too deep (a cycle?)")
    if isinstance(node, dict):
        if "$ref" in node:
            return inline_refs(document, _resolve_pointer(document, node["$ref"]), depth + 1)
        return {key: inline_refs(document, value, depth + 1) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(document, item, depth + 1) for item in node]
    return node


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema draft 4: ``nullable`` becomes a null type."""
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: to_json_schema(value) for key, value in schema.items() if key not in ("nullable", "example")}
    if schema.get("nullable") and "type" in schema:
        converted["type"] = [schema["type"], "null"]
    return converted


def compile_validator(schema: dict[str, Any]) -> jsonschema_rs.Draft4Validator:
    return jsonschema_rs.Draft4Validator(to_json_schema(schema), validate_formats=True)


def deepest_error(error: Any) -> Any:
    """The most telling of an error's causes: inside a oneOf or anyOf, an error of the branch the
    value most nearly is, rather than "no branch matched". That branch is the one whose errors sit
    deepest in the value (a wrong enum value, such as a status, counts as the object's own error),
    then the one with the fewest; a missing key says more than a forbidden one."""
    while True:
        branches = [branch for branch in getattr(error.kind, "context", None) or () if branch]
        if not branches:
            return error
        nearest = min(branches, key=lambda branch: (-min(map(_depth, branch)), len(branch), sum(_is_not(c) for c in branch)))
        error = max(nearest, key=lambda cause: (len(cause.instance_path), not _is_not(cause)))


def _depth(cause: Any) -> int:
    depth = len(cause.instance_path)
    return depth - 1 if isinstance(cause.kind, (jsonschema_rs.ValidationErrorKind.Enum, jsonschema_rs.ValidationErrorKind.Constant)) else depth


def _is_not(cause: Any) -> bool:
    return isinstance(cause.kind, jsonschema_rs.ValidationErrorKind.Not)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    type: str  # the scalar type the raw text is read as
    validator: jsonschema_rs.Draft4Validator
    default: Any = None

    @property
    def where(self) -> str:
        """How error messages name it: ``path.video_id``, ``header.prefer``."""
        return f"{self.location}.{self.name}"


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # template, e.g. /video/{video_id}/clip
    parameters: tuple[Parameter, ...]
    body_validator: jsonschema_rs.Draft4Validator | None = None
    body_required: bool = False
    body_defaults: dict[str, Any] = field(default_factory=dict)
    multipart: bool = False  # its body is a multipart form (the upload target), not JSON
    public: bool = False  # `security: []`: served without an API key
    # The JSON answer of each declared status, compiled: given answers are checked against them.
    answer_validators: dict[int, jsonschema_rs.Draft4Validator] = field(default_factory=dict)

    @property
    def takes_body(self) -> bool:
        return self.body_validator is not None


def _parameter(raw: dict[str, Any]) -> Parameter:
    schema = raw.get("schema", {})
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", raw["in"] == "path")),
        type=schema.get("type", "string"),
        validator=compile_validator(schema),
        default=schema.get("default"),
    )


def _operation(path: str, method: str, raw: dict[str, Any], shared_parameters: list[dict[str, Any]], answers: bool) -> Operation:
    parameters = {(p["name"], p["in"]): p for p in shared_parameters}
    parameters.update({(p["name"], p["in"]): p for p in raw.get("parameters", [])})
    body = raw.get("requestBody")
    content = body["content"] if body else {}
    body_schema = content["application/json"]["schema"] if "application/json" in content else None
    defaults = {}
    if body_schema and body_schema.get("type") == "object":
        defaults = {k: v["default"] for k, v in body_schema.get("properties", {}).items() if "default" in v}
    return Operation(
        operation_id=raw["operationId"],
        method=method.upper(),
        path=path,
        parameters=tuple(_parameter(p) for p in parameters.values() if p["in"] in ("path", "query", "header")),
        body_validator=compile_validator(body_schema) if body_schema else None,
        body_required=bool(body and body.get("required")),
        body_defaults=defaults,
        multipart="multipart/form-data" in content,
        public=raw.get("security") == [],
        answer_validators=_answer_validators(raw.get("responses", {})) if answers else {},
    )


def _answer_validators(responses: dict[str, Any]) -> dict[int, jsonschema_rs.Draft4Validator]:
    validators = {}
    for status, response in responses.items():
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None and status.isdigit():
            validators[int(status)] = compile_validator(schema)
    return validators


@dataclass(frozen=True)
class Spec:
    document: dict[str, Any]
    operations: tuple[Operation, ...]


def compile_spec(path: str | Path, answers: bool = True) -> Spec:
    """``answers``: compile each operation's answer validators too (for given answers); the control
    API's own spec has no use for them."""
    document = load_document(path)
    resolved = inline_refs(document, document)
    operations = []
    for template, item in resolved.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operations.append(_operation(template, method, item[method], item.get("parameters", []), answers))
    return Spec(document, tuple(operations))
