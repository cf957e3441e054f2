"""Assemble the Starlette application from a configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Scope

from fakeserver.api.auth import Authorizer
from fakeserver.api.profiles import DEFAULT_PROFILE, Profile, profile_for, profile_named
from fakeserver.api.routes import conversation_routes, slash_optional
from fakeserver.control import control_routes
from fakeserver.dispatch import ShapeIndexedRouter
from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.runs import DelayPacer, RunPacer
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fault_rules import FaultRegistry
from fakeserver.faults import FaultInjector
from fakeserver.fixtures import FixtureSource, default_fixture_path, load_seed
from fakeserver.gateway import Gateway
from fakeserver.journal import DEFAULT_JOURNAL_SIZE, Journal
from fakeserver.journal_recorder import JournalRecorder, OperationResolver
from fakeserver.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY

__all__ = ["DEFAULT_NAMESPACE", "NAMESPACE_SCOPE_KEY", "ServerConfig", "ServerState", "create_app"]


@dataclass(frozen=True)
class ServerConfig:
    fixtures: Sequence[FixtureSource] = field(default_factory=lambda: (default_fixture_path(),))
    profile: str = DEFAULT_PROFILE
    id_seed: int | None = None
    """Seed for generated ids (queue messages, ...); None for random ones."""
    reply_delay: float = 0.0
    """Seconds between the frames of a simulated agent run (0: a turn plays at once)."""
    keepalive_interval: float = 15.0
    """Seconds of silence after which a stream writes `: keepalive`."""
    pacer: RunPacer | None = None
    """Overrides `reply_delay`: e.g. a `GatedPacer` that lets tests step runs frame by frame."""
    control_enabled: bool = True
    """Serve the control API under /_fakeserver/."""
    control_token: str | None = None
    """If set, control API calls must send it in `X-Fakeserver-Control-Token`."""
    journal_size: int = DEFAULT_JOURNAL_SIZE
    fault_seed: int = 0
    """Default seed of each fault rule's RNG (for rules with a probability)."""


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
        self.sources: list[FixtureSource] = list(config.fixtures)
        """What `seed` was loaded from (a namespace's own fixtures: `namespace_sources`)."""
        self.namespace_sources: dict[str, list[FixtureSource]] = {}
        self.journal = Journal(config.journal_size)
        self.faults = FaultRegistry(config.fault_seed)
        self.authorizer = Authorizer()

    def workspace_for(self, scope: Scope) -> Workspace:
        return self.namespace(scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE))

    def seed_for(self, scope: Scope) -> Seed:
        """The seed of the request's namespace, without creating the namespace."""
        workspace = self.workspaces.get(scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE))
        return workspace.seed if workspace is not None else self.seed

    def namespace(self, name: str) -> Workspace:
        """The namespace's workspace, created from the seed on first use."""
        workspace = self.workspaces.get(name)
        if workspace is None:
            fresh = Workspace(self.seed, self.clock, IdFactory(self.config.id_seed), self.pacer)
            workspace = self.workspaces.setdefault(name, fresh)
        return workspace

    def reset(self, namespace: str | None = None) -> list[str]:
        """Back to the fixture state: every namespace, or one. Clears their journal and faults.

        A namespace's reset swaps its store (O(1)) and never touches another namespace.
        """
        names = list(self.workspaces) if namespace is None else [namespace]
        for name in names:
            workspace = self.workspaces.get(name)
            if workspace is not None:  # one never used is at its fixture state already
                workspace.reset()
                workspace.ids = IdFactory(self.config.id_seed)
        self.journal.clear(namespace)
        self.faults.clear(namespace)
        return names

    def load_fixture(
        self, source: FixtureSource, namespace: str | None = None, replace: bool = False
    ) -> Seed:
        """Merge a fixture over the current ones (or replace them) and reset to the result.

        Without a namespace the server's seed changes, and every namespace restarts from it.
        Raises `FixtureError` and changes nothing when the fixture is invalid.
        """
        current = self.namespace_sources.get(namespace or "", self.sources)
        sources = [source] if replace else [*current, source]
        seed = load_seed(sources)
        if namespace is None:
            self.sources, self.seed = sources, seed
            self.namespace_sources.clear()
            targets = list(self.workspaces)
        else:
            self.namespace_sources[namespace] = sources
            targets = [namespace]
        for name in targets:
            workspace = self.namespace(name)
            workspace.reset(seed)
            workspace.ids = IdFactory(self.config.id_seed)
        return seed

    def set_profile(self, name: str) -> None:
        """Change the server's default profile; raises ValueError for an unknown name."""
        self.profile = profile_named(name)

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
            share_body=not self.user_middleware,
        )
        return Gateway(inner, recorder, FaultInjector(state.faults))


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
            *(control_routes() if config.control_enabled else []),
        ],
    )
    app.router.redirect_slashes = False
    app.state.fakeserver = app.server_state = state
    return app
