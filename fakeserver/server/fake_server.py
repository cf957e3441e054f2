"""`FakeServer`: the fake as a Python object, in-process or live, in pytest or anywhere else.

In-process, `.app` is the ASGI app and `.client()` / `.async_client()` are httpx clients wired to
it (no socket). Live, `.start()` runs uvicorn in a daemon thread on 127.0.0.1 and a free port,
and `.url` is its address. Either way the state, journal and faults are reachable from Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from starlette.applications import Starlette

from fakeserver.api.profiles import DEFAULT_PROFILE, Profile
from fakeserver.app import ServerConfig, ServerState, create_app
from fakeserver.app.in_process import EventLoopThread
from fakeserver.control.access import OverSocket
from fakeserver.domain.models import Conversation, QueueMessage
from fakeserver.domain.runs import AgentRun, RunPacer, Runs
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fixture_files import FixtureSource, FixtureText, default_fixture_path, load_seed
from fakeserver.harness.fault_rules import FaultAction, FaultRegistry, FaultRule
from fakeserver.harness.journal import DEFAULT_JOURNAL_SIZE, Journal
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, is_valid_name, namespace_prefix
from fakeserver.harness.request_log import show_request_log
from fakeserver.server.clients import IN_PROCESS_URL, ClientFactory
from fakeserver.server.limits import LimitControls

START_TIMEOUT: Final = 10.0


class FakeServer(ClientFactory, LimitControls):
    """One fake PostHog conversations server with its own state, journal and faults.

    `fixtures`: fixture files or fixture documents (dicts), merged in order; the bundled
    default fixture when None. Use as a context manager to release its thread(s) on exit;
    with `live=True` the context manager also starts the HTTP server. `limits`: PostHog's limits
    (`"posthog"`, `"posthog-debug"`, `"off"`); None leaves it to the fixture's `limits:`.
    `access_log`: one line per API request to the `fakeserver.access` logger (pytest shows them
    with a failing test's captured log; elsewhere configure `logging`).
    """

    def __init__(
        self,
        fixtures: Sequence[FixtureSource] | FixtureSource | None = None,
        profile: str = DEFAULT_PROFILE,
        *,
        live: bool = False,
        id_seed: int | None = None,
        control: bool = True,
        control_token: str | None = None,
        allow_origins: Sequence[str] = (),
        allow_hosts: Sequence[str] = (),
        journal_size: int = DEFAULT_JOURNAL_SIZE,
        fault_seed: int = 0,
        reply_delay: float = 0.0,
        replay_speed: float = 0.0,
        keepalive_interval: float = 15.0,
        pacer: RunPacer | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: Seed | None = None,
        limits: str | None = None,
        access_log: bool = False,
    ) -> None:
        if fixtures is None:
            sources: list[FixtureSource] = [default_fixture_path()]
        elif isinstance(fixtures, str | Path | dict | FixtureText):
            sources = [fixtures]
        else:
            sources = list(fixtures)
        self.config = ServerConfig(
            fixtures=tuple(sources),
            profile=profile,
            id_seed=id_seed,
            control_enabled=control,
            control_token=control_token,
            allowed_origins=tuple(allow_origins),
            allowed_hosts=tuple(allow_hosts),
            journal_size=journal_size,
            fault_seed=fault_seed,
            reply_delay=reply_delay,
            replay_speed=replay_speed,
            keepalive_interval=keepalive_interval,
            pacer=pacer,
            limits=limits,
            access_log=access_log,
        )
        if access_log:
            show_request_log()
        self._initial_seed = seed if seed is not None else load_seed(sources)
        self.app: Starlette = create_app(self.config, self._initial_seed)
        self.state: ServerState = self.app.state.fakeserver
        self.host, self.port = host, port
        self._live = live
        self._uvicorn: Any = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._loop: EventLoopThread | None = None
        self._live_loop: asyncio.AbstractEventLoop | None = None

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
        if self._uvicorn is not None:
            return self
        import uvicorn

        server = uvicorn.Server(
            uvicorn.Config(
                OverSocket(self.app, self.host),
                host=self.host,
                port=self.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        )
        ready = threading.Event()
        original_startup = server.startup

        async def startup(sockets: Any = None) -> None:
            try:
                self._live_loop = asyncio.get_running_loop()
                await original_startup(sockets=sockets)
            finally:
                ready.set()

        server.startup = startup  # type: ignore[method-assign]
        thread = threading.Thread(target=server.run, name="fakeserver-live", daemon=True)
        thread.start()
        if not ready.wait(START_TIMEOUT) or not server.started:
            server.should_exit = True
            thread.join(START_TIMEOUT)
            raise RuntimeError(f"fakeserver could not start on {self.host}:{self.port}")
        port = server.servers[0].sockets[0].getsockname()[1]
        self._uvicorn, self._thread = server, thread
        self._url = f"http://{self.host}:{port}"
        return self

    def stop(self) -> None:
        """Stop the live server (no-op if it is not running); in-process use stays possible."""
        if self._uvicorn is None:
            return
        if self._live_loop is not None:
            # End the agent runs first: uvicorn waits for open streams before it stops.
            stopping = asyncio.run_coroutine_threadsafe(self.state.stop_runs(), self._live_loop)
            stopping.result(START_TIMEOUT)
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        self._uvicorn, self._thread, self._url, self._live_loop = None, None, None, None

    def close(self) -> None:
        self.stop()
        if self._loop is not None:
            self._loop.run(self.state.stop_runs())
            self._loop.close()
            self._loop = None

    @property
    def is_live(self) -> bool:
        return self._url is not None

    @property
    def url(self) -> str:
        """The live server's base URL, e.g. http://127.0.0.1:54321."""
        if self._url is None:
            raise RuntimeError("the server is not live: call start() or use FakeServer(live=True)")
        return self._url

    def base_url(self, namespace: str | None = None) -> str:
        """Base URL of a namespace: live if started, else the in-process one."""
        root = self._url or IN_PROCESS_URL
        if namespace is None:
            return root
        if not is_valid_name(namespace):
            raise ValueError(f"{namespace!r} is not a valid namespace name")
        return root + namespace_prefix(namespace)

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
        loop = self._live_loop or (self._loop.loop if self._loop is not None else None)
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
