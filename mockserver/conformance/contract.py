"""The contract a run judges against: which file, and what the phases need to know of it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from openapi_schema_validator import OAS30Validator

from . import job_contract

# The package that holds this one: an installed wheel carries openapi.yaml inside it.
_PACKAGE_DIR = Path(__file__).resolve().parent.parent

# The operations the lifecycle and callback phases drive, by operationId.
LIST_VIDEOS = "listVideos"
GET_VIDEO = "getVideo"
GET_COLLECTION = "getCollection"
CREATE_CLIP = "createClip"
GET_JOB = "getAsyncResponse"
DEFAULT_COLLECTION = "getDefaultCollection"
COMPILE = "compileShots"
STREAM = "generateStream"

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE_VARIABLE = re.compile(r"\{[^}/]+\}")


class SpecError(Exception):
    """The contract file cannot be used; the message says why."""


def default_spec_path() -> Path:
    """``openapi.yaml`` inside the installed package, else at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR / "openapi.yaml", _PACKAGE_DIR.parent / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    return _PACKAGE_DIR.parent / "openapi.yaml"


@dataclass(frozen=True)
class OperationRef:
    operation_id: str
    method: str  # upper case
    path: str  # the template, e.g. /video/{video_id}/clip

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def fill(self, **values: str) -> str:
        """The path with its variables replaced, each percent-encoded as a single segment."""
        return _TEMPLATE_VARIABLE.sub(lambda m: quote(values[m.group(0)[1:-1]], safe=""), self.path)

    def path_pattern(self) -> re.Pattern[str]:
        """Matches the filled path; a variable may hold anything, slashes included, so nothing slips past."""
        parts = _TEMPLATE_VARIABLE.split(self.path)
        return re.compile("^" + ".+".join(re.escape(part) for part in parts) + "$")


@dataclass(frozen=True)
class Contract:
    path: Path
    document: dict[str, Any]
    operations: dict[str, OperationRef]
    api_key_header: str
    api_key_scheme: str | None  # the securitySchemes entry that carries the key, if the contract names one
    # (operationId, status) or ("#schema", name) -> its validator (None: nothing declared), built on first use
    _validators: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def operation(self, operation_id: str) -> OperationRef:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise SpecError(f"{self.path}: no operation with operationId `{operation_id}`, which this run needs") from None

    def has(self, operation_id: str) -> bool:
        return operation_id in self.operations

    def resolve(self, node: Any) -> Any:
        """Follow local ``$ref``s (``#/components/...``) until a node that is not one."""
        for _ in range(32):  # a bound, in case of a reference cycle
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
                return node
            target: Any = self.document
            for part in node["$ref"][2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            node = target
        return node

    def answer_problems(self, operation_id: str, status: int, body: Any) -> list[str] | None:
        """What is wrong with a JSON answer by the operation's declared response for ``status``
        (a few lines at most), or None when the contract declares none to judge it by."""
        key = (operation_id, str(status))
        if key not in self._validators:
            ref = self.operation(operation_id)
            responses = self.document["paths"][ref.path][ref.method.lower()].get("responses") or {}
            code = str(status)
            answer = self.resolve(responses.get(code) or responses.get(code[0] + "XX") or responses.get("default"))
            self._validators[key] = self._compiled(self.resolve((((answer or {}).get("content") or {}).get("application/json") or {}).get("schema")))
        problems = _problems(self._validators[key], body)
        if problems is not None and len(problems) < 5:
            broken = job_contract.answer_rules_broken(body)  # rules JSON Schema 3.0 cannot state
            if broken:
                problems.append(broken)
        return problems

    def schema_problems(self, schema_name: str, body: Any) -> list[str] | None:
        """What is wrong with ``body`` by the named component schema (a few lines at most), or
        None when the contract declares no schema of that name."""
        key = ("#schema", schema_name)
        if key not in self._validators:
            self._validators[key] = self._compiled((self.document.get("components", {}).get("schemas") or {}).get(schema_name))
        return _problems(self._validators[key], body)

    def _compiled(self, schema: Any) -> Any:
        """A validator of ``schema``, or None for no schema. The components ride along, so the
        schema's own $refs resolve."""
        return OAS30Validator({**schema, "components": self.document.get("components", {})}) if isinstance(schema, dict) else None

    def job_creating_operations(self) -> list[OperationRef]:
        """The operations that start a job: their answer links to the job poll. A run's job budget
        counts every request to one of them (clips, and uploads or indexes where the contract has them)."""
        found = []
        for ref in self.operations.values():
            answers = self.document["paths"][ref.path][ref.method.lower()].get("responses") or {}
            links = (self.resolve(answers.get("200")) or {}).get("links") or {}
            if ref.operation_id == CREATE_CLIP or any(self.resolve(link).get("operationId") == GET_JOB for link in links.values()):
                found.append(ref)
        return found

    def body_properties(self, operation_id: str) -> frozenset[str]:
        """The properties the JSON body of an operation declares (empty when it declares none)."""
        ref = self.operation(operation_id)
        definition = self.document["paths"][ref.path][ref.method.lower()]
        body = self.resolve(definition.get("requestBody")) or {}
        schema = self.resolve(((body.get("content") or {}).get("application/json") or {}).get("schema"))
        properties = schema.get("properties") if isinstance(schema, dict) else None
        return frozenset(properties) if isinstance(properties, dict) else frozenset()


def _problems(validator: Any, body: Any) -> list[str] | None:
    if validator is None:
        return None
    return [f"{'.'.join(map(str, error.absolute_path)) or 'body'}: {error.message[:200]}" for error in validator.iter_errors(body)][:5]


def load_contract(path: Path) -> Contract:
    document = _read_document(path)
    operations: dict[str, OperationRef] = {}
    for template, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            definition = item.get(method)
            if isinstance(definition, dict) and isinstance(definition.get("operationId"), str):
                operations[definition["operationId"]] = OperationRef(definition["operationId"], method.upper(), str(template))
    scheme, header = _api_key_location(document)
    return Contract(path=path, document=document, operations=operations, api_key_header=header, api_key_scheme=scheme)


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, not an OpenAPI file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: cannot be read ({error})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path}: not valid YAML or JSON{where}") from None
    if not isinstance(document, dict) or "openapi" not in document or not isinstance(document.get("paths"), dict):
        raise SpecError(f"{path}: not an OpenAPI 3 document (it needs `openapi` and `paths`)")
    return document


def _api_key_location(document: dict[str, Any]) -> tuple[str | None, str]:
    """The first security scheme that sends an API key in a header; VideoDB's header otherwise."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            return str(name), str(scheme.get("name") or "x-access-token")
    return None, "x-access-token"
