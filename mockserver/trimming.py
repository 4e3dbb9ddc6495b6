"""Trim a failing answer down to what makes it fail.

Hypothesis shrinks the choices an answer was drawn from, which still leaves keys and items that have
nothing to do with a failure. This pass deletes them one at a time, outermost first, and keeps a
deletion only while the answer still fails and is still allowed (by the contract, say), until no
single deletion is kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

Path = tuple[Any, ...]  # keys and indexes from the top of a value down to one part of it


def trimmed(value: Any, fails: Callable[[Any], bool], allowed: Callable[[Any], bool] = lambda _: True, max_tries: int = 2_000) -> Any:
    """The smallest value reached from ``value`` by deleting object keys and list items while
    ``fails`` holds and ``allowed`` accepts. ``fails`` is asked at most ``max_tries`` times."""
    current = copy.deepcopy(value)
    tries = 0
    kept_one = True
    while kept_one and tries < max_tries:
        kept_one = False
        for path in list(_parts(current)):
            candidate = _without(current, path)
            tries += 1
            if allowed(candidate) and fails(candidate):
                current, kept_one = candidate, True
                break
            if tries >= max_tries:
                break
    return current


def _parts(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every key and item, outermost first: deleting a large part in one try saves many."""
    level = [(value, path)]
    while level:
        deeper = []
        for node, where in level:
            children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, child in children:
                yield (*where, key)
                deeper.append((child, (*where, key)))
        level = deeper


def _without(value: Any, path: Path) -> Any:
    copied = copy.deepcopy(value)
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return copied
