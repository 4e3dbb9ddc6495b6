"""How the HTTP edge carries out a request's AnswerFault: a status instead of the answer, a held
answer, or a connection dropped under it. Dropping needs the server's connection, which the
guarded protocol puts in the scope (``CONNECTION``); an in-process app has none."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from starlette.types import Scope

from .connection_limits import CONNECTION
from .faults import FAULT_HEADER, AnswerFault
from .http_errors import HttpError, error_body

FAULT_CODE = "emulated_fault"


def check_possible(fault: AnswerFault, scope: Scope) -> None:
    if fault.drop is not None and CONNECTION not in scope:
        raise HttpError(400, "invalid_request", "header.prefer.drop: needs a real server connection; this app is called in-process")


def status_answer(fault: AnswerFault) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The answer of a ``code=`` fault: the error body, its fault header and Retry-After."""
    assert fault.code is not None
    headers = {FAULT_HEADER: fault.describe()}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    return fault.code, error_body(f"emulated fault: status {fault.code}, asked for by the test", FAULT_CODE), headers


def fault_headers(fault: AnswerFault, headers: dict[str, str] | None) -> dict[str, str]:
    return {**(headers or {}), FAULT_HEADER: fault.describe()}


async def hold(fault: AnswerFault) -> None:
    if fault.delay:
        await asyncio.sleep(fault.delay)  # this request's task only: other requests go on


def drop(scope: Scope, fault: AnswerFault, status: int, body: bytes) -> None:
    """Ends the connection instead of answering, the way ``fault.drop`` says."""
    connection = scope[CONNECTION]
    transport = connection.transport
    cycle = connection.cycle
    if cycle is not None:
        cycle.disconnected = True  # uvicorn then sends nothing more for this request
    if fault.drop == "truncate":
        head = (
            f"HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"{FAULT_HEADER}: {fault.describe()}\r\n\r\n"
        )
        transport.write(head.encode("latin-1") + body[: len(body) // 2])
    elif fault.drop == "reset":
        raw = transport.get_extra_info("socket")
        if raw is not None:  # linger 0: close() sends a reset instead of a goodbye
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return
    transport.close()
