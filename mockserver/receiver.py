"""A real HTTP receiver on loopback that collects callback deliveries, for tests.

    with CallbackReceiver() as receiver:
        ...create a job with callback_url=receiver.url...
        delivery = receiver.wait_for(1)[0]
        assert delivery.json["status"] == "done" and delivery.verified(secret)

``respond_with(503, 503)`` makes the next answers fail (then 200 again); ``hang_next(n)``
makes the next n requests hang until the sender gives up, to test timeouts.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .callback_policy import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature

_MAX_BODY = 1024 * 1024
_HANG_LIMIT_SECONDS = 30.0  # a hanging answer ends by itself, so nothing outlives a test for long


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    answered: int | None  # the status this receiver answered, None if it hung

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get(DELIVERY_HEADER)

    def verified(self, secret: str) -> bool:
        return verify_signature(secret, self.headers.get(SIGNATURE_HEADER, ""), self.body)


class CallbackReceiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._deliveries: list[Delivery] = []
        self._statuses: deque[int] = deque()
        self._hangs = 0
        self._closing = threading.Event()
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = "http://{}:{}/callback".format(*self._server.server_address[:2])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = min(int(self.headers.get("content-length") or 0), _MAX_BODY)
                body = self.rfile.read(length)
                status = receiver._next_answer()
                delivery = Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                if status is None:
                    receiver._closing.wait(_HANG_LIMIT_SECONDS)
                    receiver._record(delivery)
                    return
                # Recorded before the answer goes back: once the sender has its answer it may send the
                # next callback, which must not be recorded ahead of this one.
                receiver._record(delivery)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        return Handler

    def _next_answer(self) -> int | None:
        with self._changed:
            if self._hangs:
                self._hangs -= 1
                return None
            return self._statuses.popleft() if self._statuses else 200

    def _record(self, delivery: Delivery) -> None:
        with self._changed:
            self._deliveries.append(delivery)
            self._changed.notify_all()

    def respond_with(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order; 200 after that."""
        with self._changed:
            self._statuses.extend(statuses)

    def hang_next(self, count: int = 1) -> None:
        """Let the next ``count`` requests wait without answering (until the sender times out)."""
        with self._changed:
            self._hangs += count

    @property
    def deliveries(self) -> list[Delivery]:
        with self._changed:
            return list(self._deliveries)

    def accepted(self) -> list[Delivery]:
        """Deliveries this receiver answered with a 2xx."""
        return [d for d in self.deliveries if d.answered is not None and 200 <= d.answered < 300]

    def wait_for(self, count: int, timeout: float = 10.0, accepted: bool = False) -> list[Delivery]:
        """Block until ``count`` deliveries (accepted ones only, if asked) arrived; then return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [d for d in self._deliveries if not accepted or (d.answered is not None and 200 <= d.answered < 300)]
                if len(got) >= count:
                    return got
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(got)} of {count} callback deliveries arrived within {timeout:g}s")
                self._changed.wait(remaining)

    def start(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
