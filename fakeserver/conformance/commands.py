"""The `verify` and `snapshot` subcommands: their arguments and what they print.

Everything they print or write passes through `Redactor`, so neither the personal API key nor
the web session (its cookie and CSRF token) can appear in an output, a report or a fixture,
whatever a target sends back. Errors the user can fix are one line on stderr and exit status 2;
`verify` exits 1 on a new difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

import click

from fakeserver.conformance.client import DEFAULT_TIMEOUT, ApiClient, TargetError
from fakeserver.conformance.progress import Progress
from fakeserver.conformance.report import as_json, as_table
from fakeserver.conformance.scrub import scrub_fixture
from fakeserver.conformance.seeding import SeedProblem, seed_fixture
from fakeserver.conformance.session import session_cookie_value, sign_in
from fakeserver.conformance.snapshot import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_SESSION,
    read_snapshot,
    render_fixture,
)
from fakeserver.conformance.verify import VerifyOptions, verify

EXIT_NEW_DIFFERENCES: Final = 1
EXIT_CANNOT_CHECK: Final = 2
MAX_TOLD: Final = 20
MIN_SECRET_START: Final = 4
"""The shortest start of a secret taken out where a value was cut short."""
KEY_ENV: Final = "POSTHOG_PERSONAL_API_KEY"
SESSION_ENV: Final = "POSTHOG_SESSION_COOKIE"
WRITES_WARNING: Final = (
    "--allow-writes creates a conversation on {target} and runs PostHog AI on it: the agent "
    "run is billed to your organization (AI credits). It also queues, edits, deletes and clears "
    "queued messages, cancels the run, appends to it and deletes the conversation it created."
)


class Redactor:
    """Writes text with the secrets (if they ever show up) replaced by `[redacted]`."""

    def __init__(self, *secrets: str | None) -> None:
        # The longest first, so a secret holding another is taken out whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
            # A value cut short (`...`) may end inside a secret: its start goes too.
            for length in range(len(secret) - 1, MIN_SECRET_START - 1, -1):
                text = text.replace(secret[:length] + "...", "[redacted]...")
        return text

    def clean_value(self, value: Any) -> Any:
        """A JSON-like value with the key taken out of every string (keys of objects too)."""
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, list):
            return [self.clean_value(item) for item in value]
        if isinstance(value, dict):
            return {self.clean(str(k)): self.clean_value(item) for k, item in value.items()}
        return value

    def write(self, stream: TextIO, text: str) -> None:
        stream.write(self.clean(text))
        stream.flush()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {text!r}")
    return value


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _target_arguments(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--target",
                required=True,
                help="the PostHog to check: https://us.posthog.com, https://eu.posthog.com or "
                "your own",
            ),
            click.option(
                "--personal-api-key",
                envvar=KEY_ENV,
                show_envvar=True,
                help="a personal API key with conversation:read; never printed",
            ),
            click.option(
                "--session-cookie",
                envvar=SESSION_ENV,
                show_envvar=True,
                metavar="VALUE",
                help="the `sessionid` cookie of a browser signed in to the target: reaches the "
                "queue, cancel, append_message and open, which refuse keys; never printed",
            ),
            click.option(
                "--project", type=_positive_int, required=True, metavar="ID", help="the project id"
            ),
            click.option(
                "--timeout",
                type=_timeout,
                default=DEFAULT_TIMEOUT,
                show_default=True,
                metavar="SECONDS",
                help="seconds to wait for each answer",
            ),
        ]
    ):
        command = option(command)
    return command


@click.command(
    "verify",
    short_help="compare the fake with a real PostHog; exit 1 on a new difference",
    help="Send the same requests to the fake and to a real PostHog and report where their "
    "answers differ, beyond the documented divergences. Read-only unless --allow-writes. Exit "
    "status 1 on a new difference, 2 when the target cannot be checked.",
)
@_target_arguments
@click.option(
    "--profile",
    type=click.Choice(["actual", "documented"]),
    default="actual",
    show_default=True,
    help="the fake's profile to compare",
)
@click.option("--json", "json", is_flag=True, help="print the report as JSON (for CI)")
@click.option(
    "--allow-writes",
    is_flag=True,
    help="also create a conversation (a billed agent run), use its queue, cancel, delete it; "
    "needs --session-cookie",
)
@click.option("--yes", is_flag=True, help="do not ask before --allow-writes")
@click.option(
    "--csrf-token",
    metavar="TOKEN",
    help="the `posthog_csrftoken` cookie of the signed-in browser, when the target's app page "
    "does not give one to the session (it normally does); never printed",
)
def verify_command(**arguments: Any) -> int:
    return run_verify(argparse.Namespace(command="verify", **arguments), sleep=_sleep())


@click.command(
    "snapshot",
    short_help="write a project's conversations on a PostHog as a fixture file",
    help="Read a project's conversations from a PostHog (read-only) and write them as a fixture "
    "that `fakeserver serve --fixture` loads; --scrub replaces their texts.",
)
@_target_arguments
@click.option("--limit", type=_positive_int, metavar="N", help="at most this many conversations")
@click.option(
    "--scrub",
    is_flag=True,
    help="replace message texts, titles, names and emails with generated ones of the same "
    "length and shape",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="the fixture file (.json: JSON, else YAML); default stdout",
)
def snapshot_command(**arguments: Any) -> int:
    return run_snapshot(argparse.Namespace(command="snapshot", **arguments), sleep=_sleep())


def register(group: click.Group) -> None:
    """Add `verify` and `snapshot` to the CLI's commands."""
    group.add_command(verify_command)
    group.add_command(snapshot_command)


@dataclass(frozen=True)
class Sleep:
    """The wait between retries after a 429, as `run` injects it (tests: no real sleep)."""

    wait: Callable[[float], None]


