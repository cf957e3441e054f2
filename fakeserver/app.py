"""Assemble the Starlette application from a configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from fakeserver.api import errors
from fakeserver.api.profiles import DEFAULT_PROFILE, Profile, profile_for, profile_named
from fakeserver.api.routes import conversation_routes, slash_optional
from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.errors import DomainError
from fakeserver.domain.runs import DelayPacer, RunPacer
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fixtures import default_fixture_path, load_seed

NAMESPACE_SCOPE_KEY: Final = "fakeserver.namespace"
DEFAULT_NAMESPACE: Final = "default"


@dataclass(frozen=True)
class ServerConfig:
    fixtures: Sequence[Path] = field(default_factory=lambda: (default_fixture_path(),))
    profile: str = DEFAULT_PROFILE
    id_seed: int | None = None
    """Seed for generated ids (queue messages, ...); None for random ones."""
    reply_delay: float = 0.0
    """Seconds between the frames of a simulated agent run (0: a turn plays at once)."""
    keepalive_interval: float = 15.0
    """Seconds of silence after which a stream writes `: keepalive`."""
    pacer: RunPacer | None = None
    """Overrides `reply_delay`: e.g. a `GatedPacer` that lets tests step runs frame by frame."""


class ServerState:
    """What the app holds: the loaded seed, the default profile and the workspaces."""

    def __init__(self, config: ServerConfig, seed: Seed):
        self.config = config
        self.profile: Profile = profile_named(config.profile)
        self.seed = seed
        self.clock = Clock()
        self.pacer: RunPacer = config.pacer or DelayPacer(config.reply_delay)
        self.workspaces: dict[str, Workspace] = {
            DEFAULT_NAMESPACE: Workspace(seed, self.clock, IdFactory(config.id_seed), self.pacer)
        }

    def workspace_for(self, scope: Scope) -> Workspace:
        return self.workspaces[scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE)]

    @property
    def workspace(self) -> Workspace:
        return self.workspaces[DEFAULT_NAMESPACE]

    async def stop_runs(self) -> None:
        """Cancel every agent run of every workspace and wait for their tasks to finish."""
        for workspace in list(self.workspaces.values()):
            await workspace.runs.aclose()


async def schema(request: Request) -> Response:
    """The OpenAPI document of the request's profile."""
    state: ServerState = request.app.state.fakeserver
    return profile_for(request, state.profile).schema()


async def health(_request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(config: ServerConfig | None = None, seed: Seed | None = None) -> Starlette:
    """The fake as an ASGI app. `seed` skips fixture loading (it is built from `config` if None)."""
    config = config or ServerConfig()
    state = ServerState(config, seed if seed is not None else load_seed(config.fixtures))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await state.stop_runs()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            Route("/_health", health, methods=["GET"]),
            slash_optional(Route("/api/schema/", schema, methods=["GET"])),
            *conversation_routes(),
        ],
        exception_handlers={
            errors.ApiError: errors.handle_api_error,
            DomainError: errors.handle_domain_error,
            HTTPException: errors.handle_http_exception,
            Exception: errors.handle_unexpected_error,
        },
    )
    app.router.redirect_slashes = False
    app.state.fakeserver = state
    return app
