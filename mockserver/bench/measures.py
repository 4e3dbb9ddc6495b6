"""The figures that are not throughput: start-up, memory per job and its bound, and the SDK journey."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

from .targets import Target, child_environment, start_emulator

# The journey a newcomer's first SDK test takes (README "Use it from the Python SDK").
SDK_VIDEO = "m-5d10f7e2"
SDK_PROMPT = "show every goal and the penalty"


def startup(runs: int = 5, python: str = sys.executable) -> dict[str, Any]:
    """Seconds from spawning ``mockserver serve`` to its first answer, over fresh processes."""
    times: list[float] = []
    for _ in range(runs):
        target = start_emulator(python)
        try:
            times.append(target.started_seconds)
        finally:
            target.stop()
    return {
        "runs": runs,
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


def memory(jobs: int, flood: int, python: str = sys.executable, timeout: float = 120.0) -> dict[str, Any]:
    """Memory per stored job and under floods, measured by ``memprobe`` in a process of its own."""
    command = [python, "-m", "mockserver.bench.memprobe", "--jobs", str(jobs), "--flood", str(flood)]
    done = subprocess.run(command, capture_output=True, text=True, env=child_environment(), timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"memprobe failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _journey(videodb: Any, url: str, key: str) -> int:
    """The SDK's own calls, unmodified: collection, videos, clip (create and poll), compile, embed, stream."""
    connection = videodb.connect(api_key=key, base_url=url)
    collection = connection.get_collection()
    collection.get_videos()
    video = collection.get_video(SDK_VIDEO)
    clip = video.clip(SDK_PROMPT, "spoken", "basic")
    clip.compile()
    clip.get_embed_code()
    clip.shots[0].generate_stream()
    return len(clip.shots)


def sdk_journey(target: Target, runs: int = 5) -> dict[str, Any]:
    """Wall time of the whole journey with videodb==0.5.1 against the running emulator."""
    try:
        import videodb
        from importlib.metadata import version

        sdk = f"videodb {version('videodb')}"
    except ImportError:
        return {"skipped": "videodb is not installed: pip install 'videodb-clip-emulator[bench]'"}
    times: list[float] = []
    shots = 0
    for run in range(runs):
        began = time.perf_counter()
        shots = _journey(videodb, target.url, f"sk-bench-sdk-{run}")
        times.append(time.perf_counter() - began)
    return {
        "sdk": sdk,
        "runs": runs,
        "first_s": round(times[0], 3),
        "median_s": round(statistics.median(times), 3),
        "shots": shots,
    }
