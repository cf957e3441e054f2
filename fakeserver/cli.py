"""`fakeserver serve | check-fixture | divergences | openapi | schemathesis-config | verify
| snapshot` (also `python -m fakeserver ...`)."""

from __future__ import annotations

import argparse
import gc
import math
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fakeserver import __version__
from fakeserver.api.divergences import as_markdown
from fakeserver.api.profiles import DEFAULT_PROFILE, PROFILES, profile_named
from fakeserver.app import ServerConfig, create_app
from fakeserver.conformance import commands as conformance
from fakeserver.domain.limits import LIMIT_MODES, OFF
from fakeserver.domain.models import READ_SCOPE
from fakeserver.domain.store import Seed
from fakeserver.fixtures import FixtureError, check_fixture, default_fixture_path, load_seed
from fakeserver.tooling import schemathesis_config
from fakeserver.tooling.control_access import OverSocket, is_loopback_bind

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8010


def _seconds(allow_zero: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, >= 0 or > 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise argparse.ArgumentTypeError(f"expected a number of seconds {bound}, got {text!r}")
        return value

    return parse


def _limits_mode(text: str) -> str:
    """An argparse type (checked on the env var's default too, which `choices` is not)."""
    if text not in LIMIT_MODES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LIMIT_MODES)}, got {text!r}")
    return text


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="fakeserver", description="An offline fake of PostHog's AI Conversations API."
    )
    parser.add_argument("--version", action="version", version=f"fakeserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the fake API over HTTP")
    serve.add_argument(
        "--host",
        default=env("FAKESERVER_HOST", DEFAULT_HOST),
        help="address to bind (env FAKESERVER_HOST; default %(default)s)",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=env("FAKESERVER_PORT", str(DEFAULT_PORT)),
        help="port to bind, 0 for any free one (env FAKESERVER_PORT; default %(default)s)",
    )
    serve.add_argument(
        "--fixture",
        action="append",
        type=Path,
        dest="fixtures",
        help="fixture file (YAML or JSON); repeat to merge several in order "
        "(env FAKESERVER_FIXTURE, paths separated by ':'; default: the bundled one)",
    )
    _profile_option(serve)
    serve.add_argument(
        "--id-seed", type=int, default=None, help="make generated ids repeatable from this seed"
    )
    serve.add_argument(
        "--reply-delay",
        type=_seconds(allow_zero=True),
        default=env("FAKESERVER_REPLY_DELAY", "0"),
        help="seconds between the frames of a simulated agent run "
        "(env FAKESERVER_REPLY_DELAY; default %(default)s)",
    )
    serve.add_argument(
        "--keepalive",
        type=_seconds(allow_zero=False),
        default=env("FAKESERVER_KEEPALIVE", "15"),
        help="seconds of stream silence before a ': keepalive' comment "
        "(env FAKESERVER_KEEPALIVE; default %(default)s)",
    )
    serve.add_argument(
        "--limits",
        type=_limits_mode,
        default=env("FAKESERVER_LIMITS"),
        metavar="{" + ",".join(LIMIT_MODES) + "}",
        help="PostHog's rate limits and AI-credit quota (env FAKESERVER_LIMITS; "
        "default: the fixture's `limits:`, else off)",
    )
    serve.add_argument(
        "--no-control",
        action="store_false",
        dest="control",
        help="do not serve the control API (/_fakeserver/...)",
    )
    serve.add_argument(
        "--control-token",
        default=env("FAKESERVER_CONTROL_TOKEN"),
        help="require this token in X-Fakeserver-Control-Token on control API "
        "calls (env FAKESERVER_CONTROL_TOKEN)",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        dest="allowed_origins",
        metavar="ORIGIN",
        help="let pages of this origin (e.g. http://localhost:3000, or *) call the control API; "
        "repeatable (env FAKESERVER_ALLOW_ORIGIN, comma-separated)",
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        dest="allowed_hosts",
        metavar="NAME",
        help="answer control API calls sent to this host name (besides localhost and loopback "
        "addresses; * for any); repeatable (env FAKESERVER_ALLOW_HOST, comma-separated)",
    )

    check = commands.add_parser("check-fixture", help="validate fixture files; exit 1 on problems")
    check.add_argument("paths", nargs="+", type=Path)

    commands.add_parser("divergences", help="print every documented-vs-actual difference")

    openapi = commands.add_parser("openapi", help="print a profile's OpenAPI document")
    _profile_option(openapi)
    openapi.add_argument(
        "--format",
        choices=("json", "yaml"),
        default="json",
        help="json: as /api/schema/ serves it; yaml: the data file, with its comments "
        "(default %(default)s)",
    )

    contract = commands.add_parser(
        "schemathesis-config",
        help="print a schemathesis.toml for a run against a live fake with the default fixture",
    )
    _profile_option(contract)
    contract.add_argument(
        "--base-url",
        default=None,
        help="the fake's base URL (default http://FAKESERVER_HOST:FAKESERVER_PORT, "
        f"else http://{DEFAULT_HOST}:{DEFAULT_PORT})",
    )

    conformance.register(commands)
    return parser


