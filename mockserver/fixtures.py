"""Load a fixtures folder into typed, immutable data, or refuse it with every reason.

A folder holds YAML files (``*.yaml``/``*.yml``), read in file-name order. Each file must
match ``fixture_schema.yaml``; their lists are then merged and checked as a whole
(unique ids, known collections, segments inside their video).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import re2
import yaml

from .errors import FixtureError, InvalidInput
from .fault_rules import SeededRule, rule_from_fixture
from .model import ClipRule, Collection, Fixtures, JobRule, PromptPattern, RuleMatch, Segment, Shot, Video
from .outcomes import outcome_from_fixture

_SCHEMA_PATH = Path(__file__).with_name("fixture_schema.yaml")


@cache
def _file_validator() -> jsonschema.Draft7Validator:
    schema = yaml.load(_SCHEMA_PATH.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # the C loader: start-up time
    return jsonschema.Draft7Validator(schema)


def _key_path(parts: Any) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return path.lstrip(".") or "(top level)"


# libyaml when PyYAML has it, as spec.py does: ten times faster on the bundled fixtures.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Bounds on what a fixture file may be, checked before its document is built.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
_EXCERPT = 160  # a message quotes at most this much of a value
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported as a reason, not printed by RE2


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + f"… ({len(text)} characters)"


def _structure_fault(text: str) -> str | None:
    """What makes a text unsafe to build into a document, found from its parse events alone:
    aliases (a few lines can stand for a document of billions of nodes) or deep nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        if isinstance(event, yaml.AliasEvent):
            return "uses a YAML alias (*name): write each value out, aliases can make a small file a huge document"
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return f"nests deeper than {MAX_DEPTH} levels"
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def _non_finite(value: Any, parts: tuple[Any, ...] = ()) -> list[str]:
    """Key paths of the .inf and .nan numbers in a document: JSON has none, so no answer could carry them."""
    if isinstance(value, float) and not math.isfinite(value):
        return [_key_path(parts)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _non_finite(item, (*parts, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _non_finite(item, (*parts, index))]
    return []


def _read_file(path: Path, reasons: list[str]) -> dict[str, Any] | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            reasons.append(f"{path.name}: {size} bytes, more than the {MAX_FILE_BYTES} a fixture file may hold")
            return None
        text = path.read_text(encoding="utf-8")
        fault = _structure_fault(text)
        if fault is not None:
            reasons.append(f"{path.name}: {fault}")
            return None
        document = yaml.load(text, Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reasons.append(f"{path.name}: cannot read as YAML: {_excerpt(str(exc))}")
        return None
    if document is None:
        return {}
    infinite = _non_finite(document)
    for where in infinite:
        reasons.append(f"{path.name}: {where}: must be a finite number (.inf and .nan have no JSON form)")
    errors = sorted(_file_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        reasons.append(f"{path.name}: {_key_path(error.absolute_path)}: {_excerpt(error.message)}")
    return None if errors or infinite else document


def _segments(items: list[dict[str, Any]], text_key: str) -> tuple[Segment, ...]:
    return tuple(Segment(float(i["start"]), float(i["end"]), i[text_key]) for i in items)


def _check_spans(where: str, spans: tuple[Segment, ...] | tuple[Shot, ...], length: float, reasons: list[str]) -> None:
    for index, span in enumerate(spans):
        if not 0 <= span.start < span.end <= length:
            reasons.append(f"{where}[{index}]: needs 0 <= start < end <= {length} (the video's length), got {span.start}..{span.end}")


def _shots(raw: dict[str, Any]) -> tuple[Shot, ...] | None:
    shots = raw.get("shots", "derive")
    if shots == "derive":
        return None
    return tuple(Shot(float(s["start"]), float(s["end"]), s.get("text", ""), float(s.get("score", 1.0))) for s in shots)


def compile_prompt_regex(source: str) -> PromptPattern:
    """A rule's regex, compiled by RE2: matching takes time linear in the prompt, so no pattern
    can wedge the server. Backreferences and lookaround, which need backtracking, are refused."""
    try:
        return re2.compile(source, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"not a regular expression RE2 accepts (it matches in linear time: no backreferences or lookaround): {_excerpt(reason)}") from None


def _rule(where: str, raw: dict[str, Any], reasons: list[str]) -> ClipRule | None:
    match = raw.get("match", {})
    pattern = None
    if "prompt_regex" in match:
        try:
            pattern = compile_prompt_regex(match["prompt_regex"])
        except ValueError as exc:
            reasons.append(f"{where}.match.prompt_regex: {exc}")
            return None
    return ClipRule(
        name=raw["name"],
        description=raw.get("description", ""),
        match=RuleMatch(
            video_id=match.get("video_id"),
            prompt_contains=match["prompt_contains"].lower() if "prompt_contains" in match else None,
            prompt_regex=pattern,
            content_type=match.get("content_type"),
            model_name=match.get("model_name"),
        ),
        outcome=outcome_from_fixture(raw, _shots(raw)),
    )


def _uniquely_named(
    path: Path, document: dict[str, Any], section: str, names: set[str], reasons: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rules of a section whose name no earlier rule took (clip and job rules share one namespace)."""
    for i, raw in enumerate(document.get(section, [])):
        where = f"{path.name}: {section}[{i}]"
        if raw["name"] in names:
            reasons.append(f"{where}.name: duplicate rule name {raw['name']!r}")
            continue
        names.add(raw["name"])
        yield where, raw


def _job_rule(raw: dict[str, Any]) -> JobRule:
    match = raw.get("match", {})
    return JobRule(
        name=raw["name"],
        kind=raw["kind"],
        outcome=outcome_from_fixture(raw, None),
        video_id=match.get("video_id"),
        url_contains=match["url_contains"].lower() if "url_contains" in match else None,
        description=raw.get("description", ""),
    )


def load_fixtures(folder: str | Path) -> Fixtures:
    """Read, validate and merge every fixture file of ``folder``; raise FixtureError on any fault."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FixtureError([f"{folder}: not a folder"])
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise FixtureError([f"{folder}: holds no *.yaml fixture files"])

    reasons: list[str] = []
    inside = folder.resolve()
    for path in [p for p in files if p.is_symlink() and inside not in p.resolve().parents]:
        reasons.append(f"{path.name}: links to a file outside the folder; not read")
        files.remove(path)
    collections: dict[str, Collection] = {}
    defaults: list[str] = []
    videos: dict[str, Video] = {}
    rules: list[tuple[str, ClipRule]] = []
    rule_names: set[str] = set()
    api_keys: set[str] = set()
    fault_rules: list[SeededRule] = []
    job_rules: list[tuple[str, JobRule]] = []
    source_urls: dict[str, str] = {}

    for path in files:
        document = _read_file(path, reasons)
        if document is None:
            continue
        api_keys.update(document.get("api_keys", []))
        for i, raw in enumerate(document.get("collections", [])):
            where = f"{path.name}: collections[{i}]"
            if raw["id"] in collections:
                reasons.append(f"{where}.id: duplicate collection id {raw['id']!r}")
                continue
            collections[raw["id"]] = Collection(raw["id"], raw["name"], raw.get("description", ""), raw.get("is_public", False))
            if raw.get("default"):
                defaults.append(raw["id"])
        for i, raw in enumerate(document.get("videos", [])):
            where = f"{path.name}: videos[{i}]"
            if raw["id"] in videos:
                reasons.append(f"{where}.id: duplicate video id {raw['id']!r}")
                continue
            video = Video(
                id=raw["id"],
                collection_id=raw["collection_id"],
                name=raw["name"],
                length=float(raw["length"]),
                description=raw.get("description", ""),
                size=raw.get("size"),
                transcript=_segments(raw["transcript"], "text"),
                scenes=_segments(raw.get("scenes", []), "description"),
            )
            for url in raw.get("source_urls", []):
                if source_urls.setdefault(url, video.id) != video.id:
                    reasons.append(f"{where}.source_urls: {_excerpt(url)} already names video {source_urls[url]!r}")
            _check_spans(f"{where}.transcript", video.transcript, video.length, reasons)
            _check_spans(f"{where}.scenes", video.scenes, video.length, reasons)
            videos[video.id] = video
        fault_rules.extend(_fault_rules(path, document, reasons))
        for where, raw in _uniquely_named(path, document, "job_rules", rule_names, reasons):
            job_rules.append((where, _job_rule(raw)))
        for where, raw in _uniquely_named(path, document, "clip_rules", rule_names, reasons):
            rule = _rule(where, raw, reasons)
            if rule is not None:
                rules.append((where, rule))

    for where, rule in rules:
        _check_rule_video(where, rule, videos, reasons)
    for where, job_rule in job_rules:
        if job_rule.video_id is not None and job_rule.video_id not in videos:
            reasons.append(f"{where}.match.video_id: {job_rule.video_id!r} names no video")
    for video in videos.values():
        if video.collection_id not in collections:
            reasons.append(f"video {video.id}: collection_id {video.collection_id!r} names no collection")
    if len(defaults) != 1:
        reasons.append(f"exactly one collection must say `default: true`; found {len(defaults)} ({', '.join(defaults) or 'none'})")
    if reasons:
        raise FixtureError(reasons)
    return Fixtures(
        collections=collections,
        default_collection_id=defaults[0],
        videos=videos,
        clip_rules=tuple(rule for _, rule in rules),
        api_keys=frozenset(api_keys),
        fault_rules=tuple(fault_rules),
        job_rules=tuple(rule for _, rule in job_rules),
        source_urls=source_urls,
    )


def _fault_rules(path: Path, document: dict[str, Any], reasons: list[str]) -> list[SeededRule]:
    found = []
    for i, raw in enumerate(document.get("fault_rules", [])):
        try:
            found.append(rule_from_fixture(raw, f"fault_rules[{i}]"))
        except InvalidInput as exc:
            reasons.append(f"{path.name}: {exc}")
    return found


def load_fault_file(path: str | Path) -> tuple[SeededRule, ...]:
    """The fault rules of one file (``mockserver serve --faults FILE``), written as in fixtures."""
    path = Path(path)
    reasons: list[str] = []
    document = _read_file(path, reasons) if path.is_file() else None
    if document is None and not reasons:
        reasons.append(f"{path}: not a file")
    elif document is not None and set(document) - {"fault_rules"}:
        reasons.append(f"{path.name}: a faults file holds fault_rules only; found {', '.join(sorted(set(document) - {'fault_rules'}))}")
    rules = _fault_rules(path, document or {}, reasons)
    if reasons:
        raise FixtureError(reasons)
    return tuple(rules)


def _check_rule_video(where: str, rule: ClipRule, videos: dict[str, Video], reasons: list[str]) -> None:
    """A rule naming a video must name a known one, and its explicit shots must fit that video."""
    video_id = rule.match.video_id
    if video_id is None:
        if rule.outcome.shots:
            reasons.append(f"{where}.shots: explicit shots need match.video_id, to be checked against a video's length")
        return
    video = videos.get(video_id)
    if video is None:
        reasons.append(f"{where}.match.video_id: {video_id!r} names no video")
    elif rule.outcome.shots:
        _check_spans(f"{where}.shots", rule.outcome.shots, video.length, reasons)  # type: ignore[arg-type]
