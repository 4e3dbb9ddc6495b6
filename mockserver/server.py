"""Run the app under a real uvicorn server on a socket we bind, so port 0 works everywhere."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from .connection_limits import ConnectionLimits, guarded_protocol


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 asks the OS for a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _config(app: Any, limits: ConnectionLimits | None = None, **overrides: Any) -> uvicorn.Config:
    limits = limits or ConnectionLimits()
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "on",
        "http": guarded_protocol(limits),
        "ws": "none",  # no VideoDB operation upgrades; the guarded protocol answers such requests as plain HTTP
        "timeout_keep_alive": limits.keep_alive_seconds,
    }
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


class _ReadyServer(uvicorn.Server):
    """A uvicorn server that says when it is ready to answer."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self._on_ready is not None and not self.should_exit:
            self._on_ready()


def serve_forever(
    app: Any, sock: socket.socket, on_ready: Callable[[str], None] | None = None, limits: ConnectionLimits | None = None, **uvicorn_options: Any
) -> None:
    """Serve on ``sock`` (from bind_socket) in the foreground until interrupted; ``on_ready(url)``
    runs once it answers. The caller binds, so it can report a busy port its own way."""
    url = url_of(sock)
    server = _ReadyServer(_config(app, limits, **uvicorn_options), (lambda: on_ready(url)) if on_ready else None)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


class ServerThread:
    """A real uvicorn server in a background thread: ``start()``, ``url``, ``stop()``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, limits: ConnectionLimits | None = None, **uvicorn_options: Any) -> None:
        self._socket = bind_socket(host, port)
        self.url = url_of(self._socket)
        self._ready = threading.Event()
        self._server = _ReadyServer(_config(app, limits, **uvicorn_options), self._ready.set)
        self._thread = threading.Thread(target=self._run, name=f"mockserver {self.url}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])  # uvicorn leaves signals alone off the main thread
        except BaseException as error:  # reported by start()
            self._error = error
            self._ready.set()

    def start(self, timeout: float = 10.0) -> "ServerThread":
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise RuntimeError(f"server at {self.url} did not start") from self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
