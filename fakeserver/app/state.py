"""The server's state: its configuration (`config.ServerConfig`), the loaded seed, the workspaces
of its namespaces, the journal and the fault rules. Built once per app by `create_app`."""

from __future__ import annotations

from starlette.types import Scope

from fakeserver.api.auth import Authorizer
from fakeserver.api.profiles import Profile, profile_named
from fakeserver.app.config import ServerConfig
from fakeserver.control.access import ControlAccess
from fakeserver.domain.clock import IdFactory
from fakeserver.domain.limits import OFF, limit_mode
from fakeserver.domain.pacing import DelayPacer, RunPacer
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fixture_files import FixtureSource, load_seed
from fakeserver.harness.fault_registry import FaultRegistry
from fakeserver.harness.journal import Journal
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY


class ServerState:
    """What the app holds: the loaded seed, the default profile and the workspaces."""

    def __init__(self, config: ServerConfig, seed: Seed):
        self.config = config
        self.profile: Profile = profile_named(config.profile)
        self.seed = seed
        self.pacer: RunPacer = config.pacer or DelayPacer(config.reply_delay)
        self.limits = None if config.limits is None else limit_mode(config.limits)
        """The server's limits mode, None to leave it to each namespace's fixture."""
        self.namespace_limits: dict[str, str] = {}
        """Limits modes set for one namespace (the control API's), over the server's."""
        self.workspaces: dict[str, Workspace] = {}
        self.namespace(DEFAULT_NAMESPACE)
        self.sources: list[FixtureSource] = list(config.fixtures)
        """What `seed` was loaded from (a namespace's own fixtures: `namespace_sources`)."""
        self.namespace_sources: dict[str, list[FixtureSource]] = {}
        self.journal = Journal(config.journal_size)
        self.faults = FaultRegistry(config.fault_seed)
        self.authorizer = Authorizer()
        self.keepalive = config.keepalive
        self.control_access = ControlAccess.of(
            config.control_token, tuple(config.allow_origins), tuple(config.allow_hosts)
        )

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
            # Each namespace has its own clock: moving one's time moves no other's.
            ids = IdFactory(self.config.id_seed)
            fresh = Workspace(self.seed, None, ids, self.pacer, self.config.replay_speed)
            workspace = self.workspaces.setdefault(name, fresh)
            workspace.set_limit_mode(self.limit_mode(name))
        return workspace

    def limit_mode(self, name: str) -> str:
        """A namespace's limits mode: its own, else the server's, else its fixture's, else off."""
        chosen = self.namespace_limits.get(name) or self.limits
        if chosen is None:
            workspace = self.workspaces.get(name)
            chosen = (workspace.seed if workspace is not None else self.seed).limits
        return chosen or OFF

    def set_limits(self, mode: str | None, namespace: str | None = None) -> None:
        """Set the limits mode of one namespace, or the server's (None: back to the fixture's).
        Raises ValueError for an unknown mode; changes no counter."""
        if mode is not None:
            limit_mode(mode)
        if namespace is None:
            self.limits = mode
        elif mode is None:
            self.namespace_limits.pop(namespace, None)
        else:
            self.namespace_limits[namespace] = mode
        for name in [namespace] if namespace is not None else list(self.workspaces):
            self.namespace(name).set_limit_mode(self.limit_mode(name))

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
            workspace.set_limit_mode(self.limit_mode(name))
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
