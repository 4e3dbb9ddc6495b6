"""The app journey beyond clip, timed: upload by URL, index its spoken words, search it.

Measured over HTTP (one client, each run under a key of its own, every job polled once as the
SDKs do) and through the unmodified Python SDK, against the running emulator.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

from .client import call
from .loadrun import percentile
from .targets import Target

UPLOAD_URL = "https://media.example.com/harbor-city-vs-northvale.mp4"  # the fixtures map it to the football match
QUERY = "penalty"


def _finished(target: Target, key: str, method: str, path: str, body: Any) -> dict[str, Any]:
    """Start a job and poll it once (the default lifecycle ends on the first poll): its final answer."""
    headers = {"x-access-token": key}
    status, answer = call(target.url, method, path, headers, body)
    if status != 200:
        raise RuntimeError(f"{method} {path} answered {status}: {answer[:200]!r}")
    output = json.loads(answer)["data"]["output_url"]
    status, final = call(target.url, "GET", output[output.index("/async-response/"):], headers)
    decoded = json.loads(final)
    if status != 200 or decoded.get("status") != "done":
        raise RuntimeError(f"the job of {method} {path} answered {status}: {final[:200]!r}")
    return decoded["data"]


def _over_http(target: Target, key: str) -> int:
    """One journey; the shots the search found."""
    video = _finished(target, key, "POST", "/collection/default/upload", {"url": UPLOAD_URL})["id"]
    _finished(target, key, "POST", f"/video/{video}/index", {"index_type": "spoken_word"})
    status, answer = call(target.url, "POST", f"/video/{video}/search/v2", {"x-access-token": key}, {"query": QUERY})
    results = json.loads(answer)["data"]["results"] if status == 200 else []
    return sum(len(result["docs"]) for result in results)


def _through_sdk(videodb: Any, url: str, key: str) -> int:
    video = videodb.connect(api_key=key, base_url=url).get_collection().upload(url=UPLOAD_URL)
    video.index_spoken_words()
    found = video.search(QUERY)
    found.compile()
    return len(found.get_shots())


def app_journey(target: Target, http_runs: int = 200, sdk_runs: int = 5) -> dict[str, Any]:
    times: list[float] = []
    shots = 0
    for run in range(http_runs):
        began = time.perf_counter()
        shots = _over_http(target, f"sk-bench-app-{run}")
        times.append(time.perf_counter() - began)
    times.sort()
    figures: dict[str, Any] = {
        "requests_per_journey": 5,  # upload, its poll, index, its poll, search
        "http_runs": http_runs,
        "http_median_ms": round(statistics.median(times) * 1000, 2),
        "http_p99_ms": round(percentile(times, 99) * 1000, 2),
        "shots": shots,
    }
    try:
        import videodb
    except ImportError:
        figures["sdk"] = {"skipped": "videodb is not installed: pip install 'videodb-clip-emulator[bench]'"}
        return figures
    sdk_times = []
    for run in range(sdk_runs):
        began = time.perf_counter()
        _through_sdk(videodb, target.url, f"sk-bench-app-sdk-{run}")
        sdk_times.append(time.perf_counter() - began)
    figures["sdk"] = {"runs": sdk_runs, "median_s": round(statistics.median(sdk_times), 3), "first_s": round(sdk_times[0], 3)}
    return figures