def _profile_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=os.environ.get("FAKESERVER_PROFILE", DEFAULT_PROFILE),
        help="fidelity profile (env FAKESERVER_PROFILE; default %(default)s)",
    )


def _default_base_url() -> str:
    host = os.environ.get("FAKESERVER_HOST", DEFAULT_HOST)
    port = os.environ.get("FAKESERVER_PORT", str(DEFAULT_PORT))
    return f"http://{host}:{port}"


def _fixtures_from(args: argparse.Namespace) -> list[Path]:
    if args.fixtures:
        return list(args.fixtures)
    from_env = os.environ.get("FAKESERVER_FIXTURE")
    if from_env:
        return [Path(part) for part in from_env.split(os.pathsep) if part]
    return [default_fixture_path()]


def _listed(given: list[str] | None, variable: str) -> tuple[str, ...]:
    """A repeatable option's values, else its environment variable's comma-separated ones."""
    if given:
        return tuple(given)
    return tuple(part.strip() for part in os.environ.get(variable, "").split(",") if part.strip())


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
    fixtures: Sequence[Path],
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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    fixtures = _fixtures_from(args)
    try:
        seed = load_seed(fixtures)
    except FixtureError as error:
        print(error, file=sys.stderr)
        return 1
    config = ServerConfig(
        fixtures=tuple(fixtures),
        profile=args.profile,
        id_seed=args.id_seed,
        reply_delay=args.reply_delay,
        keepalive_interval=args.keepalive,
        control_enabled=args.control,
        control_token=args.control_token,
        allowed_origins=_listed(args.allowed_origins, "FAKESERVER_ALLOW_ORIGIN"),
        allowed_hosts=_listed(args.allowed_hosts, "FAKESERVER_ALLOW_HOST"),
        limits=args.limits,
    )
    app = create_app(config, seed)
    # What is loaded by now (modules, the seed) lives as long as the server. Frozen, the cyclic
    # collector stops walking it again on every full pass while requests come and go.
    gc.collect()
    gc.freeze()
    server = uvicorn.Server(
        uvicorn.Config(
            OverSocket(app, args.host),
            host=args.host,
            port=args.port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
        )
    )

    async def announce_when_ready() -> None:
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://{args.host}:{port}"
        warnings = _exposure_warning(args.host, args.control_token is not None)
        text = banner(base_url, args.profile, fixtures, seed, args.control, warnings, args.limits)
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
    server.run()
    return 0 if server.started else 1


def _check_fixture(args: argparse.Namespace) -> int:
    problems = check_fixture(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {', '.join(str(path) for path in args.paths)}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if hasattr(args, "handler"):
        return int(args.handler(args))
    if args.command == "serve":
        return _serve(args)
    if args.command == "check-fixture":
        return _check_fixture(args)
    if args.command == "openapi":
        profile = profile_named(args.profile)
        text = profile.openapi_yaml if args.format == "yaml" else profile.openapi_document.decode()
        print(text, end="" if text.endswith("\n") else "\n")
        return 0
    if args.command == "schemathesis-config":
        base_url = args.base_url or _default_base_url()
        print(schemathesis_config.as_toml(args.profile, base_url), end="")
        return 0
    print(as_markdown(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
