"""Drive wrk: render a scenario as a Lua script, run it on one thread, read its figures back as JSON.

One wrk thread is enough to saturate a one-worker Python server and leaves the second core to
it. The script's ``done`` prints the summary and latency percentiles as one JSON line, which is
sturdier than scraping wrk's human-readable table.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path

from .loadrun import WRK, LoadResult, LoadSettings, cpu_seconds, cpu_us_per_request
from .scenarios import FIXED, FRESH_KEY, JOURNEY, Scenario

RESULT_MARK = "BENCH_RESULT "

# Thread globals are collected in done() through the thread handles kept in setup(); each thread
# also gets an id, so that keys made up per request differ across threads.
_DONE = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function done(summary, latency, requests)
  local created, terminal = 0, 0
  for _, t in ipairs(threads) do
    created = created + (t:get("created") or 0)
    terminal = terminal + (t:get("terminal") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"created":%d,"terminal":%d}\n',
    MARK, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, created, terminal))
end
"""

# Polls that are due go out on whichever connection asks next, as in the built-in generator.
_JOURNEY = r"""
local creates, polls, next_create = {}, {}, 1
function init(args)
  created, terminal = 0, 0
  for i, c in ipairs(CREATES) do
    creates[i] = wrk.format("POST", c[1], HEADERS, c[2])
  end
end
function request()
  local path = table.remove(polls, 1)
  if path then
    return wrk.format("GET", path, POLL_HEADERS)
  end
  local r = creates[next_create]
  next_create = next_create % #creates + 1
  created = created + 1
  return r
end
function response(status, headers, body)
  if status ~= 200 then return end
  local path = body:match('"output_url"%s*:%s*"https?://[^/"]+(/[^"]+)"')
  if path then
    table.insert(polls, path)  -- the create's answer, or a poll still processing
  else
    terminal = terminal + 1
  end
end
"""

_FRESH_KEY = r"""
local counter = 0
function init(args) created, terminal = 0, 0 end
function request()
  counter = counter + 1
  HEADERS["x-access-token"] = KEY_PREFIX .. id .. "-" .. counter
  return wrk.format("POST", PATH, HEADERS, BODY)
end
"""


def lua_string(text: str | bytes) -> str:
    """A Lua string literal for any text: every byte outside a safe set as a 3-digit escape."""
    data = text.encode() if isinstance(text, str) else text
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_/.:,"
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in data) + '"'


def _lua_headers(headers: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers) + "}"


def render_script(scenario: Scenario) -> str:
    """The Lua script that makes wrk send ``scenario``."""
    request = scenario.request
    lines = [f"MARK = {lua_string(RESULT_MARK)}"]
    if scenario.kind == FIXED:
        lines += [
            f"wrk.method = {lua_string(request.method)}",
            f"wrk.path = {lua_string(request.path)}",
            *(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in request.headers),
        ]
        if request.body:
            lines.append(f"wrk.body = {lua_string(request.body)}")
        lines.append("function init(args) created, terminal = 0, 0 end")
    elif scenario.kind == FRESH_KEY:
        lines += [
            f"PATH = {lua_string(request.path)}",
            f"BODY = {lua_string(request.body)}",
            f"HEADERS = {_lua_headers(request.headers)}",
            f"KEY_PREFIX = {lua_string(scenario.key_prefix)}",
            _FRESH_KEY,
        ]
    elif scenario.kind == JOURNEY:
        creates = ", ".join(f"{{{lua_string(c.path)}, {lua_string(c.body)}}}" for c in scenario.creates)
        poll_headers = tuple(h for h in request.headers if h[0] != "content-type")
        lines += [
            f"CREATES = {{{creates}}}",
            f"HEADERS = {_lua_headers(request.headers)}",
            f"POLL_HEADERS = {_lua_headers(poll_headers)}",
            _JOURNEY,
        ]
    else:
        raise ValueError(f"unknown scenario kind {scenario.kind!r}")
    lines.append(_DONE)
    return "\n".join(lines)


def _wrk(url: str, script: Path, connections: int, seconds: float, timeout: float) -> str:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s",
        f"--timeout={max(1, math.ceil(timeout))}s", "-s", str(script), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def parse_result(output: str) -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(f"wrk printed no result line:\n{output}")


def run_wrk(target: str, url: str, scenario: Scenario, settings: LoadSettings, pid: int | None = None) -> LoadResult:
    """Warm up, then measure, each a separate wrk run with the same script."""
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as folder:
        script = Path(folder) / "scenario.lua"
        script.write_text(render_script(scenario), encoding="utf-8")
        base = url.rstrip("/") + scenario.request.path
        if settings.warmup_seconds > 0:
            _wrk(base, script, settings.connections, settings.warmup_seconds, settings.timeout_seconds)
        cpu_before = cpu_seconds(pid)
        figures = parse_result(_wrk(base, script, settings.connections, settings.seconds, settings.timeout_seconds))
        cpu_after = cpu_seconds(pid)
    seconds = figures["duration_us"] / 1e6
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    extra: dict[str, int | float] = {"max_ms": figures["max_us"] / 1000}
    if scenario.kind == JOURNEY:
        extra.update(created=figures["created"], terminal=figures["terminal"])
    return LoadResult(
        target=target,
        scenario=scenario.name,
        tool=WRK,
        connections=settings.connections,
        seconds=round(seconds, 3),
        requests=figures["requests"],
        rps=round(figures["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
        server_cpu_us=cpu_us_per_request(cpu_before, cpu_after, figures["requests"]),
        extra=extra,
    )

