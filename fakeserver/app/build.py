"""Assemble the Starlette application from a configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from fakeserver.api.profiles import profile_for
from fakeserver.api.routes import conversation_routes, slash_optional
from fakeserver.app.config import ServerConfig
from fakeserver.app.dispatch import ShapeIndexedRouter
from fakeserver.app.gateway import Gateway
from fakeserver.app.state import ServerState
from fakeserver.control.api import control_routes
from fakeserver.control.dashboard import PAGES, dashboard_routes
from fakeserver.control.limits import limit_routes
from fakeserver.domain.store import Seed
from fakeserver.fixture_files import load_seed
from fakeserver.harness.faults import FaultInjector
from fakeserver.harness.recorder import JournalRecorder, OperationResolver
from fakeserver.harness.request_log import RequestLog


async def schema(request: Request) -> Response:
    """The OpenAPI document of the request's profile."""
    state: ServerState = request.app.state.fakeserver
    return profile_for(request, state.profile).schema()


async def health(_request: Request) -> Response:
    return PlainTextResponse("ok")


class FakeServerApp(Starlette):
    """Starlette with fakeserver's gateway in place of Starlette's error middlewares.

    The gateway (namespaces, journal, faults, error answers) sits right above the router, so
    the journal also records the error answers, and a dropped connection reaches the server's
    real `send`.
    """

    server_state: ServerState
    """The same object as `state.fakeserver`, read without Starlette's `State.__getattr__`."""

    def __init__(self, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(routes=routes, **options)
        self.shaped_router = ShapeIndexedRouter(routes, lifespan=options.get("lifespan"))
        self.router = self.shaped_router

    def build_middleware_stack(self) -> ASGIApp:
        state: ServerState = self.state.fakeserver
        inner: ASGIApp = self.router
        for middleware in reversed(self.user_middleware):
            inner = middleware.cls(inner, *middleware.args, **middleware.kwargs)
        recorder = JournalRecorder(
            state.journal,
            OperationResolver(self.shaped_router.candidates),
            lambda: state.profile.name,
        )
        request_log = RequestLog() if state.config.access_log else None
        return Gateway(inner, recorder, FaultInjector(state.faults), request_log)


def create_app(config: ServerConfig | None = None, seed: Seed | None = None) -> Starlette:
    """The fake as an ASGI app. `seed` skips fixture loading (it is built from `config` if None)."""
    config = config or ServerConfig()
    state = ServerState(config, seed if seed is not None else load_seed(config.fixtures))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await state.stop_runs()

    app = FakeServerApp(
        lifespan=lifespan,
        routes=[
            Route("/_health", health, methods=["GET"]),
            slash_optional(Route("/api/schema/", schema, methods=["GET"])),
            *conversation_routes(),
            *(
                control_routes(*limit_routes(), *dashboard_routes(), pages=PAGES)
                if config.control
                else []
            ),
        ],
    )
    app.router.redirect_slashes = False
    app.state.fakeserver = app.server_state = state
    return app
