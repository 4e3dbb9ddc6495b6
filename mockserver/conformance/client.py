"""HTTP for the lifecycle and callback phases: every request through the traffic policy, every answer kept as evidence."""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import httpx

from .traffic import TrafficPolicy

USER_AGENT = "mockserver-conform"


class TransportError(Exception):
    """No answer: the connection failed or timed out."""


@dataclass(frozen=True)
class Exchange:
    """One request and the answer it got."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    body: bytes
    elapsed: float

    @cached_property
    def _parsed(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        return self._parsed

    def describe(self, limit: int = 600) -> str:
        text = self.body.decode("utf-8", errors="replace")
        if len(text) > limit:
            text = text[:limit] + f"… ({len(self.body)} bytes)"
        return f"{self.method} {self.url} -> {self.status} {text}"

    def curl(self) -> str:
        return curl_command(self.method, self.url, self.request_headers, self.request_body)


def curl_command(method: str, url: str, headers: dict[str, str], body: bytes | None) -> str:
    parts = ["curl", "-s", "-X", method]
    for name, value in headers.items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body is not None:
        parts += ["-d", shlex.quote(body.decode("utf-8", errors="replace"))]
    parts.append(shlex.quote(url))
    return " ".join(parts)


class Client:
    def __init__(self, policy: TrafficPolicy, *, api_key_header: str, api_key: str, timeout: float, use_proxies: bool) -> None:
        self.policy = policy
        self._auth = {api_key_header: api_key}
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT}, trust_env=use_proxies)

    def get(self, url: str, *, authenticated: bool = True, extra_headers: dict[str, str] | None = None) -> Exchange:
        return self._send("GET", url, {**(self._auth if authenticated else {}), **(extra_headers or {})}, None)

    def get_as(self, url: str, key: str) -> Exchange:
        """A GET with another value in the API key header: a probe that it is refused."""
        return self.get(url, authenticated=False, extra_headers={next(iter(self._auth)): key})

    def post_json(self, url: str, body: Any) -> Exchange:
        headers = {**self._auth, "content-type": "application/json"}
        return self._send("POST", url, headers, json.dumps(body).encode("utf-8"))

    @property
    def api_key(self) -> str:
        return next(iter(self._auth.values()))

    def post_file(self, url: str, filename: str, content: bytes) -> Exchange:
        """A file posted as Python's SDK posts it to an upload URL: multipart, part ``file``, no key."""
        request = self._http.build_request("POST", url, files={"file": (filename, content, "application/octet-stream")})
        return self._send("POST", url, dict(request.headers), request.read())

    def send_as(self, method: str, url: str, key: str | None, body: Any = None) -> Exchange:
        """Any request with another value in the API key header, or none: a probe that it is refused."""
        headers = {} if key is None else {next(iter(self._auth)): key}
        content = None
        if body is not None:
            headers["content-type"] = "application/json"
            content = json.dumps(body).encode("utf-8")
        return self._send(method, url, headers, content)

    def _send(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> Exchange:
        started = time.monotonic()
        try:
            response = self.policy.send(
                method,
                url,
                lambda: self._http.request(method, url, headers=headers, content=content),
                lambda answer: answer.status_code,
                lambda answer: answer.headers.get("retry-after"),
            )
        except httpx.HTTPError as error:
            raise TransportError(f"{method} {url}: {type(error).__name__}: {error}") from None
        return Exchange(
            method=method,
            url=url,
            request_headers=headers,
            request_body=content,
            status=response.status_code,
            response_headers=dict(response.headers),
            body=response.content,
            elapsed=time.monotonic() - started,
        )

    def close(self) -> None:
        self._http.close()
