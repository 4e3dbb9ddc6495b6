"""Every surface that asks for an outcome speaks the vocabulary declared once in outcomes.TERMS:
fixture rules, the Prefer header, the control API's contract, Control and the README."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml

from mockserver import preferences
from mockserver.control import NamespaceControl
from mockserver.errors import InvalidInput
from mockserver.outcomes import CALLBACK_TERMS, TERMS, TOP_TERMS, CallbackFaults, Outcome, Term, patch_from
from mockserver.resources import admin_spec_path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SCHEMA = yaml.safe_load((ROOT / "mockserver" / "fixture_schema.yaml").read_text())
ADMIN_SCHEMAS = yaml.safe_load(admin_spec_path().read_text())["components"]["schemas"]
RULE = FIXTURE_SCHEMA["properties"]["clip_rules"]["items"]["properties"]
RULE_OWN_KEYS = {"name", "description", "match", "shots"}  # what a rule says besides its outcome


def _expected_schema(term: Term) -> dict[str, object]:
    """The JSON Schema a term's declaration implies, in the form the two YAML files write it."""
    if term.type == "choice":
        return {"enum": list(term.choices)}
    if term.type == "flag":
        return {"type": "boolean"}
    if term.type == "text":
        return {"type": "string", "minLength": term.min_length, "maxLength": term.maximum}
    return {"type": "integer" if term.type in ("count", "status") else "number", "minimum": term.minimum, "maximum": term.maximum}


def _comparable(schema: dict[str, object]) -> dict[str, object]:
    schema = {k: v for k, v in schema.items() if k not in ("description",)}
    if schema.get("type") == "string" and "enum" in schema:
        schema.pop("type")
    return schema


@pytest.mark.parametrize("term", TOP_TERMS, ids=lambda t: t.name)
def test_fixture_rules_spell_each_top_term_as_declared(term):
    assert _comparable(RULE[term.fixture]) == _expected_schema(term)


@pytest.mark.parametrize("term", CALLBACK_TERMS, ids=lambda t: t.name)
def test_fixture_rules_spell_each_callback_term_as_declared(term):
    assert _comparable(RULE["callback"]["properties"][term.fixture]) == _expected_schema(term)


def test_fixture_rules_hold_no_outcome_word_the_vocabulary_lacks():
    assert set(RULE) == RULE_OWN_KEYS | {t.fixture for t in TOP_TERMS} | {"callback"}
    assert set(RULE["callback"]["properties"]) == {t.fixture for t in CALLBACK_TERMS}


def test_the_control_api_contract_spells_every_term_as_declared():
    patch = ADMIN_SCHEMAS["OutcomePatch"]["properties"]
    faults = ADMIN_SCHEMAS["CallbackFaults"]["properties"]
    assert set(patch) == {t.name for t in TOP_TERMS} | {"callback"}
    assert set(faults) == {t.name for t in CALLBACK_TERMS}
    for term in TOP_TERMS:
        assert _comparable(patch[term.name]) == _expected_schema(term), term.name
    for term in CALLBACK_TERMS:
        assert _comparable(faults[term.name]) == _expected_schema(term), term.name
    assert set(ADMIN_SCHEMAS["Outcome"]["properties"]) == {t.name for t in TOP_TERMS} | {"callback", "source"}


@pytest.mark.parametrize("method", ["override_next", "set_outcome"])
def test_control_takes_every_term_by_its_name(method):
    parameters = inspect.signature(getattr(NamespaceControl, method)).parameters
    keyword_only = {name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keyword_only == {t.name for t in TOP_TERMS} | {"callback"}


def test_the_prefer_grammar_knows_every_term_and_the_readme_lists_it():
    valued = {t.prefer for t in TERMS if t.prefer}
    assert set(preferences.KNOWN) == valued | {preferences.FLAGS_PREFERENCE} | set(preferences.FAULT_NAMES)
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("`Prefer` grammar") :]
    for name in preferences.KNOWN:
        assert re.search(rf"^\| `{re.escape(name)}` \|", table, re.MULTILINE), f"README's Prefer table lacks {name}"
    for term in TERMS:
        if term.prefer_flag:
            assert f"`{term.prefer_flag}`" in table


def test_every_term_names_a_real_attribute():
    for term in TOP_TERMS:
        assert term.attribute in Outcome.__dataclass_fields__
    for term in CALLBACK_TERMS:
        assert term.attribute in CallbackFaults.__dataclass_fields__


@pytest.mark.parametrize("term", [t for t in TERMS if t.maximum is not None], ids=lambda t: t.name)
def test_every_surface_refuses_the_same_out_of_range_value(term):
    too_big: object = "x" * (int(term.maximum) + 1) if term.type == "text" else term.maximum + 1  # type: ignore[operator]
    body = {term.group: {term.name: too_big}} if term.group else {term.name: too_big}
    with pytest.raises(InvalidInput, match=term.name):
        patch_from(body, "body")
    if term.prefer:
        value = f'"{too_big}"' if term.type == "text" else str(too_big)
        with pytest.raises(InvalidInput, match=re.escape(f"header.prefer.{term.prefer}")):
            preferences.parse_prefer(f"{term.prefer}={value}")


def test_a_prefer_header_and_a_control_body_make_the_same_patch():
    header = 'outcome=failed; message="codec"; polls=2; seconds=1.5; callback="duplicate out-of-order"; callback-delay=3'
    body = {
        "outcome": "failed",
        "message": "codec",
        "polls": 2,
        "seconds": 1.5,
        "callback": {"duplicate": True, "out_of_order": True, "delay_seconds": 3},
    }
    assert preferences.parse_prefer(header) == patch_from(body, "body")
    assert patch_from(body, "body").to_dict() == {**body, "callback": {"duplicate": True, "delay_seconds": 3.0, "out_of_order": True}}


def test_a_hostile_prefer_header_is_refused_without_backtracking():
    # Spaces on both sides of a value, then junk: the old grammar backtracked through every
    # split of the spaces (seconds at a few thousand characters).
    hostile = "a" + " " * 2000 + "=b" + " " * 2000 + "x"
    with pytest.raises(InvalidInput, match="malformed"):
        preferences.parse_prefer(hostile)
    with pytest.raises(InvalidInput, match=f"at most {preferences.MAX_LENGTH} characters"):
        preferences.parse_prefer("outcome=done;" + " " * preferences.MAX_LENGTH)
    assert preferences.parse_prefer("outcome=done" + " " * 1000) == preferences.parse_prefer("outcome=done")