def _sleep() -> Callable[[float], None]:
    injected = click.get_current_context().find_object(Sleep)
    return injected.wait if injected is not None else time.sleep


def _key(args: argparse.Namespace) -> str | None:
    key = args.personal_api_key
    if not key or not key.strip():
        print(
            f"fakeserver {args.command}: give --personal-api-key or set {KEY_ENV}",
            file=sys.stderr,
        )
        return None
    return str(key).strip()


def _confirmed(target: str, redactor: Redactor) -> bool:
    redactor.write(sys.stderr, WRITES_WARNING.format(target=target) + "\n")
    if not sys.stdin.isatty():
        redactor.write(sys.stderr, "fakeserver verify: not a terminal to ask on; add --yes\n")
        return False
    redactor.write(sys.stderr, "Continue? [y/N] ")
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _session_cookie(args: argparse.Namespace) -> str | None:
    cookie = args.session_cookie
    return session_cookie_value(cookie) if cookie and cookie.strip() else None


def run_verify(args: argparse.Namespace, *, sleep: Callable[[float], None] = time.sleep) -> int:
    key = _key(args)
    if key is None:
        return EXIT_CANNOT_CHECK
    cookie = _session_cookie(args)
    redactor = Redactor(key, cookie, args.csrf_token)
    if args.allow_writes and cookie is None:
        print(
            "fakeserver verify: --allow-writes needs a session (--session-cookie or "
            f"{SESSION_ENV}): the queue, cancel and append steps refuse personal API keys",
            file=sys.stderr,
        )
        return EXIT_CANNOT_CHECK
    if args.allow_writes and not args.yes and not _confirmed(args.target, redactor):
        return EXIT_CANNOT_CHECK
    options = VerifyOptions(
        target=args.target,
        api_key=key,
        project_id=args.project,
        profile=args.profile,
        allow_writes=args.allow_writes,
        session_cookie=cookie,
        csrf_token=args.csrf_token,
        timeout=args.timeout,
        sleep=sleep,
    )
    try:
        report = verify(options)
    except TargetError as error:
        redactor.write(sys.stderr, f"fakeserver verify: {error}\n")
        return EXIT_CANNOT_CHECK
    redactor = Redactor(*redactor.secrets, *report.secrets)
    if args.json:
        cleaned = redactor.clean_value(as_json(report))
        redactor.write(sys.stdout, json.dumps(cleaned, indent=2, ensure_ascii=False) + "\n")
    else:
        redactor.write(sys.stdout, as_table(report))
    return EXIT_NEW_DIFFERENCES if report.new_differences else 0


def run_snapshot(args: argparse.Namespace, *, sleep: Callable[[float], None] = time.sleep) -> int:
    key = _key(args)
    if key is None:
        return EXIT_CANNOT_CHECK
    cookie = _session_cookie(args)
    # The placeholders are public: a served snapshot is read back with them.
    placeholders = (PLACEHOLDER_KEY, PLACEHOLDER_SESSION)
    redactor = Redactor(*(secret for secret in (key, cookie) if secret not in placeholders))
    progress: Progress | None = None

    def start(total: int) -> None:
        nonlocal progress
        progress = Progress("snapshot: conversations", total)

    def advance() -> None:
        if progress is not None:
            progress.advance()

    try:
        with ApiClient(args.target, key, timeout=args.timeout, sleep=sleep) as client:
            session = sign_in(client, args.project, cookie, need_csrf=False) if cookie else None
            snapshot = read_snapshot(
                client,
                args.project,
                limit=args.limit,
                session=session,
                on_total=start,
                on_conversation=advance,
            )
            origin = client.origin
    except TargetError as error:
        redactor.write(sys.stderr, f"fakeserver snapshot: {error}\n")
        return EXIT_CANNOT_CHECK
    finally:
        if progress is not None:
            progress.finish()
    seeding = seed_fixture(snapshot)
    _tell_left_out(seeding.problems, redactor)
    written = len(seeding.fixture["conversations"])
    # Taken out of the values, not the file's text: a scalar replaced in YAML could change type.
    fixture = redactor.clean_value(seeding.fixture)
    if args.scrub:
        fixture = scrub_fixture(fixture)
    header = (
        f"fakeserver snapshot of {origin}, project {args.project}: "
        f"{written} conversations, "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}"
        f"{' (scrubbed)' if args.scrub else ''}.\n"
        f"The personal API key is a placeholder: {PLACEHOLDER_KEY}, the session too: "
        f"{PLACEHOLDER_SESSION}"
    )
    text = render_fixture(fixture, args.output, redactor.clean(header))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"fakeserver snapshot: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    print(
        f"snapshot: {written} conversations written to {args.output} (key: {PLACEHOLDER_KEY})",
        file=sys.stderr,
    )
    return 0


def _tell_left_out(problems: list[SeedProblem], redactor: Redactor) -> None:
    """One line per value the fixture format did not take (at most `MAX_TOLD`)."""
    for problem in problems[:MAX_TOLD]:
        where = f"conversation {problem.conversation} " if problem.conversation else ""
        said = f"{where}{problem.path} = {problem.target}: {problem.reason}"
        redactor.write(sys.stderr, f"snapshot: left out {said}\n")
    if len(problems) > MAX_TOLD:
        redactor.write(sys.stderr, f"snapshot: ... and {len(problems) - MAX_TOLD} more values\n")


def run(argv: Sequence[str], *, sleep: Callable[[float], None] = time.sleep) -> int:
    """`verify` or `snapshot` from its arguments, with the 429 wait injectable (for tests)."""
    group = click.Group("fakeserver")
    register(group)
    try:
        status = group.main(list(argv), "fakeserver", standalone_mode=False, obj=Sleep(sleep))
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return int(status or 0)
