"""The schema strategy builder, judged by a validator it shares no code with (openapi-schema-validator).

Every JSON answer of every operation and every component schema is drawn from and checked; small
inline schemas pin the constructs the contract uses or is about to (closed objects, forbidden keys,
"if this key then that one", bounds), the extra-keys hook, shrinking and determinism.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import find, given, seed, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from mockserver import schema_strategies
from mockserver.schema_strategies import from_schema
from mockserver.spec import inline_refs

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
COMPONENTS = sorted(DOCUMENT["components"]["schemas"])
DRAWS = settings(max_examples=30, deadline=None, derandomize=True, database=None)
# Names an extra key may take: some are declared somewhere, some are forbidden somewhere (`not`).
EXTRA_NAMES = ("note", "x_trace", "self", "status", "request_type", "response", "transcript")

FORMATS = FormatChecker(formats=())
FORMATS.checkers.update(oas30_format_checker.checkers)
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """An absolute URI (RFC 3986 characters, a scheme and a host): openapi-schema-validator checks no uri."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(_URI_CHARS.fullmatch(value) and parts.scheme and parts.netloc)


def _extras(declared: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    values = st.none() | st.integers(0, 9) | st.text(max_size=4)
    return st.dictionaries(st.sampled_from([*EXTRA_NAMES, *declared[:2]]), values, max_size=3)


@functools.cache
def _strategy(ref: str) -> st.SearchStrategy[Any]:
    return from_schema({"$ref": ref}, DOCUMENT, extra_keys=_extras)


def _oracle(schema: dict[str, Any]) -> OAS30Validator:
    """openapi-schema-validator over ``schema``, its refs resolved in the document's components."""
    return OAS30Validator({"allOf": [schema], "components": DOCUMENT["components"]}, format_checker=FORMATS)


def _json_responses() -> dict[str, dict[str, Any]]:
    """Each JSON answer's schema, by ``operationId-status``."""
    found = {}
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = DOCUMENT["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                if "application/json" in response.get("content", {}):
                    found[f"{operation['operationId']}-{status}"] = response["content"]["application/json"]["schema"]
    return found


RESPONSES = _json_responses()
SHARED: dict[str, list[str]] = {}  # answers sharing one schema (most errors) are drawn from once
for _key, _schema in RESPONSES.items():
    SHARED.setdefault(json.dumps(_schema, sort_keys=True), []).append(_key)


def test_every_operation_has_json_answers_to_draw():
    operations = {
        op["operationId"] for item in DOCUMENT["paths"].values() for op in item.values() if isinstance(op, dict)
    }
    assert {key.rsplit("-", 1)[0] for key in RESPONSES} == operations


@pytest.mark.parametrize("keys", SHARED.values(), ids=lambda keys: f"{keys[0]}+{len(keys) - 1}")
@DRAWS
@given(data=st.data())
def test_response_draws_conform(keys, data):
    schema = RESPONSES[keys[0]]
    _oracle(schema).validate(data.draw(_response_strategy(keys[0])))


@functools.cache
def _response_strategy(key: str) -> st.SearchStrategy[Any]:
    return from_schema(RESPONSES[key], DOCUMENT, extra_keys=_extras)


@pytest.mark.parametrize("name", COMPONENTS)
@DRAWS
@given(data=st.data())
def test_component_draws_conform(name, data):
    ref = f"#/components/schemas/{name}"
    _oracle({"$ref": ref}).validate(data.draw(_strategy(ref)))


def _object(**extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string", "minLength": 1}, "size": {"type": "integer"}, "tag": {"type": "string"}},
        **extra,
    }


@DRAWS
@given(st.data())
def test_extra_keys_come_after_the_declared_ones_and_never_repeat_them(data):
    schema = _object()
    hook = lambda declared: st.dictionaries(st.sampled_from(["size", "id", "zz", "aa"]), st.just(True), max_size=4)
    value = data.draw(from_schema(schema, {}, extra_keys=hook))
    keys = list(value)
    declared = [key for key in keys if key in schema["properties"]]
    assert keys[: len(declared)] == declared == sorted(declared, key=list(schema["properties"]).index)
    assert all(value[key] is not True for key in declared)  # the hook's values never replace declared ones
    _oracle(schema).validate(value)


def test_the_hook_gets_the_declared_names_and_its_extras_are_drawn():
    seen = []

    def hook(declared):
        seen.append(declared)
        return st.fixed_dictionaries({"zz": st.just(1)})

    value = find(from_schema(_object(), {}, extra_keys=hook), lambda v: True)
    assert seen == [("id", "size", "tag")] and value == {"id": "0", "zz": 1}


@DRAWS
@given(st.data())
def test_a_closed_object_gets_no_extras(data):
    hook_calls = []
    hook = lambda declared: hook_calls.append(declared) or st.fixed_dictionaries({"zz": st.just(1)})
    schema = _object(additionalProperties=False)
    value = data.draw(from_schema(schema, {}, extra_keys=hook))
    assert set(value) <= set(schema["properties"]) and hook_calls == []
    _oracle(schema).validate(value)


@DRAWS
@given(st.data())
def test_extras_of_an_additional_properties_schema_follow_it(data):
    schema = _object(additionalProperties={"type": "integer", "minimum": 10})
    hook = lambda declared: st.fixed_dictionaries({"zz": st.just("text"), "yy": st.none()})
    value = data.draw(from_schema(schema, {}, extra_keys=hook))
    assert set(list(value)[-2:]) == {"zz", "yy"}  # the hook's names, with values the schema types
    assert all(isinstance(value[k], int) and value[k] >= 10 for k in ("zz", "yy"))
    _oracle(schema).validate(value)


def test_nullable_draws_none_sometimes():
    assert find(from_schema({"$ref": "#/components/schemas/NullableUrl"}, DOCUMENT), lambda value: value is None) is None
    assert find(from_schema({"$ref": "#/components/schemas/NullableText"}, DOCUMENT), lambda v: v is not None) == ""
    assert find(from_schema({"type": "integer", "nullable": True}, {}), lambda value: value is not None) == 0


@pytest.mark.parametrize(
    ("schema", "keyword", "where"),
    [
        ({"type": "array", "items": {"type": "string"}, "uniqueItems": True}, "uniqueItems", "#"),
        ({"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}, "format", "#/properties/at"),
        ({"type": "object", "properties": {"n": {"type": "number", "exclusiveMinimum": 0}}}, "exclusiveMinimum", "#/properties/n"),
        ({"type": "object", "not": {"anyOf": [{"required": ["a"]}, {"propertyNames": {}}]}}, "propertyNames", "#/not/anyOf/1"),
        ({"allOf": [{"type": "string"}, {"type": "string", "contentEncoding": "base64"}]}, "contentEncoding", "#/allOf/1"),
        ({"oneOf": [{"type": "string"}, {"type": "null"}]}, "null", "#/oneOf/1"),
        ({"$ref": "#/components/schemas/Odd"}, "dependencies", "#/components/schemas/Odd/properties/x"),
    ],
)
def test_an_unsupported_keyword_is_refused_by_name_and_place(schema, keyword, where):
    document = {"components": {"schemas": {"Odd": {"type": "object", "properties": {"x": {"dependencies": {}}}}}}}
    with pytest.raises(ValueError, match=re.escape(f"'{keyword}'")) as refused:
        from_schema(schema, document)
    assert str(refused.value).endswith(f"at {where}")


def test_the_minimal_draw_has_only_the_required_keys():
    assert find(from_schema(_object(), {}), lambda value: True) == {"id": "0"}
    assert set(find(_strategy("#/components/schemas/SearchRequest"), lambda value: True)) == {"query"}


def test_the_same_seed_draws_the_same_sequence():
    def sequence(number: int) -> list[Any]:
        drawn: list[Any] = []

        @seed(number)
        @settings(max_examples=25, deadline=None, database=None)
        @given(_strategy("#/components/schemas/JobAnswer"))
        def collect(value):
            drawn.append(value)

        collect()
        return drawn

    assert sequence(7) == sequence(7) != sequence(8)


# The constructs the contract uses or is about to, each in a small schema of its own.

CONSTRUCTS: dict[str, dict[str, Any]] = {
    "closed object": _object(additionalProperties=False),
    "forbidden keys": _object(**{"not": {"anyOf": [{"required": ["tag"]}, {"required": ["status"]}]}}),
    "forbidden keys through allOf": {
        "allOf": [_object(), {"not": {"anyOf": [{"required": ["size"]}, {"required": ["response"]}]}}],
    },
    "if tag then size": _object(anyOf=[{"not": {"required": ["tag"]}}, {"required": ["tag", "size"]}]),
    "bounds": {
        "type": "object",
        "required": ["count", "ratio", "seconds"],
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 3, "exclusiveMaximum": True},
            "ratio": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMinimum": True},
            "seconds": {"type": "number", "minimum": 0, "maximum": 1000000},
        },
    },
    "ref and maxLength": {"allOf": [{"$ref": "#/components/schemas/Url"}], "maxLength": 30},
    "oneOf and a required key": {
        "allOf": [
            {"oneOf": [{"$ref": "#/components/schemas/JobFailed"}, {"$ref": "#/components/schemas/JobProcessing"}]},
            {"type": "object", "required": ["job_id"], "properties": {"job_id": {"type": "string", "minLength": 1}}},
        ]
    },
    "overlapping oneOf branches": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "string", "pattern": "^a"}]},
    "two patterns (no merge: filtered)": {"allOf": [{"type": "string", "pattern": "^[ab]{2,8}$"}, {"pattern": "a"}]},
    "min and max properties": _object(minProperties=2, maxProperties=2),
    "closed with required through allOf": {
        "allOf": [_object(additionalProperties=False), {"required": ["tag"]}],
    },
}
FORBIDDEN = {"forbidden keys": {"tag", "status"}, "forbidden keys through allOf": {"size", "response"}}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
@DRAWS
@given(data=st.data())
def test_construct_draws_conform(name, data):
    value = data.draw(_construct(name))
    _oracle(CONSTRUCTS[name]).validate(value)
    assert not FORBIDDEN.get(name, set()) & set(value)  # declared or offered as extras, never drawn


