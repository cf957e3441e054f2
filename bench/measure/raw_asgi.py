"""A request made straight through the ASGI interface: what the fake costs without any client."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message


def asgi_scope(
    method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> dict[str, Any]:
    """An HTTP scope as uvicorn builds one (Content-Length added for a body)."""
    if body:
        headers = {**headers, "content-length": str(len(body))}
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 8010),
        "client": ("127.0.0.1", 1),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }


async def call_asgi(app: ASGIApp, scope: dict[str, Any], body: bytes = b"") -> None:
    """Run one request; raises unless the answer is a success."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    if not status or status[0] >= 300:
        raise RuntimeError(f"{scope['method']} {scope['path']}: {status or 'no answer'}")
