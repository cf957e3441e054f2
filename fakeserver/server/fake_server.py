"""`FakeServer`: the fake as a Python object, in-process or live, in pytest or anywhere else.

In-process, `.app` is the ASGI app and `.client()` / `.async_client()` are httpx clients wired to
it (no socket). Live, `.start()` serves it from a thread (`app.serving.Serving`, the launcher
`fakeserver serve` uses too) on 127.0.0.1 and a free port, and `.url` is its address. Either
way the state, journal, faults and limits are reachable from Python.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette

from fakeserver.app.build import create_app
from fakeserver.app.config import ServerConfig, renamed, server_settings
from fakeserver.app.in_process import DroppingASGITransport, EventLoopThread, ThreadTransport
from fakeserver.app.serving import START_TIMEOUT, Serving, bind_problem
from fakeserver.app.state import ServerState
from fakeserver.control.limit_report import limits_report
from fakeserver.domain.models import DEFAULT_ORGANIZATION, Conversation, QueueMessage
from fakeserver.domain.runs import AgentRun, Runs
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fixture_files import FixtureSource, load_seed
from fakeserver.harness.fault_registry import FaultRegistry
from fakeserver.harness.fault_rules import FaultAction, FaultRule
from fakeserver.harness.journal import Journal
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, is_valid_name, namespace_prefix
from fakeserver.harness.request_log import show_request_log
from fakeserver.server.clients import IN_PROCESS_URL, client_options, session_credentials

if TYPE_CHECKING:
    import requests

    from fakeserver.api.profiles import Profile


class FakeServer:
    """One fake PostHog conversations server with its own state, journal and faults.

    `fixtures`: fixture files or fixture documents (dicts), merged in order; the bundled
    default fixture when None. `settings`: any other setting of `ServerConfig`, by its name
    (`keepalive=1.0`, `limits="posthog"`, `allow_origins=[...]`, ...; `fakeserver serve --help`
    describes each). `seed`: an already loaded fixture, instead of loading `fixtures`.
    Use as a context manager to release its thread(s) on exit; with `live=True` the context
    manager also starts the HTTP server.
    """

    def __init__(
        self,
        fixtures: Sequence[FixtureSource] | FixtureSource | None = None,
        profile: str | None = None,
        *,
        live: bool = False,
        seed: Seed | None = None,
        **settings: Any,
    ) -> None:
        settings = renamed(settings)
        unknown = sorted(set(settings) - {spec.name for spec in server_settings()})
        if unknown:
            raise TypeError(f"FakeServer() has no setting {', '.join(unknown)}")
        if isinstance(fixtures, Sequence) and not isinstance(fixtures, str):
            settings["fixtures"] = list(fixtures)
        elif fixtures is not None:
            settings["fixtures"] = [fixtures]
        if profile is not None:
            settings["profile"] = profile
        self.config = ServerConfig(**settings)
        if self.config.access_log:
            show_request_log()
        self._initial_seed = seed if seed is not None else load_seed(self.config.fixtures)
        self.app: Starlette = create_app(self.config, self._initial_seed)
        self.state: ServerState = self.app.state.fakeserver
        self._live = live
        self._serving: Serving | None = None
        self._loop: EventLoopThread | None = None
        """The in-process clients' event loop (sync clients), made on first use."""

    # Lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeServer:
        if self._live:
            self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> FakeServer:
        """Serve over HTTP from a background thread; returns once the socket accepts requests."""
        if self._serving is None:
            host, port = self.config.host, self.config.port
            try:
                serving = Serving(self.app, host, port)
            except OSError as error:
                raise RuntimeError(f"fakeserver: {bind_problem(host, port, error)}") from error
            serving.start()
            self._serving = serving
        return self

    def stop(self) -> None:
        """Stop the live server (no-op if it is not running); in-process use stays possible."""
        if self._serving is not None:
            self._serving.stop()
            self._serving = None

    def close(self) -> None:
        self.stop()
        if self._loop is not None:
            self._loop.run(self.state.stop_runs())
            self._loop.close()
            self._loop = None

    @property
    def is_live(self) -> bool:
        return self._serving is not None

    @property
    def url(self) -> str:
        """The live server's base URL, e.g. http://127.0.0.1:54321."""
        if self._serving is None:
            raise RuntimeError("the server is not live: call start() or use FakeServer(live=True)")
        return self._serving.url

    def base_url(self, namespace: str | None = None) -> str:
        """Base URL of a namespace: live if started, else the in-process one."""
        root = self._serving.url if self._serving is not None else IN_PROCESS_URL
        if namespace is None:
            return root
        if not is_valid_name(namespace):
            raise ValueError(f"{namespace!r} is not a valid namespace name")
        return root + namespace_prefix(namespace)

    # Clients -----------------------------------------------------------------------------

    def session_credentials(self, user: int | str) -> tuple[dict[str, str], dict[str, str]]:
        """(cookies, headers) of a browser signed in as `user` (an id or an email): PostHog's
        session cookie, its CSRF cookie and the matching `X-CSRFToken` header. The `actual`
        profile accepts them on every operation, the queue actions included (where it refuses
        personal API keys); `documented` knows no sessions."""
        return session_credentials(self.state.seed, user)

    def _sync_transport(self) -> ThreadTransport:
        if self._loop is None:
            self._loop = EventLoopThread()
        return ThreadTransport(DroppingASGITransport(self.app), self._loop)

    def client(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
        **kwargs: Any,
    ) -> httpx.Client:
        """A sync httpx client: to the live server if started, else in-process (no socket).
        `as_user` signs it in as that user (`session_credentials`) instead of an API key."""
        if not self.is_live:
            kwargs.setdefault("transport", self._sync_transport())
        options = client_options(self.state.seed, api_key, headers, as_user, kwargs)
        return httpx.Client(base_url=self.base_url(namespace), **options)

    def async_client(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An async httpx client: to the live server if started, else in-process."""
        if not self.is_live:
            kwargs.setdefault("transport", DroppingASGITransport(self.app))
        options = client_options(self.state.seed, api_key, headers, as_user, kwargs)
        return httpx.AsyncClient(base_url=self.base_url(namespace), **options)

    def requests_session(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
    ) -> requests.Session:
        """A `requests.Session` with the base URL put before relative URLs: to the live server
        if started, else in-process through a transport adapter (no socket). Needs `requests`
        (`pip install fakeserver[requests]`)."""
        from fakeserver.app.in_process_requests import BaseURLSession, InProcessAdapter

        session = BaseURLSession(self.base_url(namespace))
        if not self.is_live:
            session.mount(IN_PROCESS_URL + "/", InProcessAdapter(self._sync_transport()))
        options = client_options(self.state.seed, api_key, headers, as_user, {})
        session.headers.update(options["headers"])
        session.cookies.update(options.get("cookies", {}))
        return session

    # State -------------------------------------------------------------------------------

    @property
    def journal(self) -> Journal:
        return self.state.journal

    @property
    def faults(self) -> FaultRegistry:
        return self.state.faults

    @property
    def profile(self) -> Profile:
        return self.state.profile

    def set_profile(self, name: str) -> None:
        self.state.set_profile(name)

    def workspace(self, namespace: str | None = None) -> Workspace:
        """The domain state of a namespace (created on first use), for direct inspection."""
        return self.state.namespace(namespace or DEFAULT_NAMESPACE)

    def reset(self, namespace: str | None = None) -> None:
        """Back to the fixture state (all namespaces, or one), with its journal and faults."""
        self._on_serving_loop(lambda: self.state.reset(namespace))

    def restore(self) -> None:
        """Back to exactly how the server was built: its fixtures, profile, one namespace."""
        self._on_serving_loop(self._restore)

    def _restore(self) -> None:
        state = self.state
        if state.seed is not self._initial_seed or state.namespace_sources:
            state.seed = self._initial_seed
            state.sources = list(self.config.fixtures)
            state.namespace_sources.clear()
        for name in [name for name in state.workspaces if name != DEFAULT_NAMESPACE]:
            state.workspaces.pop(name).runs.stop_all()
        state.workspace.reset(self._initial_seed)
        state.reset()
        state.set_profile(self.config.profile)
        state.namespace_limits.clear()
        state.set_limits(self.config.limits)

    def load_fixture(
        self, source: FixtureSource, namespace: str | None = None, *, replace: bool = False
    ) -> None:
        """Merge a fixture (file or dict) over the current ones, or replace them, and reset.

        Raises `FixtureError` (naming every problem) and changes nothing if it is invalid.
        """
        self._on_serving_loop(lambda: self.state.load_fixture(source, namespace, replace=replace))

    def _on_serving_loop(self, change: Callable[[], object]) -> None:
        """Apply a state change on the event loop that serves requests.

        Agent runs are tasks of that loop, and a reset cancels them: asyncio tasks may only be
        cancelled from their own loop's thread.
        """
        if self._serving is not None:
            loop = self._serving.loop
        else:
            loop = self._loop.loop if self._loop is not None else None
        try:
            asyncio.get_running_loop()
            in_a_loop = True  # an async test: its runs live on its own loop
        except RuntimeError:
            in_a_loop = False
        if loop is None or in_a_loop or not loop.is_running():
            change()
            return

        async def apply() -> None:
            change()

        asyncio.run_coroutine_threadsafe(apply(), loop).result(START_TIMEOUT)

    def conversations(
        self, namespace: str | None = None, *, include_deleted: bool = False
    ) -> list[Conversation]:
        """Every conversation of the namespace, oldest first. Treat them as read-only."""
        found = [
            conversation
            for conversation in self.workspace(namespace).store.conversations()
            if include_deleted or not conversation.deleted
        ]
        return sorted(found, key=lambda conversation: (conversation.created_at, conversation.id))

    def conversation(self, conversation_id: str, namespace: str | None = None) -> Conversation:
        found = self.workspace(namespace).store.conversation(conversation_id)
        if found is None:
            raise KeyError(
                f"no conversation {conversation_id} in namespace {namespace or 'default'}"
            )
        return found

    def runs(self, namespace: str | None = None) -> Runs:
        """The namespace's agent runs (`.active(conversation_id)`, `await .join(...)`)."""
        return self.workspace(namespace).runs

    def run(self, conversation_id: str, namespace: str | None = None) -> AgentRun | None:
        """The conversation's run in progress, if any."""
        return self.workspace(namespace).runs.active(conversation_id)

    def queue(self, conversation_id: str, namespace: str | None = None) -> list[QueueMessage]:
        """The conversation's queued messages, in order."""
        return list(self.conversation(conversation_id, namespace).queue)

    # Faults ------------------------------------------------------------------------------

    def add_fault(
        self,
        operation_id: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        namespace: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        **action: Any,
    ) -> FaultRule:
        """Add a fault rule; `action` takes a rule action's keys (status=429, drop=True, ...)."""
        rule = FaultRule(
            action=FaultAction.from_json(action),
            operation_id=operation_id,
            method=method,
            path=path,
            namespace=namespace,
            times=times,
            probability=probability,
            seed=self.faults.seed if seed is None else seed,
        )
        return self.faults.add(rule)

    @contextlib.contextmanager
    def fault(self, operation_id: str | None = None, **rule: Any) -> Iterator[FaultRule]:
        """A fault rule active for the `with` block only."""
        added = self.add_fault(operation_id, **rule)
        try:
            yield added
        finally:
            self.faults.remove(added.id)

    def remove_fault(self, rule: FaultRule | str) -> bool:
        return self.faults.remove(rule if isinstance(rule, str) else rule.id)

    def clear_faults(self, namespace: str | None = None) -> None:
        self.faults.clear(namespace)

    # Limits (a namespace of None is the default one, except in `set_limits`) -------------

    def set_limits(self, mode: str | None, namespace: str | None = None) -> None:
        """Turn PostHog's limits on (`"posthog"`, `"posthog-debug"`) or off (`"off"`) for one
        namespace, or for the server; None hands the choice back to the fixture. Counters are
        kept. Raises ValueError for an unknown mode."""
        self.state.set_limits(mode, namespace)

    def limits(self, namespace: str | None = None) -> dict[str, Any]:
        """The namespace's limits as the control API shows them: mode, clock, organizations,
        and each user's and key's windows (`used`, `remaining`, `resets_in_seconds`)."""
        name = namespace or DEFAULT_NAMESPACE
        return limits_report(self.state.namespace(name), self.state.limit_mode(name))

    def set_ai_credit_quota(
        self,
        exceeded: bool = True,
        *,
        organization: str | None = None,
        project: int | None = None,
        namespace: str | None = None,
    ) -> None:
        """Put an organization (by id, or the one of `project`; default: the `default`
        organization) over its AI-credit quota, or back under it, until the namespace resets.
        Raises KeyError for an unknown organization or project."""
        workspace = self.workspace(namespace)
        if project is not None:
            organization = workspace.seed.projects[project].organization_id
        workspace.limiter.set_quota_exceeded(organization or DEFAULT_ORGANIZATION, exceeded)

    def advance_clock(self, seconds: float, namespace: str | None = None) -> None:
        """Move the namespace's clock forward: its limit windows and its timestamps follow.
        Raises ValueError for a negative or infinite number of seconds."""
        self.workspace(namespace).clock.advance(seconds)

    def freeze_clock(self, namespace: str | None = None) -> None:
        """Hold the namespace's clock still (until `advance_clock`, `unfreeze_clock` or a reset),
        so that waits and Retry-After values come out exact."""
        self.workspace(namespace).clock.freeze()

    def unfreeze_clock(self, namespace: str | None = None) -> None:
        self.workspace(namespace).clock.unfreeze()
