"""Assertions over a key's journal, in the style of pytest-httpserver: say which call you expect,
and a mismatch explains itself with every call the key made and a diff against the closest one."""

from __future__ import annotations

import difflib
import json
from typing import Any

ANY: Any = object()  # a body or query that is not compared


def _same_path(sent: str, expected: str) -> bool:
    return sent.rstrip("/") == expected.rstrip("/")


def matches(entry: dict[str, Any], method: str, path: str, body: Any = ANY, query: Any = ANY) -> bool:
    return (
        entry["method"] == method.upper()
        and _same_path(entry["path"], path)
        and (body is ANY or entry["body"] == body)
        and (query is ANY or entry["query"] == query)
    )


def assert_called(entries: list[dict[str, Any]], method: str, path: str, body: Any = ANY, query: Any = ANY, times: int | None = None) -> list[dict[str, Any]]:
    """The journal entries that match; AssertionError when none do (or not ``times`` of them)."""
    found = [entry for entry in entries if matches(entry, method, path, body, query)]
    if found and (times is None or len(found) == times):
        return found
    wanted = f"{method.upper()} {path}" + ("" if body is ANY else " with that body") + ("" if query is ANY else " with that query")
    if found:
        headline = f"expected {wanted} {_times(times)}, it was made {_times(len(found))}"
    else:
        headline = f"expected {wanted}, it was not made"
    return _fail(headline, entries, method, path, body, query)


def assert_not_called(entries: list[dict[str, Any]], method: str, path: str) -> None:
    found = [entry for entry in entries if matches(entry, method, path)]
    if found:
        _fail(f"expected no {method.upper()} {path}, it was made {_times(len(found))}", entries, method, path, ANY, ANY)


def _times(count: int | None) -> str:
    return "once" if count == 1 else f"{count} times"


def _fail(headline: str, entries: list[dict[str, Any]], method: str, path: str, body: Any, query: Any) -> Any:
    lines = [headline, f"calls made with this test's key ({len(entries)}):"]
    lines += [f"  {n}. {_describe(entry)}" for n, entry in enumerate(entries, 1)] or ["  (none)"]
    same_route = [entry for entry in entries if matches(entry, method, path)]
    if same_route and (body is not ANY or query is not ANY):
        closest = same_route[-1]
        for name, expected in (("body", body), ("query", query)):
            if expected is not ANY and closest[name] != expected:
                lines.append(f"{name} of the last {method.upper()} {path} (- expected, + sent):")
                lines += ["  " + line for line in _diff(expected, closest[name])]
    raise AssertionError("\n".join(lines))


def _describe(entry: dict[str, Any]) -> str:
    text = f"{entry['method']} {entry['path']} -> {entry['status']}"
    if entry.get("refused"):
        text += f" (refused: {entry['refused']})"
    if entry["body"] is not None:
        text += f" body={json.dumps(entry['body'], sort_keys=True)[:200]}"
    return text


def _diff(expected: Any, sent: Any) -> list[str]:
    def lines(value: Any) -> list[str]:
        return json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()

    return [line for line in difflib.unified_diff(lines(expected), lines(sent), lineterm="", n=2) if not line.startswith(("---", "+++"))]
