"""The ceiling: a bare Starlette app that answers constant bytes, served like `fakeserver serve`.

Run as a script: `python ceiling_app.py BODIES.json` where the file maps an HTTP method to the
exact body (text) to send for it. It binds 127.0.0.1 on a free port and prints `port=N` once
it listens. Same uvicorn settings as `fakeserver serve`: one worker, uvloop, httptools,
warning log level, no access log.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

UVICORN_SETTINGS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "log_level": "warning",
    "access_log": False,
}
"""What `fakeserver serve` passes to uvicorn (fakeserver/cli.py)."""


def ceiling_app(bodies: dict[str, bytes]) -> Starlette:
    """Any path, any of the given methods: 200 with that method's constant JSON body."""

    async def answer(request: Request) -> Response:
        return Response(bodies[request.method], media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", answer, methods=sorted(bodies))])


def main(bodies_file: str) -> None:
    raw = json.loads(Path(bodies_file).read_text("utf-8"))
    bodies = {method.upper(): text.encode("utf-8") for method, text in raw.items()}
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    print(f"port={listener.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(ceiling_app(bodies), **UVICORN_SETTINGS))
    server.run(sockets=[listener])


if __name__ == "__main__":
    main(sys.argv[1])
