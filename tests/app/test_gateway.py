"""The gateway in front of the router: error answers, repeated headers, user middleware.

The app's assembly is what these tests test, so they call `create_app` themselves (not
conftest's `make_server`, which builds a whole `FakeServer`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from conftest import BASE, ONE_QUEUED, bearer, queue_url
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fakeserver.app import ServerConfig, create_app
from fakeserver.harness.journal import Journal

pytestmark = pytest.mark.anyio

SERVER_ERROR = {
    "type": "server_error",
    "code": "error",
    "detail": "A server error occurred.",
    "attr": None,
}


class Broken(Exception):
    pass


async def broken_endpoint(_request: Request) -> Response:
    raise Broken("a bug in an endpoint")


async def broken_stream(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first part"
        raise Broken("a bug half way through a stream")

    return StreamingResponse(chunks(), media_type="text/plain")


def app_with(*routes: Route) -> tuple[ASGIApp, Journal]:
    app = create_app()
    app.router.routes.extend(routes)
    return app, app.state.fakeserver.journal


async def test_a_bug_is_answered_in_posthogs_500_envelope_and_journaled():
    app, journal = app_with(Route("/api/broken", broken_endpoint))
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        response = await client.get("/api/broken")
    assert (response.status_code, response.json()) == (500, SERVER_ERROR)
    assert journal.last().status == 500
    assert journal.last().response_body == response.content


async def test_a_bug_is_raised_again_after_its_answer():
    """So the server logs it, and an in-process client that wants app errors sees it."""
    app, _ = app_with(Route("/api/broken", broken_endpoint))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        with pytest.raises(Broken):
            await client.get("/api/broken")


async def test_a_bug_after_the_response_started_sends_no_second_response():
    app, journal = app_with(Route("/api/broken-stream", broken_stream))
    sent: list[dict[str, object]] = []
    pending = [{"type": "http.request", "body": b"", "more_body": False}]
    never = anyio.Event()

    async def receive() -> dict[str, object]:
        if pending:
            return pending.pop()
        await never.wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/broken-stream",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    with pytest.raises(Broken):
        await app(scope, receive, send)
    starts = [message for message in sent if message["type"] == "http.response.start"]
    assert [start["status"] for start in starts] == [200]
    assert journal.last().status == 200


async def test_middleware_added_to_the_app_runs_inside_the_gateway():
    seen: list[str] = []

    class Tagging:
        def __init__(self, app: ASGIApp, tag: str) -> None:
            self.app, self.tag = app, tag

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(f"{self.tag} {scope['path']}")
            await self.app(scope, receive, send)

    app = create_app()
    app.add_middleware(Tagging, tag="tagged")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        response = await client.get(queue_url(ONE_QUEUED), headers=bearer())
        missing = await client.get("/_ns/alpha/nowhere")
    assert response.status_code == 200
    # Inside the gateway: the namespace prefix is already moved into root_path.
    assert seen == [f"tagged {queue_url(ONE_QUEUED)}", "tagged /_ns/alpha/nowhere"]
    assert missing.status_code == 404


async def test_repeated_headers_keep_the_first_value():
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        request = client.build_request("GET", queue_url(ONE_QUEUED))
        request.headers = httpx.Headers(
            [("Authorization", "Bearer phx_ada_all"), ("Authorization", "Bearer phx_nobody")]
        )
        response = await client.send(request)
    assert response.status_code == 200


async def test_middleware_that_changes_headers_and_body_is_heard():
    """What the gateway indexed or read before a user's middleware ran is not what counts."""

    class SignedIn:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            headers = [*scope["headers"], (b"authorization", b"Bearer phx_ada_all")]
            await self.app({**scope, "headers": headers}, receive, send)

    class Rewritten:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def rewritten() -> dict[str, object]:
                message = await receive()
                while message["type"] == "http.request" and message.get("more_body", False):
                    message = await receive()  # drop the client's body, chunk by chunk
                if message["type"] == "http.request":
                    message = {**message, "body": b'{"content": "rewritten"}'}
                return message

            await self.app(scope, rewritten, send)

    app = create_app(ServerConfig(profile="actual"))
    app.add_middleware(Rewritten)
    app.add_middleware(SignedIn)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        listed = await client.get("/api/projects/1/conversations/")
        queued = await client.post(
            queue_url(ONE_QUEUED),
            json={"content": "original"},
            headers={"X-Fakeserver-Profile": "documented"},
        )
    assert listed.status_code == 200
    assert queued.status_code == 200, queued.text
    queue = app.state.fakeserver.workspace.store.conversation(ONE_QUEUED).queue
    assert queue[-1].content == "rewritten"
