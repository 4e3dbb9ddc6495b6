"""Hypothesis strategies for the schema objects of this project's contract (OpenAPI 3.0).

Tests standing in for a deployment or a client need values that follow openapi.yaml exactly. This
builder covers the keywords the contract uses and refuses any other at build time: ignoring one
would draw values the contract forbids. Each draw passes the emulator's own validator as a last net,
which the strategies are shaped never to need: ``allOf`` parts are merged, a ``oneOf`` branch keeps
only values no other branch accepts, keys a ``not`` forbids are never drawn. Shrinking leads to small
values: optional keys absent, lists empty, text short.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .spec import _resolve_pointer, compile_validator, inline_refs

# Asked, for each object schema open to more keys, for extra key/value pairs (None: no extras). It
# gets the names the schema declares; extras repeating one of them are dropped.
ExtraKeys = Callable[[tuple[str, ...]], st.SearchStrategy[dict[str, Any]] | None]

_ANNOTATIONS = frozenset({"description", "example", "default", "title"})
_HINTS = {  # a schema without `type` is read as the kind its other keywords constrain
    "object": ("properties", "required", "additionalProperties", "minProperties", "maxProperties"),
    "array": ("items", "minItems", "maxItems"),
    "string": ("minLength", "maxLength", "pattern", "format"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
}
_KEYWORDS = _ANNOTATIONS.union(*_HINTS.values(), {"$ref", "type", "nullable", "enum", "oneOf", "anyOf", "allOf", "not"})
_SAFE_INT = 2**53  # clients read JSON numbers as doubles: larger integers would not come back intact
_TEXT = st.characters(categories=("L", "N", "P", "S", "Zs"))  # printable; ASCII first, then the rest
_URL_CHARS = string.ascii_letters + string.digits + "-._~/:?=&"
_ANY_JSON = st.recursive(  # what an untyped schema allows
    st.none() | st.booleans() | st.integers(-_SAFE_INT, _SAFE_INT) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_TEXT, max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(_TEXT, max_size=10), inner, max_size=3),
    max_leaves=8,
)
_SEGMENT = st.text(string.ascii_letters + string.digits + "-._~", min_size=1, max_size=12)
_HTTP_URL = st.builds(  # scheme://host[:port][/path][?query], each part drawn on its own
    "{}://{}{}{}{}".format,
    st.sampled_from(["http", "https"]),
    st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12), min_size=1, max_size=3).map(".".join),
    st.just("") | st.integers(1, 65535).map(":{}".format),
    st.lists(_SEGMENT, max_size=4).map(lambda segments: "".join("/" + s for s in segments)),
    st.lists(st.tuples(_SEGMENT, _SEGMENT).map("=".join), max_size=3).map(lambda q: "?" + "&".join(q) if q else ""),
)


def from_schema(schema: dict, document: dict, *, extra_keys: ExtraKeys | None = None) -> st.SearchStrategy[Any]:
    """Values valid against ``schema``, whose local ``$ref``s point into ``document``. Raises ValueError,
    naming the keyword and where it sits, for what the builder does not support."""
    strategy = _Builder(document, extra_keys).build(schema, "#")  # first: its errors are the clearest
    return strategy.filter(compile_validator(inline_refs(document, schema)).is_valid)


@dataclass
class _Builder:
    document: dict
    extra_keys: ExtraKeys | None
    by_ref: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)  # each referenced schema is built once

    def build(self, schema: Any, path: str) -> st.SearchStrategy[Any]:
        if isinstance(schema, dict) and "$ref" in schema:
            return self._ref(schema["$ref"])
        _check(schema, path)
        if "allOf" in schema:
            return self._all_of([*schema["allOf"], _without(schema, "allOf")], f"{path}/allOf")
        for word in ("oneOf", "anyOf"):
            if word in schema:
                rest = _without(schema, word)
                if set(rest) - _ANNOTATIONS:  # siblings constrain every branch: fold them into each
                    return self.build({word: [{"allOf": [branch, rest]} for branch in schema[word]]}, path)
                return self._alternatives(word, schema[word], path)
        return self._typed(schema, path)

    def _ref(self, ref: str) -> st.SearchStrategy[Any]:
        if ref not in self.by_ref:
            self.by_ref[ref] = st.deferred(lambda: self.by_ref[ref])  # what a schema reaching itself meets
            self.by_ref[ref] = self.build(*self._deref({"$ref": ref}, ref))
        return self.by_ref[ref]

    def _deref(self, schema: Any, path: str) -> tuple[Any, str]:
        while isinstance(schema, dict) and "$ref" in schema:
            path = schema["$ref"]
            schema = _resolve_pointer(self.document, path)
        return schema, path

    def _accepts(self, schema: Any) -> Callable[[Any], bool]:
        return compile_validator(inline_refs(self.document, schema)).is_valid

    def _alternatives(self, word: str, branches: list[Any], path: str) -> st.SearchStrategy[Any]:
        strategies = [self.build(branch, f"{path}/{word}/{i}") for i, branch in enumerate(branches)]
        if word == "oneOf":  # a value another branch accepts too would break oneOf: keep it to its own
            checks = [self._accepts(branch) for branch in branches]
            rivals = [checks[:i] + checks[i + 1 :] for i in range(len(checks))]
            strategies = [s.filter(lambda v, r=r: not any(check(v) for check in r)) for s, r in zip(strategies, rivals)]
        return st.one_of(strategies)

    def _all_of(self, parts: list[Any], path: str) -> st.SearchStrategy[Any]:
        flat = self._flatten(parts, path)
        branching = [part for part in flat if "oneOf" in part or "anyOf" in part]
        if branching:  # (A or B) and C is (A and C) or (B and C): one alternative at a time, until all merge
            word = "oneOf" if "oneOf" in branching[0] else "anyOf"
            others = [p for p in flat if p is not branching[0]] + [_without(branching[0], word)]
            return self.build({word: [{"allOf": [branch, *others]} for branch in branching[0][word]]}, path)
        if (merged := _merge(flat)) is not None:
            return self.build(merged, path)
        checks = [self._accepts(part) for part in flat[1:]]  # no simple merge: the first, kept to the rest
        return self.build(flat[0], f"{path}/0").filter(lambda value: all(check(value) for check in checks))

    def _flatten(self, parts: list[Any], path: str) -> list[dict]:
        flat: list[dict] = []
        for i, part in enumerate(parts):
            part, where = self._deref(part, f"{path}/{i}")
            _check(part, where)
            nested = [*part["allOf"], _without(part, "allOf")] if "allOf" in part else None
            flat += self._flatten(nested, f"{where}/allOf") if nested else [part]
        return flat

    def _typed(self, schema: dict, path: str) -> st.SearchStrategy[Any]:
        kind = schema.get("type") or next((k for k, words in _HINTS.items() if any(w in schema for w in words)), None)
        if "not" in schema:
            _check(schema["not"], f"{path}/not", deep=True)  # only its validator is used, but it must be understood
        if "enum" in schema:  # the other keywords (nullable, not…) decide which listed values remain
            values = list(filter(self._accepts(schema), schema["enum"]))
            if not values:
                raise ValueError(f"no value of enum is valid at {path}")
            return st.sampled_from(values)
        forbidden = _forbidden_keys(schema["not"]) if "not" in schema and kind == "object" else None
        if kind == "object":
            strategy = self._object(schema, path, forbidden or ())
        elif kind == "array":
            items = self.build(schema["items"], f"{path}/items") if "items" in schema else _ANY_JSON
            strategy = st.lists(items, min_size=schema.get("minItems", 0), max_size=schema.get("maxItems"))
        elif kind == "string":
            strategy = _string(schema, path)
        elif kind in ("number", "integer"):
            strategy = _number(schema, kind, path)
        elif kind in ("boolean", None):
            strategy = st.booleans() if kind else _ANY_JSON
        else:
            raise ValueError(f"unsupported type {kind!r} at {path}")
        if "not" in schema and not forbidden:  # a `not` other than forbidden keys: left to a filter
            rejected = self._accepts(schema["not"])
            strategy = strategy.filter(lambda value: not rejected(value))
        return st.none() | strategy if schema.get("nullable") else strategy

    def _object(self, schema: dict, path: str, forbidden: tuple[str, ...]) -> st.SearchStrategy[dict]:
        properties: dict = schema.get("properties", {})
        required = set(schema.get("required", []))
        declared = tuple(dict.fromkeys([*properties, *schema.get("required", [])]))
        names = [name for name in declared if name not in forbidden]
        additional = schema.get("additionalProperties", True)
        least, most = schema.get("minProperties", 0), schema.get("maxProperties", math.inf)
        if required & set(forbidden) or len(required) > most or additional is False and required - set(properties):
            raise ValueError(f"the required keys cannot be met at {path}")
        free = self.build(additional, f"{path}/additionalProperties") if isinstance(additional, dict) else None
        values = {name: self.build(properties[name], f"{path}/properties/{name}") if name in properties
                  else free if free is not None else _ANY_JSON for name in names}  # fmt: skip
        extras = self.extra_keys(declared) if additional is not False and self.extra_keys else None
        if least > len(names) and extras is None:
            raise ValueError(f"minProperties asks for more keys than are declared and no extras come, at {path}")

        @st.composite
        def draw_object(draw: st.DrawFn) -> dict:
            present = [name for name in names if name in required]
            for name in names:  # each optional key is drawn present or absent; absent shrinks best
                if name not in required and len(present) < most and (len(present) < least or draw(st.booleans())):
                    present.append(name)
            result = {name: draw(values[name]) for name in sorted(present, key=names.index)}  # schema order
            for key, value in (draw(extras) if extras is not None else {}).items():
                if len(result) < most and key not in result and key not in declared and key not in forbidden:
                    result[key] = value if free is None else draw(free)  # after the declared keys, never one of them
            return result

        return draw_object()


def _check(schema: Any, path: str, deep: bool = False) -> None:
    """Refuses what the builder does not understand; ``deep`` walks the subschemas too (not into ``$ref``s)."""
    if not isinstance(schema, dict):
        raise ValueError(f"expected a schema object at {path}, got {schema!r}")
    for word, value in schema.items():
        if word not in _KEYWORDS and not word.startswith("x-"):
            raise ValueError(f"unsupported keyword {word!r} at {path}")
        if word in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            raise ValueError(f"unsupported keyword {word!r} with a number (OpenAPI 3.0 has a boolean) at {path}")
    if not deep or "$ref" in schema:
        return
    subs = [(f"properties/{name}", sub) for name, sub in schema.get("properties", {}).items()]
    subs += [(f"{word}/{i}", sub) for word in ("allOf", "anyOf", "oneOf") for i, sub in enumerate(schema.get(word, []))]
    subs += [(w, schema[w]) for w in ("items", "not", "additionalProperties") if isinstance(schema.get(w), dict)]
    for where, sub in subs:
        _check(sub, f"{path}/{where}", deep=True)


def _without(schema: dict, word: str) -> dict:
    return {key: value for key, value in schema.items() if key != word}


def _forbidden_keys(schema: Any) -> tuple[str, ...] | None:
    """The keys ``not: {required: [k]}`` or ``not: {anyOf: [{required: [k]}, …]}`` keep out of an object."""
    if isinstance(schema, dict) and set(schema) == {"anyOf"}:
        found = [_forbidden_keys(part) for part in schema["anyOf"]]
        return None if None in found else tuple(key for keys in found for key in keys or ())
    if isinstance(schema, dict) and set(schema) - _ANNOTATIONS == {"required"} and len(schema["required"]) == 1:
        return tuple(schema["required"])
    return None


def _merge(parts: list[dict]) -> dict | None:
    """One schema asking what all ``parts`` ask, or None when they do not combine simply."""
    if any(word in part for part in parts for word in ("oneOf", "anyOf", "allOf")) or any(
        isinstance(part.get("additionalProperties"), dict) for part in parts  # its reach over other parts' keys
    ):
        return None
    merged: dict[str, Any] = {}
    if len(types := {part["type"] for part in parts if "type" in part}) > 1:
        return None
    if types:  # null stays allowed only if every typed part allows it
        merged.update(type=types.pop(), nullable=all(part.get("nullable", False) for part in parts if "type" in part))
    for word in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        if found := [part[word] for part in parts if word in part]:
            merged[word] = (max if word.startswith("min") else min)(found)
    for word, flag, pick in (("minimum", "exclusiveMinimum", max), ("maximum", "exclusiveMaximum", min)):
        if bounds := [(part[word], bool(part.get(flag))) for part in parts if word in part]:
            merged[word] = pick(bound for bound, _ in bounds)
            merged[flag] = any(exclusive for bound, exclusive in bounds if bound == merged[word])
    for word in ("pattern", "format"):
        if len(found := {part[word] for part in parts if word in part}) > 1:
            return None  # two patterns do not join into one regex simply
        merged.update({word: found.pop()} if found else {})
    if enums := [part["enum"] for part in parts if "enum" in part]:
        merged["enum"] = [value for value in enums[0] if all(value in other for other in enums[1:])]
    properties: dict[str, Any] = {}
    for name, sub in ((name, sub) for part in parts for name, sub in part.get("properties", {}).items()):
        properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
    required = list(dict.fromkeys(name for part in parts for name in part.get("required", [])))
    if any(part.get("additionalProperties") is False for part in parts):  # a closed part allows only its own keys
        closed = [set(part.get("properties", {})) for part in parts if part.get("additionalProperties") is False]
        if not set(required) <= set.intersection(*closed):
            return None
        properties = {name: sub for name, sub in properties.items() if name in set.intersection(*closed)}
        merged["additionalProperties"] = False
    merged.update({word: found for word, found in (("properties", properties), ("required", required)) if found})
    for word, joined in (("items", "allOf"), ("not", "anyOf")):
        if found := [part[word] for part in parts if word in part]:
            merged[word] = found[0] if len(found) == 1 else {joined: found}
    return merged


def _string(schema: dict, path: str) -> st.SearchStrategy[str]:
    least, most = schema.get("minLength", 0), schema.get("maxLength")
    pattern, kind = schema.get("pattern"), schema.get("format")
    anchored = pattern is not None and pattern.endswith("$") and not pattern.endswith("\\$")
    if kind not in (None, "uri"):
        raise ValueError(f"unsupported keyword 'format' with {kind!r} at {path}")
    if kind and anchored:  # the pattern describes the whole URL, so it leads
        strategy = st.from_regex(pattern, fullmatch=True, alphabet=_URL_CHARS).filter(_is_http_url)
    elif kind:  # at most a rule on how the URL starts, which the URLs built from parts meet
        strategy = _HTTP_URL if pattern is None else _HTTP_URL.filter(re.compile(pattern).search)
    elif pattern is None:
        return st.text(_TEXT, min_size=least, max_size=most)
    elif anchored:
        strategy = st.from_regex(pattern, fullmatch=True, alphabet=_TEXT)
    else:
        return _prefixed(pattern, least, most)
    return strategy.filter(lambda text: least <= len(text) and (most is None or len(text) <= most))


@st.composite
def _prefixed(draw: st.DrawFn, pattern: str, least: int, most: int | None) -> str:
    """A pattern open at its end: a text it matches whole, then free text to meet the length bounds."""
    head = draw(st.from_regex(pattern, fullmatch=True, alphabet=_TEXT).filter(lambda h: most is None or len(h) <= most))
    tail = draw(st.text(_TEXT, min_size=max(0, least - len(head)), max_size=None if most is None else most - len(head)))
    return head + tail


# What a URL its pattern led must still be: http(s), a host, maybe a port, then a path or a query.
_is_http_url = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?([/?].*)?", re.IGNORECASE | re.DOTALL).fullmatch


def _number(schema: dict, kind: str, path: str) -> st.SearchStrategy[int | float]:
    low, high = schema.get("minimum"), schema.get("maximum")
    above, below = bool(schema.get("exclusiveMinimum")), bool(schema.get("exclusiveMaximum"))
    first = -_SAFE_INT if low is None else max(-_SAFE_INT, math.floor(low) + 1 if above else math.ceil(low))
    last = _SAFE_INT if high is None else min(_SAFE_INT, math.ceil(high) - 1 if below else math.floor(high))
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False,
                       exclude_min=above and low is not None, exclude_max=below and high is not None)  # fmt: skip
    if first > last and kind == "integer":
        raise ValueError(f"no integer lies within the bounds at {path}")
    integers = st.integers(first, last) if first <= last else st.nothing()
    return integers if kind == "integer" else integers | floats  # integers first: they shrink to a plain 0
