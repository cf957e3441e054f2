"""Assemble the Starlette application from a configuration."""

from __future__ import annotations

from collections.abc import Sequence
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


class ServerState:
    """What the app holds: the loaded seed, the default profile and the workspaces."""

    def __init__(self, config: ServerConfig, seed: Seed):
        self.config = config
        self.profile: Profile = profile_named(config.profile)
        self.seed = seed
        self.clock = Clock()
        self.workspaces: dict[str, Workspace] = {
            DEFAULT_NAMESPACE: Workspace(seed, self.clock, IdFactory(config.id_seed))
        }

    def workspace_for(self, scope: Scope) -> Workspace:
        return self.workspaces[scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE)]

    @property
    def workspace(self) -> Workspace:
        return self.workspaces[DEFAULT_NAMESPACE]


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
    app = Starlette(
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
