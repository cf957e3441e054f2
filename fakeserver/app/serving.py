"""`fakeserver serve`'s server: the listening socket (a port in use is one clear line), and
uvicorn with the request log's logging."""

from __future__ import annotations

import errno
import gc
import socket
import sys
from collections.abc import Callable
from typing import Any, Final

from fakeserver.app.build import create_app
from fakeserver.app.state import ServerConfig
from fakeserver.control.access import OverSocket
from fakeserver.domain.store import Seed
from fakeserver.harness.request_log import LOGGER_NAME

INTERRUPTED: Final = 130
"""The exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it."""


def serve(
    config: ServerConfig,
    seed: Seed,
    host: str,
    port: int,
    log_level: str,
    announce: Callable[[str], None],
) -> int:
    """Serve over HTTP until interrupted, with uvicorn (uvloop, httptools); `announce` gets the
    base URL once the socket is bound. The exit status: 1 if it cannot start."""
    import uvicorn

    try:
        listening = bind(host, port)
    except OSError as error:
        print(f"fakeserver serve: {bind_problem(host, port, error)}", file=sys.stderr)
        return 1
    app = create_app(config, seed)
    # What is loaded by now (modules, the seed) lives as long as the server. Frozen, the cyclic
    # collector stops walking it again on every full pass while requests come and go.
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(
        uvicorn.Config(
            OverSocket(app, host),
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            log_config=log_config(log_level),
            # uvicorn's info lines (started, shutting down) repeat the banner: hidden at info.
            log_level="warning" if log_level == "info" else log_level,
            access_log=False,  # the request log replaces it: it knows the operation
        )
    )

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            announce(f"http://{host}:{server.servers[0].sockets[0].getsockname()[1]}")

    server.startup = startup  # type: ignore[method-assign]

    original_shutdown = server.shutdown

    async def shutdown(sockets: list[socket.socket] | None = None) -> None:
        # Ending the runs ends their streams; an open stream would otherwise hold Ctrl-C.
        await app.state.fakeserver.stop_runs()
        await original_shutdown(sockets=sockets)

    server.shutdown = shutdown  # type: ignore[method-assign]
    with listening:
        try:
            server.run(sockets=[listening])
        except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down
            return INTERRUPTED
    return 0 if server.started else 1


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here as uvicorn would bind it, then handed to uvicorn: a port
    in use is an error `serve` explains, and the socket checked is the one served (no race)."""
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