@functools.cache
def _construct(name: str) -> st.SearchStrategy[Any]:
    hook = lambda declared: st.dictionaries(st.sampled_from(["status", "response", "tag", "extra"]), st.integers(), max_size=2)
    return from_schema(CONSTRUCTS[name], DOCUMENT, extra_keys=hook)


@pytest.mark.parametrize("kind", ["components", "constructs"])
def test_the_last_net_almost_never_catches(monkeypatch, kind):
    """The strategies themselves draw valid values: the validator on top is a net, not a sieve."""
    schemas = CONSTRUCTS if kind == "constructs" else {name: {"$ref": f"#/components/schemas/{name}"} for name in COMPONENTS}
    drawn: dict[str, int] = dict.fromkeys(schemas, 0)
    caught: dict[str, int] = dict.fromkeys(schemas, 0)
    current: list[str] = []  # the schema being drawn from
    real = schema_strategies.compile_validator

    class Counting:
        def __init__(self, compiled_from):
            self.validator = real(compiled_from)
            self.net = compiled_from == inline_refs(DOCUMENT, schemas[current[-1]])  # the top-level one

        def is_valid(self, value):
            valid = self.validator.is_valid(value)
            if self.net:
                drawn[current[-1]] += 1
                caught[current[-1]] += not valid
            return valid

    monkeypatch.setattr(schema_strategies, "compile_validator", Counting)
    for name, schema in schemas.items():
        current.append(name)
        strategy = from_schema(schema, DOCUMENT, extra_keys=_extras)
        settings(DRAWS, max_examples=20)(given(strategy)(lambda value: None))()
    assert min(drawn.values()) >= 20
    assert {name: count for name, count in caught.items() if count > 1} == {}
    assert sum(caught.values()) <= sum(drawn.values()) // 100, caught


def test_if_tag_then_size_draws_both_shapes():
    strategy = _construct("if tag then size")
    assert "size" in find(strategy, lambda value: "tag" in value)
    assert "tag" not in find(strategy, lambda value: True)


def test_each_overlapping_one_of_branch_keeps_to_what_only_it_accepts():
    strategy = _construct("overlapping oneOf branches")
    assert len(find(strategy, lambda value: value.startswith("a"))) > 3
    assert not find(strategy, lambda value: len(value) <= 3).startswith("a")


def test_bounds_are_reached_but_not_crossed():
    strategy = _construct("bounds")
    assert find(strategy, lambda value: value["count"] == 2)["count"] == 2
    assert find(strategy, lambda value: value["seconds"] > 999_999)["seconds"] <= 1_000_000


@settings(DRAWS, max_examples=50)
@given(st.one_of([_strategy(f"#/components/schemas/{name}") for name in ("Url", "PlayerUrl", "NullableUrl")]))
def test_urls_are_real_http_urls(url):
    if url is not None:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and re.fullmatch(r"[a-z0-9.-]+", parts.hostname or ""), url
        assert parts.port is None or 0 < parts.port < 65536

