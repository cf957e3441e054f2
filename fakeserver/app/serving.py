"""The one launcher: uvicorn (uvloop, httptools) serving an app on a socket bound beforehand, in
this thread until Ctrl-C (`fakeserver serve`) or in a daemon thread (`FakeServer.start`).

Binding first makes a port in use an error explained in one line, on the very socket served
(no race). On shutdown the agent runs end first: an open stream would otherwise hold it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
from collections.abc import Callable
from typing import Any, Final

from starlette.applications import Starlette

from fakeserver.control.access import OverSocket
from fakeserver.harness.request_log import LOGGER_NAME

INTERRUPTED: Final = 130
"""The exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it."""
START_TIMEOUT: Final = 10.0


class Serving:
    """uvicorn serving `app` on `host:port` (0: a free port). Raises OSError if it cannot bind
    (`bind_problem` says why in one line).

    `log_level` is the request log's and uvicorn's lowest level; `configure_logging` installs
    uvicorn's logging config with the request log's logger (a command does, a library does not).
    """

    def __init__(
        self,
        app: Starlette,
        host: str,
        port: int,
        *,
        log_level: str = "warning",
        configure_logging: bool = False,
    ) -> None:
        import uvicorn

        self.app = app
        self.host = host
        self.listening = bind(host, port)
        self.port: int = self.listening.getsockname()[1]
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop serving requests, once started."""
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._on_ready: Callable[[str], None] | None = None
        self.server = uvicorn.Server(
            uvicorn.Config(
                OverSocket(app, host),
                host=host,
                port=self.port,
                loop="uvloop",
                http="httptools",
                log_config=log_config(log_level) if configure_logging else None,
                # uvicorn's info lines (started, shutting down) repeat the banner: hidden at info.
                log_level="warning" if log_level == "info" else log_level,
                access_log=False,  # the request log replaces it: it knows the operation
            )
        )
        self._hook_startup_and_shutdown()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _hook_startup_and_shutdown(self) -> None:
        server = self.server
        original_startup, original_shutdown = server.startup, server.shutdown

        async def startup(sockets: list[socket.socket] | None = None) -> None:
            try:
                self.loop = asyncio.get_running_loop()
                await original_startup(sockets=sockets)
                if server.started and self._on_ready is not None:
                    self._on_ready(self.url)
            finally:
                self._started.set()

        async def shutdown(sockets: list[socket.socket] | None = None) -> None:
            # Ending the runs ends their streams; an open stream would otherwise hold the stop.
            await self.app.state.fakeserver.stop_runs()
            await original_shutdown(sockets=sockets)

        server.startup = startup  # type: ignore[method-assign]
        server.shutdown = shutdown  # type: ignore[method-assign]

    def run(self, on_ready: Callable[[str], None] | None = None) -> int:
        """Serve in this thread until Ctrl-C; `on_ready` gets the base URL once it serves.
        The exit status: 1 if it could not start, `INTERRUPTED` after Ctrl-C."""
        self._on_ready = on_ready
        with self.listening:
            try:
                self.server.run(sockets=[self.listening])
            except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down
                return INTERRUPTED
        return 0 if self.server.started else 1

    def start(self) -> None:
        """Serve from a daemon thread; returns once the socket accepts requests."""
        thread = threading.Thread(target=self.run, name="fakeserver-live", daemon=True)
        thread.start()
        if not self._started.wait(START_TIMEOUT) or not self.server.started:
            self.server.should_exit = True
            thread.join(START_TIMEOUT)
            raise RuntimeError(f"fakeserver could not start on {self.host}:{self.port}")
        self._thread = thread

    def stop(self) -> None:
        """Stop serving (from another thread) and wait until it has."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
            self._thread = None


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here as uvicorn would bind it, then handed to uvicorn."""
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError:
        listening.close()
        raise
    listening.set_inheritable(True)
    return listening


def bind_problem(host: str, port: int, error: OSError) -> str:
    """One line on why `bind` failed, with what to do about it."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"{host}:{port} is in use (another fakeserver?); choose another with --port, "
            "or --port 0 for a free one"
        )
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config, plus the request log's logger at `level` on stderr."""
    from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG, "loggers": dict(LOGGING_CONFIG["loggers"])}
    config["loggers"][LOGGER_NAME] = {
        "handlers": ["default"],
        "level": LOG_LEVELS[level],
        "propagate": False,
    }
    return config
