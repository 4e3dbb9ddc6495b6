"""What the load sends: one fixed request, a new API key per request, or the clip journey mix.

A scenario is plain data, so that the wrk driver can render it as a Lua script and the
built-in generator can play it with ``ScenarioState``; both then send the same traffic.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field

CLIP_VIDEO = "m-5d10f7e2"
CLIP_PATH = f"/video/{CLIP_VIDEO}/clip"
CLIP_BODY = json.dumps({"prompt": "every goal and the penalty"}).encode()
JSON_HEADERS = (("content-type", "application/json"),)

# A realistic spread for the journey: derived, curated, slow (two processing polls) and failing jobs.
MIX_CREATES: tuple[tuple[str, dict[str, str]], ...] = (
    ("m-5d10f7e2", {"prompt": "every goal and the penalty"}),
    ("m-7a3f21c4", {"prompt": "the keynote highlights"}),
    ("m-2c9e84b1", {"prompt": "knife skills and the sauce", "content_type": "spoken"}),
    ("m-7a3f21c4", {"prompt": "pricing", "model_name": "ultra"}),
    ("m-e18c52d7", {"prompt": "leader election and consensus", "content_type": "multimodal"}),
    ("m-9b4e6a03", {"prompt": "the revenue numbers"}),
)

FIXED = "fixed"
FRESH_KEY = "fresh-key"
JOURNEY = "journey"

# The one place a poll address is read from an answer (the processing answer's output_url).
OUTPUT_PATH = re.compile(rb'"output_url"\s*:\s*"https?://[^/"]+(/[^"]+)"')


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Scenario:
    """A named traffic shape; ``kind`` says how ``request`` is varied from one send to the next."""

    name: str
    kind: str
    request: Request
    key_prefix: str = "sk-bench-"  # FRESH_KEY: each request's key is this plus a counter
    creates: tuple[Request, ...] = field(default_factory=tuple)  # JOURNEY: the creates it cycles through


def clip_post(name: str, api_key: str) -> Scenario:
    headers = (*JSON_HEADERS, ("x-access-token", api_key))
    return Scenario(name, FIXED, Request("POST", CLIP_PATH, headers, CLIP_BODY))


def fixed_get(name: str, path: str, api_key: str) -> Scenario:
    return Scenario(name, FIXED, Request("GET", path, (("x-access-token", api_key),)))


def fresh_key_post(name: str, key_prefix: str = "sk-bench-") -> Scenario:
    """Every request under a key never seen before: a new namespace each time (and LRU eviction)."""
    return Scenario(name, FRESH_KEY, Request("POST", CLIP_PATH, JSON_HEADERS, CLIP_BODY), key_prefix=key_prefix)


def journey(name: str, api_key: str) -> Scenario:
    """Create a clip, then poll its output_url until it is terminal, over a spread of outcomes."""
    headers = (*JSON_HEADERS, ("x-access-token", api_key))
    creates = tuple(
        Request("POST", f"/video/{video}/clip", headers, json.dumps(body).encode()) for video, body in MIX_CREATES
    )
    return Scenario(name, JOURNEY, creates[0], creates=creates)


class ScenarioState:
    """The built-in generator's side of a scenario: the next request, and what an answer changes.

    Shared by every connection of one run, as wrk's Lua state is shared by a thread's connections:
    a poll that is due goes out on whichever connection is free next.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._counter = 0
        self._polls: deque[str] = deque()
        self.created = 0
        self.terminal = 0
        self._poll_headers = tuple(h for h in scenario.request.headers if h[0] != "content-type")

    def next_request(self) -> Request:
        scenario = self.scenario
        if scenario.kind == FIXED:
            return scenario.request
        if scenario.kind == FRESH_KEY:
            self._counter += 1
            key = f"{scenario.key_prefix}{self._counter}"
            return Request("POST", scenario.request.path, (*scenario.request.headers, ("x-access-token", key)), scenario.request.body)
        if self._polls:
            return Request("GET", self._polls.popleft(), self._poll_headers)
        request = scenario.creates[self.created % len(scenario.creates)]
        self.created += 1
        return request

    def on_response(self, request: Request, status: int, body: bytes) -> None:
        if self.scenario.kind != JOURNEY or status != 200:
            return
        found = OUTPUT_PATH.search(body)
        if found is not None:
            self._polls.append(found.group(1).decode())
        elif request.method == "GET":
            self.terminal += 1
