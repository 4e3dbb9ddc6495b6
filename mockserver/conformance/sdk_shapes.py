"""Requests shaped exactly as the official Python SDK (videodb 0.5.1) sends them must be served.

The SDK sends ``Content-Type: application/json`` and ``x-videodb-client`` on every request, GETs
without a body included: a deployment that refuses such a GET breaks the SDK's first call however
well it answers a plain one.
"""

from __future__ import annotations

from urllib.parse import quote

from .client import Client, TransportError
from .contract import DEFAULT_COLLECTION, GET_COLLECTION, GET_VIDEO, Contract
from .findings import Finding, Findings
from .traffic import RequestRefused
from .videos import Video

PHASE = "lifecycle"
SDK_SHAPED = "sdk_shaped_requests_accepted"
PYTHON_SDK_HEADERS = {"content-type": "application/json", "x-videodb-client": "videodb-python/0.5.1"}


def check_sdk_shaped_reads(client: Client, contract: Contract, base: str, findings: Findings, videos: list[Video]) -> None:
    """The SDK's first calls, with its headers: the default collection, a listed video's collection by
    id (``conn.get_collection(id)``), then the video."""
    findings.expect(PHASE, (SDK_SHAPED,))
    urls = [base + contract.operation(DEFAULT_COLLECTION).fill()]
    if videos:
        video = videos[0]
        if video.collection_id and contract.has(GET_COLLECTION):
            urls.append(base + contract.operation(GET_COLLECTION).fill(collection_id=video.collection_id))
        query = f"?collection_id={quote(video.collection_id, safe='')}" if video.collection_id else ""
        urls.append(base + contract.operation(GET_VIDEO).fill(video_id=video.id) + query)
    for url in urls:
        try:
            answer = client.get(url, extra_headers=PYTHON_SDK_HEADERS)
        except (TransportError, RequestRefused) as error:
            findings.fail(Finding(PHASE, SDK_SHAPED, url, f"no answer: {error}"))
            continue
        if answer.status == 200:
            findings.passed(PHASE, SDK_SHAPED)
        else:
            problem = f"a GET as the Python SDK sends it (Content-Type: application/json, no body) answered {answer.status}"
            findings.fail(Finding(PHASE, SDK_SHAPED, url, problem, answer.describe(), (answer.curl(),)))
