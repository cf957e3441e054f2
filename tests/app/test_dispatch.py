"""The shape-indexed router picks the same route as Starlette's walk over the whole table, and
reuses a resolved path only while the table stays as it was.

The app's assembly is what these tests test, so they call `create_app` themselves (not
conftest's `make_server`, which builds a whole `FakeServer`).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest
from conftest import FULL_QUEUE, bearer, queue_url
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from fakeserver.api.routes import EndpointRoute
from fakeserver.app import ServerConfig, create_app
from fakeserver.app.build import FakeServerApp
from fakeserver.app.dispatch import ShapeIndexedRouter

CONVERSATION = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
PATHS = [
    "/",
    "//",
    "/_health",
    "/_health/",
    "/api/schema",
    "/api/schema/",
    "/api/projects/1/conversations",
    "/api/projects/1/conversations/",
    "/api/projects/1/conversations//",
    "/api/projects//conversations/",
    "/api/environments/@current/conversations/",
    f"/api/projects/1/conversations/{CONVERSATION}",
    f"/api/projects/1/conversations/{CONVERSATION}/",
    "/api/projects/1/conversations/a.b/",
    f"/api/projects/1/conversations/{CONVERSATION}/queue",
    f"/api/projects/1/conversations/{CONVERSATION}/queue/",
    f"/api/projects/1/conversations/{CONVERSATION}/queue/clear/",
    f"/api/projects/1/conversations/{CONVERSATION}/queue/some-id/",
    f"/api/projects/1/conversations/{CONVERSATION}/queue/some.id/",
    f"/api/environments/2/conversations/{CONVERSATION}/append_message/",
    f"/api/projects/1/conversations/{CONVERSATION}/cancel",
    f"/api/projects/1/conversations/{CONVERSATION}/open/",
    f"/api/projects/1/conversations/{CONVERSATION}/unknown/",
    f"/api/projects/1/conversations/{CONVERSATION}/queue/clear/extra/",
    "/_fakeserver/reset",
    "/_fakeserver/journal/",
    "/_fakeserver/faults/some-rule",
    "/nothing/here",
]


def _scope(method: str, path: str) -> Scope:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _first_full(routes: Sequence[BaseRoute], scope: Scope) -> BaseRoute | None:
    return next((route for route in routes if route.matches(scope)[0] is Match.FULL), None)


def _router() -> ShapeIndexedRouter:
    app = create_app()
    assert isinstance(app, FakeServerApp)
    return app.shaped_router


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("path", PATHS)
def test_candidates_find_the_route_the_full_walk_finds(method: str, path: str) -> None:
    router = _router()
    scope = _scope(method, path)
    assert _first_full(router.candidates(scope), scope) is _first_full(router.routes, scope)


def test_a_route_added_at_run_time_is_indexed() -> None:
    router = _router()
    scope = _scope("GET", "/test/stream")
    assert _first_full(router.candidates(scope), scope) is None
    added = Route("/test/stream", lambda _request: PlainTextResponse("ok"))
    router.routes.append(added)
    assert _first_full(router.candidates(scope), scope) is added


def _recording_app() -> tuple[FakeServerApp, list[Scope]]:
    """The app with every route's handler replaced by one that notes the scope it gets."""
    app = create_app()
    assert isinstance(app, FakeServerApp)
    seen: list[Scope] = []

    async def record(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await PlainTextResponse("ok")(scope, receive, send)

    for route in app.router.routes:
        if isinstance(route, Route):
            route.app = record
    return app, seen


async def _dispatch(app: FakeServerApp, path: str, method: str = "GET") -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        pass

    await app.router({**_scope(method, path), "app": app, "query_string": b""}, receive, send)


QUEUE_PATH = f"/api/projects/1/conversations/{CONVERSATION}/queue/"


@pytest.mark.anyio
async def test_a_resolved_path_gives_each_request_its_own_path_parameters() -> None:
    app, seen = _recording_app()
    await _dispatch(app, QUEUE_PATH)
    seen[0]["path_params"]["conversation"] = "changed by a handler"
    await _dispatch(app, QUEUE_PATH)
    assert seen[1]["path_params"] == {"project_id": "1", "conversation": CONVERSATION}
    assert seen[1]["route"] is seen[0]["route"]
    assert seen[1]["endpoint"] is seen[0]["route"].endpoint


@pytest.mark.anyio
async def test_paths_that_name_a_fresh_item_each_time_are_not_remembered() -> None:
    app, seen = _recording_app()
    for item in ("q1", "q2"):
        await _dispatch(app, f"{QUEUE_PATH}{item}/", "DELETE")
    await _dispatch(app, QUEUE_PATH)
    assert [request["path_params"].get("queue_id") for request in seen] == ["q1", "q2", None]
    assert isinstance(app.router, ShapeIndexedRouter)
    assert list(app.router._resolved) == [("GET", QUEUE_PATH)]


@pytest.mark.anyio
async def test_a_route_added_before_a_resolved_one_takes_over() -> None:
    app, seen = _recording_app()
    await _dispatch(app, QUEUE_PATH)
    earlier = Route(
        "/api/projects/{project_id}/conversations/{conversation}/queue/", PlainTextResponse
    )
    earlier.app = seen[0]["route"].app
    app.router.routes.insert(0, earlier)
    await _dispatch(app, QUEUE_PATH)
    assert seen[1]["route"] is earlier


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["GET", "PUT"])
async def test_an_endpoint_class_served_as_an_httpendpoint_answers_as_its_route_does(
    method: str,
) -> None:
    """Routes call one shared instance's `respond`; the class itself, called per request the
    way Starlette calls any `HTTPEndpoint`, must give the same answer."""
    answers = []
    for as_class in (False, True):
        app = create_app(ServerConfig(id_seed=1))
        if as_class:
            for route in app.router.routes:
                if isinstance(route, EndpointRoute):
                    route.app = route.endpoint
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.request(method, queue_url(FULL_QUEUE), headers=bearer())
        answers.append((response.status_code, response.headers.get("allow"), response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == (200 if method == "GET" else 405)
