"""Single requests outside the load: readiness checks and setting up what a scenario needs."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit


def call(url: str, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None, timeout: float = 5.0) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    try:
        payload = None
        headers = dict(headers or {})
        if body is not None:
            payload = json.dumps(body).encode()
            headers.setdefault("content-type", "application/json")
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def wait_until_answers(url: str, path: str, headers: dict[str, str], deadline: float, accept: range = range(200, 500)) -> None:
    """Retry a GET until the server answers with a status in ``accept``, or raise at ``deadline``."""
    last: Exception | int | None = None
    while time.perf_counter() < deadline:
        try:
            status, _ = call(url, "GET", path, headers, timeout=1.0)
            if status in accept:
                return
            last = status
        except OSError as error:  # not listening yet
            last = error
        time.sleep(0.02)
    raise TimeoutError(f"{url}{path} did not answer in time (last: {last!r})")
