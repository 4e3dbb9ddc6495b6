"""A built-in load generator for machines without wrk: asyncio over raw keep-alive sockets.

It reports what the wrk driver reports. Being Python, it tops out lower than wrk (one core,
a few thousand requests a second), so its figures for fast servers are the generator's limit
as much as the server's; the report names the tool that produced each line.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .loadrun import BUILTIN, LoadResult, LoadSettings, cpu_seconds, cpu_us_per_request, percentile
from .scenarios import JOURNEY, Request, Scenario, ScenarioState


@dataclass
class _Tally:
    measure_from: float
    stop_at: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_before: float | None = None
    cpu_after: float | None = None


def encode(request: Request, host: str) -> bytes:
    head = [f"{request.method} {request.path} HTTP/1.1", f"host: {host}"]
    head += [f"{name}: {value}" for name, value in request.headers]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        head.append(f"content-length: {len(request.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server will close the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, closing = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            raise ValueError("chunked answers are not supported by the built-in generator")
        elif name == "connection" and value.strip().lower() == "close":
            closing = True
    return status, await reader.readexactly(length), closing


async def _connection(host: str, port: int, state: ScenarioState, tally: _Tally, timeout: float) -> None:
    host_header = f"{host}:{port}"
    encoded: dict[Request, bytes] = {}  # fixed requests are encoded once
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < tally.stop_at:
        try:
            if stream is None:
                stream = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            reader, writer = stream
            request = state.next_request()
            data = encoded.get(request)
            if data is None:
                data = encode(request, host_header)
                if len(encoded) < 64:
                    encoded[request] = data
            sent = time.perf_counter()
            writer.write(data)
            status, body, closing = await asyncio.wait_for(read_response(reader), timeout)
            answered = time.perf_counter()
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            tally.errors += time.perf_counter() >= tally.measure_from
            if stream is not None:
                stream[1].close()
            stream = None
            await asyncio.sleep(0.01)  # a refused connection fails at once: do not spin
            continue
        state.on_response(request, status, body)
        if sent >= tally.measure_from:
            tally.latencies.append(answered - sent)
            tally.errors += not 200 <= status < 300
        if closing:
            writer.close()
            stream = None
    if stream is not None:
        stream[1].close()


async def _run(url: str, scenario: Scenario, settings: LoadSettings, pid: int | None) -> tuple[_Tally, ScenarioState, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    state = ScenarioState(scenario)
    start = time.perf_counter()
    tally = _Tally(start + settings.warmup_seconds, start + settings.warmup_seconds + settings.seconds)

    async def read_cpu_when_measuring() -> None:
        await asyncio.sleep(settings.warmup_seconds)
        tally.cpu_before = cpu_seconds(pid)

    await asyncio.gather(
        read_cpu_when_measuring(),
        *(_connection(host, port, state, tally, settings.timeout_seconds) for _ in range(settings.connections)),
    )
    tally.cpu_after = cpu_seconds(pid)
    return tally, state, time.perf_counter() - tally.measure_from


def _event_loop_runner():  # uvloop (from uvicorn[standard]) when present: a faster generator
    try:
        import uvloop

        return uvloop.run
    except ImportError:
        return asyncio.run


def run_builtin(target: str, url: str, scenario: Scenario, settings: LoadSettings, pid: int | None = None) -> LoadResult:
    tally, state, elapsed = _event_loop_runner()(_run(url, scenario, settings, pid))
    latencies = sorted(tally.latencies)
    extra: dict[str, int | float] = {"max_ms": round(latencies[-1] * 1000, 3) if latencies else 0.0}
    if scenario.kind == JOURNEY:
        extra.update(created=state.created, terminal=state.terminal)
    return LoadResult(
        target=target,
        scenario=scenario.name,
        tool=BUILTIN,
        connections=settings.connections,
        seconds=round(elapsed, 3),
        requests=len(latencies),
        rps=round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=round(percentile(latencies, 50) * 1000, 3),
        p99_ms=round(percentile(latencies, 99) * 1000, 3),
        errors=tally.errors,
        server_cpu_us=cpu_us_per_request(tally.cpu_before, tally.cpu_after, len(latencies)),
        extra=extra,
    )
