"""`fakeserver serve`'s server: the listening socket (a port in use is one clear line), uvicorn
with the request log's logging, and the banner it prints once it listens."""

from __future__ import annotations

import errno
import gc
import socket
import sys
from collections.abc import Sequence
from typing import Any

from fakeserver import __version__
from fakeserver.app.build import create_app
from fakeserver.app.state import ServerConfig
from fakeserver.domain.limits import OFF
from fakeserver.domain.models import READ_SCOPE
from fakeserver.domain.store import Seed
from fakeserver.fixtures import FixtureSource
from fakeserver.tooling.control_access import OverSocket, is_loopback_bind
from fakeserver.tooling.request_log import LOGGER_NAME


def serve(config: ServerConfig, seed: Seed, host: str, port: int, log_level: str) -> int:
    """Serve over HTTP until interrupted, with uvicorn (uvloop, httptools); print the banner once
    the socket is bound. The exit status: 1 if it cannot start."""
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
            # uvicorn's start-up lines repeat the banner: they show at debug and trace only.
            log_level=log_level if log_level in ("debug", "trace") else "warning",
            access_log=False,  # the request log replaces it: it knows the operation
        )
    )

    async def announce_when_ready() -> None:
        bound = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://{host}:{bound}"
        warnings = exposure_warning(host, config.control_token is not None)
        text = banner(
            base_url,
            config.profile,
            config.fixtures,
            seed,
            config.control_enabled,
            warnings,
            config.limits,
        )
        print(text, flush=True)

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            await announce_when_ready()

    server.startup = startup  # type: ignore[method-assign]

    original_shutdown = server.shutdown

    async def shutdown(sockets: list[socket.socket] | None = None) -> None:
        # Ending the runs ends their streams; an open stream would otherwise hold Ctrl-C.
        await app.state.fakeserver.stop_runs()
        await original_shutdown(sockets=sockets)

    server.shutdown = shutdown  # type: ignore[method-assign]
    with listening:
        server.run(sockets=[listening])
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


def exposure_warning(host: str, token: bool) -> list[str]:
    if is_loopback_bind(host):
        return []
    guard = (
        "it needs the control token"
        if token
        else "anyone who can reach it can change the fake's state: start with --control-token"
    )
    return [f"  warning    the control API is reachable from the network ({host}); {guard}"]


def banner(
    base_url: str,
    profile: str,
    fixtures: Sequence[FixtureSource],
    seed: Seed,
    control: bool = True,
    warnings: Sequence[str] = (),
    limits: str | None = None,
) -> str:
    """What `serve` prints: where it is, who can call it, and a curl that works as pasted."""
    lines = [
        f"fakeserver {__version__}: PostHog AI Conversations API, offline",
        f"  base URL   {base_url}",
        f"  profile    {profile} (per request: header X-Fakeserver-Profile: documented|actual)",
        f"  fixtures   {', '.join(str(path) for path in fixtures)}",
        f"  limits     {limits or seed.limits or OFF} (PostHog's throttles and AI-credit quota)",
        f"  schema     {base_url}/api/schema/",
        "  projects",
        *(f"    {project.id:<6} {project.name}" for project in seed.projects.values()),
        "  personal API keys",
    ]
    for key in seed.api_keys.values():
        user = seed.users[key.user_id]
        scopes = " ".join(sorted(key.scopes))
        limited = f" projects {sorted(key.project_ids)}" if key.project_ids is not None else ""
        lines.append(f"    {key.value:<20} {user.email:<24} scopes {scopes}{limited}")
    if control:
        lines.append(f"  control    {base_url}/_fakeserver/")
        lines.append(f"  dashboard  {base_url}/_fakeserver/ui")
        lines.append(f"  namespaces {base_url}/_ns/NAME/api/... (each its own state)")
        lines += warnings
    example = _example_curl(base_url, seed)
    if example:
        lines += ["  try", f"    {example}"]
    return "\n".join(lines)


def _example_curl(base_url: str, seed: Seed) -> str | None:
    for key in seed.api_keys.values():
        user = seed.users[key.user_id]
        project_id = user.current_project_id
        usable = key.project_ids is None or project_id in key.project_ids
        if project_id is not None and usable and key.grants(READ_SCOPE):
            return (
                f'curl -H "Authorization: Bearer {key.value}" '
                f"{base_url}/api/projects/{project_id}/conversations/"
            )
    return None
