"""`fakeserver serve | check-fixture | divergences | openapi | schemathesis-config | verify
| snapshot` (also `python -m fakeserver ...`).

Every setting of `serve` comes from its flag, else its FAKESERVER_* variable, else its default;
flag and variable go through the same parser (`app.settings`), and a bad value is one line on
stderr naming where it came from, exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from fakeserver import __version__
from fakeserver.api.divergences import as_markdown
from fakeserver.api.profiles import DEFAULT_PROFILE, PROFILES, profile_named
from fakeserver.app import ServerConfig, settings
from fakeserver.app.serving import serve
from fakeserver.app.settings import FromEnv, SettingError
from fakeserver.cli import schemathesis_config
from fakeserver.conformance import commands as conformance
from fakeserver.conformance import record_command
from fakeserver.control.access import is_loopback_bind
from fakeserver.domain.limits import LIMIT_MODES, OFF
from fakeserver.domain.models import READ_SCOPE
from fakeserver.domain.store import Seed
from fakeserver.fixture_files import FixtureError, check_fixture, default_fixture_path, load_seed

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8010
SERVE_HELP: Final = "serve the fake API over HTTP"
SERVE_DESCRIPTION: Final = (
    "Serve the fake PostHog AI Conversations API over HTTP, with the state of the fixtures, "
    "the control API and its dashboard, and a log line per request. Each setting comes from "
    "its flag, else its environment variable, else its default."
)


class _Parser(argparse.ArgumentParser):
    """Fills each setting not given as a flag from its environment variable (`FromEnv`), so a
    bad variable is an error like a bad flag: one line naming it, exit status 2."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, rest = super().parse_known_args(args, namespace)
        try:
            for setting in getattr(parsed, "from_env", ()):
                setting.fill(parsed)
        except SettingError as error:
            self.exit(2, f"{self.prog}: error: {error}\n")
        return parsed, rest


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` as an argparse type: its message shown as is after the flag's name."""

    def argument_type(text: str) -> Any:
        try:
            return parse(text)
        except SettingError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    argument_type.__name__ = getattr(parse, "__name__", "value")
    return argument_type


def _setting(
    command: argparse.ArgumentParser, flag: str, setting: FromEnv, help: str, **options: Any
) -> None:
    """A flag whose environment variable `setting` fills in when it is not given."""
    shown = options.pop("shown_default", setting.default)
    default = "" if shown is None else f"; default {shown}"
    if options.get("action") is not argparse.BooleanOptionalAction:
        options["type"] = _argument_type(setting.parse)
    command.add_argument(
        flag,
        dest=setting.dest,
        default=None,
        help=f"{help} (env {setting.variable}{default})",
        **options,
    )
    command.set_defaults(from_env=[*(command.get_default("from_env") or []), setting])


HOST: Final = FromEnv("host", "FAKESERVER_HOST", settings.word, DEFAULT_HOST)
PORT: Final = FromEnv("port", "FAKESERVER_PORT", settings.port, DEFAULT_PORT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fakeserver", description="An offline fake of PostHog's AI Conversations API."
    )
    parser.add_argument("--version", action="version", version=f"fakeserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_arguments(_command(commands, "serve", SERVE_HELP, SERVE_DESCRIPTION))

    check = _command(commands, "check-fixture", "validate fixture files; exit 1 on problems")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a fixture file")

    _command(commands, "divergences", "print every documented-vs-actual difference (Markdown)")

    openapi = _command(commands, "openapi", "print a profile's OpenAPI document")
    _profile_option(openapi)
    openapi.add_argument(
        "--format",
        choices=("json", "yaml"),
        default="json",
        help="json: as /api/schema/ serves it; yaml: the data file, with its comments "
        "(default %(default)s)",
    )

    contract = _command(
        commands,
        "schemathesis-config",
        "print a schemathesis.toml for a run against a live fake with the default fixture",
    )
    _profile_option(contract)
    contract.add_argument(
        "--base-url",
        default=None,
        help="the fake's base URL (default http://FAKESERVER_HOST:FAKESERVER_PORT, "
        f"else http://{DEFAULT_HOST}:{DEFAULT_PORT})",
    )

    conformance.register(commands)
    record_command.register(commands)
    return parser


def _command(
    commands: Any, name: str, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=description or help[0].upper() + help[1:] + "."
    )
    return command


def _serve_arguments(command: argparse.ArgumentParser) -> None:
    _setting(command, "--host", HOST, "address to bind")
    _setting(command, "--port", PORT, "port to bind, 0 for any free one")
    _setting(
        command,
        "--fixture",
        FromEnv("fixtures", "FAKESERVER_FIXTURE", settings.path_text, None, os.pathsep),
        "fixture file (YAML or JSON); repeat to merge several in order",
        action="append",
        metavar="PATH",
        shown_default="the bundled one; the variable separates paths with ':'",
    )
    _profile_option(command)
    _setting(
        command,
        "--id-seed",
        FromEnv("id_seed", "FAKESERVER_ID_SEED", settings.integer),
        "make generated ids repeatable from this seed",
        metavar="N",
    )
    _setting(
        command,
        "--reply-delay",
        FromEnv("reply_delay", "FAKESERVER_REPLY_DELAY", settings.seconds(allow_zero=True), 0.0),
        "seconds between the frames of a simulated agent run",
        metavar="SECONDS",
    )
    _setting(
        command,
        "--replay-speed",
        FromEnv("replay_speed", "FAKESERVER_REPLAY_SPEED", settings.seconds(allow_zero=True), 1.0),
        "recorded runs replay at this multiple of their timing (0: as fast as possible)",
        metavar="FACTOR",
    )
    _setting(
        command,
        "--keepalive",
        FromEnv("keepalive", "FAKESERVER_KEEPALIVE", settings.seconds(allow_zero=False), 15.0),
        "seconds of stream silence before a ': keepalive' comment",
        metavar="SECONDS",
    )
    _setting(
        command,
        "--limits",
        FromEnv("limits", "FAKESERVER_LIMITS", settings.limits_mode),
        "PostHog's rate limits and AI-credit quota",
        metavar="{" + ",".join(LIMIT_MODES) + "}",
        shown_default="the fixture's `limits:`, else off",
    )
    _setting(
        command,
        "--control",
        FromEnv("control", "FAKESERVER_CONTROL", settings.boolean, True),
        "serve the control API (/_fakeserver/...) and its dashboard",
        action=argparse.BooleanOptionalAction,
        shown_default="on",
    )
    _setting(
        command,
        "--control-token",
        FromEnv("control_token", "FAKESERVER_CONTROL_TOKEN", settings.word),
        "require this token in X-Fakeserver-Control-Token on control API calls",
        metavar="TOKEN",
    )
    _setting(
        command,
        "--allow-origin",
        FromEnv("allowed_origins", "FAKESERVER_ALLOW_ORIGIN", settings.origin, [], ","),
        "let pages of this origin (e.g. http://localhost:3000, or *) call the control API; "
        "repeatable",
        action="append",
        metavar="ORIGIN",
        shown_default="none; the variable separates origins with ','",
    )
    _setting(
        command,
        "--allow-host",
        FromEnv("allowed_hosts", "FAKESERVER_ALLOW_HOST", settings.host_name, [], ","),
        "answer control API calls sent to this host name (besides localhost and loopback "
        "addresses; * for any); repeatable",
        action="append",
        metavar="NAME",
        shown_default="none; the variable separates names with ','",
    )
    _setting(
        command,
        "--log-level",
        FromEnv("log_level", "FAKESERVER_LOG_LEVEL", settings.log_level, "info"),
        "lowest level logged; the request log's lines are at info (warning hides them); "
        "uvicorn's own info lines (started, shutting down) show at debug and trace only",
        metavar="{" + ",".join(settings.LOG_LEVELS) + "}",
    )
    _setting(
        command,
        "--access-log",
        FromEnv("access_log", "FAKESERVER_ACCESS_LOG", settings.boolean, True),
        "log one line per API request on stderr: method, path, status, duration, and the "
        "operation it matched or why it matched none",
        action=argparse.BooleanOptionalAction,
        shown_default="on",
    )


def _profile_option(command: argparse.ArgumentParser) -> None:
    _setting(
        command,
        "--profile",
        FromEnv("profile", "FAKESERVER_PROFILE", settings.profile_name, DEFAULT_PROFILE),
        "fidelity profile",
        metavar="{" + ",".join(sorted(PROFILES)) + "}",
    )


def _default_base_url() -> str:
    return f"http://{HOST.value()}:{PORT.value()}"


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
    fixtures = [Path(path) for path in args.fixtures or [default_fixture_path()]]
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
        replay_speed=args.replay_speed,
        keepalive_interval=args.keepalive,
        control_enabled=args.control,
        control_token=args.control_token,
        allowed_origins=tuple(args.allowed_origins),
        allowed_hosts=tuple(args.allowed_hosts),
        limits=args.limits,
        access_log=args.access_log,
    )

    def announce(base_url: str) -> None:
        warnings = _exposure_warning(args.host, args.control_token is not None)
        text = banner(base_url, args.profile, fixtures, seed, args.control, warnings, args.limits)
        print(text, flush=True)

    return serve(config, seed, args.host, args.port, args.log_level, announce)


def _check_fixture(args: argparse.Namespace) -> int:
    problems = check_fixture(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {', '.join(str(path) for path in args.paths)}")
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except SettingError as error:  # a variable read later (schemathesis-config's base URL)
        parser.exit(2, f"fakeserver {args.command}: error: {error}\n")


def _run(args: argparse.Namespace) -> int:
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
