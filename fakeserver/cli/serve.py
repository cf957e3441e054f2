"""`fakeserver serve`: every setting of `ServerConfig` as an option, the log level, and the banner
it prints once the socket is bound."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import Any, Final

import click

from fakeserver import __version__
from fakeserver.app import create_app
from fakeserver.app.config import ServerConfig, Setting
from fakeserver.app.serving import Serving, bind_problem
from fakeserver.app.settings import log_level
from fakeserver.cli.options import setting_option, with_settings
from fakeserver.control.access import is_loopback_bind
from fakeserver.domain.limits import OFF
from fakeserver.domain.models import READ_SCOPE
from fakeserver.domain.store import Seed
from fakeserver.fixture_files import FixtureError, load_seed

SERVE_HELP: Final = "serve the fake API over HTTP"
SERVE_DESCRIPTION: Final = (
    "Serve the fake PostHog AI Conversations API over HTTP, with the state of the fixtures, "
    "the control API and its dashboard, and a log line per request. Each setting comes from "
    "its flag, else its environment variable, else its default."
)
LOG_LEVEL: Final = Setting(
    "lowest level logged; the request log's lines are at info (warning hides them); "
    "uvicorn's own info lines (started, shutting down) show at debug and trace only",
    log_level,
    name="log_level",
    default="info",
)
"""The command's own setting: a library (FakeServer) leaves logging to its program."""


@click.command("serve", help=SERVE_DESCRIPTION, short_help=SERVE_HELP)
@with_settings()
@setting_option(LOG_LEVEL)
def serve(log_level: str, **settings: Any) -> int:
    config = _config(settings)
    try:
        seed = load_seed(config.fixtures)
    except FixtureError as error:
        print(error, file=sys.stderr)
        return 1
    app = create_app(config, seed)
    try:
        serving = Serving(
            app, config.host, config.port, log_level=log_level, configure_logging=True
        )
    except OSError as error:
        print(f"fakeserver serve: {bind_problem(config.host, config.port, error)}", file=sys.stderr)
        return 1

    def announce(base_url: str) -> None:
        warnings = _exposure_warning(config.host, config.control_token is not None)
        text = banner(
            base_url, config.profile, config.fixtures, seed, config.control, warnings, config.limits
        )
        print(text, flush=True)

    # What is loaded by now (modules, the seed) lives as long as the server. Frozen, the cyclic
    # collector stops walking it again on every full pass while requests come and go.
    gc.collect()
    gc.freeze()
    return serving.run(announce)


def _config(settings: dict[str, Any]) -> ServerConfig:
    if not settings["fixtures"]:
        settings = {name: value for name, value in settings.items() if name != "fixtures"}
    return ServerConfig(**settings)  # no fixture given: the bundled one, ServerConfig's default


def serve_config(argv: Sequence[str]) -> ServerConfig:
    """What `fakeserver serve ARGV` would serve, without serving; raises click.UsageError."""
    with serve.make_context("serve", list(argv)) as context:
        settings = dict(context.params)
    del settings[LOG_LEVEL.name]
    return _config(settings)


def _exposure_warning(host: str, token: bool) -> list[str]:
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
    fixtures: Sequence[Any],
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
