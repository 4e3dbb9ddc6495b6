"""The ceiling: a bare Starlette route served exactly as the emulator is served.

Whatever the emulator does beyond this (routing from the spec, keys, validation, the store,
rendering) is the cost the benchmark compares. The answer has the clip answer's shape and size.

Run as ``python -m mockserver.bench.ceiling``; it prints ``ceiling ready at URL`` once it answers.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..server import bind_socket, serve_forever

READY_PREFIX = "ceiling ready at "
CLIP_PATH = "/video/{video_id}/clip"

# Same keys and about the same length as a clip POST's answer on loopback.
ANSWER = {
    "success": True,
    "status": "processing",
    "data": {
        "id": "job-0123456789-1",
        "output_url": "http://127.0.0.1:40000/async-response/job-0123456789-1",
    },
}


async def fixed_answer(request: Request) -> Response:
    return JSONResponse(ANSWER)


def create_ceiling_app() -> Starlette:
    # The clip operation's own path template, so routing costs what it costs the emulator.
    return Starlette(routes=[Route(CLIP_PATH, fixed_answer, methods=["POST"])])


def main() -> int:
    def announce(url: str) -> None:
        print(f"{READY_PREFIX}{url}", flush=True)

    serve_forever(create_ceiling_app(), bind_socket("127.0.0.1", 0), on_ready=announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
