"""Requests shaped exactly as the official SDKs send them must be served.

Python (videodb 0.5.1) sends ``Content-Type: application/json`` and ``x-videodb-client`` on every
request, GETs without a body included: a deployment that refuses such a GET breaks the SDK's first
call however well it answers a plain one. Node (videodb 0.2.0) sends its GETs without a Content-Type.
The job requests of the lifecycle's other kinds are sent as Python sends them, nulls included.
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
NODE_SDK_HEADERS = {"x-videodb-client": "videodb-node/0.2.0"}


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
    # Node 0.2.0 sends its GETs without a Content-Type, under its own client name.
    shaped = [(url, PYTHON_SDK_HEADERS) for url in urls] + [(urls[0], NODE_SDK_HEADERS)]
    for url, headers in shaped:
        try:
            answer = client.get(url, extra_headers=headers)
        except (TransportError, RequestRefused) as error:
            findings.fail(Finding(PHASE, SDK_SHAPED, url, f"no answer: {error}"))
            continue
        if answer.status == 200:
            findings.passed(PHASE, SDK_SHAPED)
        else:
            sdk = "Python SDK sends it (Content-Type: application/json, no body)" if headers is PYTHON_SDK_HEADERS else "Node SDK sends it"
            problem = f"a GET as the {sdk} answered {answer.status}"
            findings.fail(Finding(PHASE, SDK_SHAPED, url, problem, answer.describe(), (answer.curl(),)))
