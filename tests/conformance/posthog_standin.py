"""A stand-in for a user's PostHog: a live fakeserver behind a small proxy, on loopback.

The proxy plays what the fake does not serve, PostHog's web app page: `GET /` with a `sessionid`
cookie answers HTML and sets the CSRF cookie, as a browser finds it (without one: 302 to the
login). Everything else goes to the fake, streams included; `mutations` rewrite JSON answers, as
a PostHog that changed would answer (another JSON type, a renamed error, a field gone or added).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

CSRF_SECRET: Final = "Csrf5ecretNeverPrinted0123456789"
"""What the app page sets as `posthog_csrftoken`: 32 letters and digits, as Django's secret."""
DROPPED_HEADERS: Final = frozenset({"host", "content-length", "transfer-encoding", "connection"})

Mutation = Callable[[str, str, Any], Any]
"""(method, path, JSON body) -> the body to answer instead (changed in place or new)."""


def app_page(request: Request) -> Response:
    if "sessionid" not in request.cookies:
        return RedirectResponse("/login", status_code=302)
    page = Response("<!doctype html><title>PostHog</title>", media_type="text/html")
    page.set_cookie("posthog_csrftoken", CSRF_SECRET, samesite="lax")
    return page


def proxy(upstream: str, mutations: list[Mutation]) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=30)

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROPPED_HEADERS}
        outgoing = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query or None,
            headers=headers,
            content=await request.body(),
        )
        answer = await client.send(outgoing, stream=True)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in DROPPED_HEADERS}
        if answer.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(await answer.aread())
            await answer.aclose()
            for mutate in mutations:
                body = mutate(request.method, request.url.path, body)
            return Response(json.dumps(body), answer.status_code, kept)
        return StreamingResponse(
            answer.aiter_raw(), answer.status_code, kept, background=BackgroundTask(answer.aclose)
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            Route("/", app_page, methods=["GET"]),
            Route("/{path:path}", forward, methods=methods),
        ]
    )


@contextlib.contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app live on 127.0.0.1 and a free port, from a daemon thread; yields its URL."""
    # No log_config: uvicorn would bind its handlers to this moment's (captured) stderr.
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the stand-in proxy did not start")
        time.sleep(0.005)  # waits for the socket to be bound, not for test state
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# Mutations: what a PostHog that changed could answer. ---------------------------------------


def _is_conversation(path: str) -> bool:
    parts = [part for part in path.split("/") if part]
    return len(parts) == 5 and parts[3] == "conversations"


def is_internal_as_string(method: str, path: str, body: Any) -> Any:
    """`is_internal` as the string "false" on every conversation read (list and retrieve)."""
    if method != "GET" or not isinstance(body, dict):
        return body
    results = body.get("results")
    for item in results if isinstance(results, list) else [body]:
        if isinstance(item, dict) and isinstance(item.get("is_internal"), bool):
            item["is_internal"] = "true" if item["is_internal"] else "false"
    return body


def max_queue_messages_as_string(method: str, path: str, body: Any) -> Any:
    if method == "GET" and isinstance(body, dict) and "max_queue_messages" in body:
        body["max_queue_messages"] = str(body["max_queue_messages"])
    return body


def not_found_renamed(method: str, path: str, body: Any) -> Any:
    if isinstance(body, dict) and body.get("detail") == "Not found.":
        body["detail"] = "Not Found"
    return body


def title_dropped(method: str, path: str, body: Any) -> Any:
    if method == "GET" and _is_conversation(path) and isinstance(body, dict):
        body.pop("title", None)
    return body


def field_added(method: str, path: str, body: Any) -> Any:
    if method == "GET" and _is_conversation(path) and isinstance(body, dict) and "id" in body:
        body["sentiment"] = "positive"
    return body
