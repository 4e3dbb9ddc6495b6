"""Memory of stored jobs and namespaces, measured in a fresh process of its own.

Run as ``python -m mockserver.bench.memprobe --jobs N --flood M``; prints one JSON object. Requests go
through the whole ASGI app in-process (no sockets), so each stored job carries exactly what a
real request leaves behind (the job, its ids, the parsed prompt, journal entries), and nothing
else in the process muddies the resident-set figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from typing import Any

from ..app import Settings, create_app
from .scenarios import CLIP_PATH

PAGE = os.sysconf("SC_PAGE_SIZE")
KEYS_FOR_JOBS = 10  # 100k jobs fit the default bound of 10k jobs per key only across several keys


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class InProcess:
    """Sends requests straight into the ASGI app: what uvicorn would do, minus the network."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post_clip(self, key: str, prompt: str) -> int:
        body = json.dumps({"prompt": prompt}).encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": CLIP_PATH, "raw_path": CLIP_PATH.encode(), "query_string": b"", "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()), (b"x-access-token", key.encode()),
            ],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        delivered = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status

    async def many(self, keys: list[str], per_key: int, tag: str) -> float:
        """Create ``per_key`` jobs under each key, each with its own prompt; seconds per request."""
        began = time.perf_counter()
        for index in range(per_key):
            for key in keys:
                status = await self.post_clip(key, f"every goal and the penalty {tag} {index}")
                if status != 200:
                    raise RuntimeError(f"clip POST answered {status}")
        return (time.perf_counter() - began) / (per_key * len(keys))


def _settled_rss() -> int:
    gc.collect()
    return rss_bytes()


async def measure(jobs: int, flood: int, namespace_keys: int) -> dict[str, Any]:
    settings = Settings()
    app = InProcess(create_app(settings))
    per_namespace = settings.limits.max_jobs_per_namespace
    max_namespaces = settings.limits.max_namespaces
    await app.many([f"sk-warm-{i}" for i in range(4)], 250, "warm")  # caches, code paths, allocator pools

    # A new namespace: memory and time of a first request under a key never seen.
    before = _settled_rss()
    new_key_seconds = await app.many([f"sk-ns-{i}" for i in range(namespace_keys)], 1, "ns")
    namespace_bytes = (_settled_rss() - before) / namespace_keys
    known_key_seconds = await app.many(["sk-warm-0"], namespace_keys, "known")

    # Jobs at scale: spread over a few keys, each under its per-key bound.
    keys = [f"sk-jobs-{i}" for i in range(KEYS_FOR_JOBS)]
    before = _settled_rss()
    job_seconds = await app.many(keys, jobs // len(keys), "job")
    stored = (jobs // len(keys)) * len(keys)
    job_bytes = (_settled_rss() - before) / stored
    # Every stored job is traced by the cyclic GC: a full collection walks them all, in one pause.
    began = time.perf_counter()
    gc.collect()
    full_gc_seconds = time.perf_counter() - began
    tracked = len(gc.get_objects())

    # A flood into one key already at its bound: each new job evicts the oldest, memory stays flat.
    before = _settled_rss()
    await app.many(keys[:1], flood, "flood")
    flood_growth = _settled_rss() - before

    # A flood of new keys past the namespace bound: the least recently used go, memory stays flat.
    await app.many([f"sk-churn-a-{i}" for i in range(max_namespaces)], 1, "churn")
    before = _settled_rss()
    await app.many([f"sk-churn-b-{i}" for i in range(max_namespaces)], 1, "churn")
    churn_growth = _settled_rss() - before

    return {
        "jobs": stored,
        "bytes_per_job": round(job_bytes, 1),
        "us_per_clip_post_in_process": round(job_seconds * 1e6, 1),
        "full_gc_ms": round(full_gc_seconds * 1e3, 1),
        "gc_tracked_objects": tracked,
        "flood_jobs_into_full_key": flood,
        "flood_growth_bytes": flood_growth,
        "flood_growth_bytes_per_job": round(flood_growth / flood, 2),
        "namespace_bytes_first_job_included": round(namespace_bytes, 1),
        "us_first_request_new_key": round(new_key_seconds * 1e6, 1),
        "us_request_known_key": round(known_key_seconds * 1e6, 1),
        "namespace_churn_keys": max_namespaces,
        "namespace_churn_growth_bytes": churn_growth,
        "max_jobs_per_namespace": per_namespace,
        "max_namespaces": max_namespaces,
        "max_jobs": settings.limits.max_jobs,
        # The worst case the bounds allow: as many jobs as the caps let live, at the per-job cost measured above.
        "bound_bytes": round(min(settings.limits.max_jobs, max_namespaces * per_namespace) * job_bytes),
        "rss_bytes_end": rss_bytes(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockserver.bench.memprobe")
    parser.add_argument("--jobs", type=int, required=True, help="jobs to store (mockserver bench passes the store's total cap)")
    parser.add_argument("--flood", type=int, required=True, help="jobs sent into one full key afterwards")
    parser.add_argument("--namespace-keys", type=int, default=500)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.jobs, args.flood, args.namespace_keys))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
