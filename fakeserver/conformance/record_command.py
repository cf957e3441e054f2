"""`fakeserver record`: a recording proxy in front of a PostHog; Ctrl-C writes the fixture.

The fixture holds the conversations the recorded runs used (read back from the target, as
`snapshot` writes them, the key a placeholder) and, per recorded run, a rule that replays it
(`recording.py`). `fakeserver serve --fixture FILE` then replays a run when the same message
is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import click

from fakeserver.conformance.client import ApiClient, TargetError
from fakeserver.conformance.commands import (
    EXIT_CANNOT_CHECK,
    Redactor,
    _key,
    _target_arguments,
)
from fakeserver.conformance.record_proxy import RecordingProxy
from fakeserver.conformance.recording import Recording
from fakeserver.conformance.seeding import seed_fixture
from fakeserver.conformance.snapshot import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_SESSION,
    Snapshot,
    conversations_path,
    render_fixture,
)

DEFAULT_PORT: Final = 8020


@click.command(
    "record",
    short_help="a proxy to a PostHog that records agent runs as a replayable fixture",
    help="Serve a proxy on 127.0.0.1 that passes every request to --target and records each "
    "agent run's stream. Ctrl-C writes the fixture (-o): the conversations seen and a rule per "
    "run that `fakeserver serve --fixture FILE` replays.",
)
@_target_arguments
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="the fixture file"
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="the proxy's port on 127.0.0.1 (0: any free one, printed)",
)
def record_command(**arguments: Any) -> int:
    return run_record(argparse.Namespace(command="record", **arguments))


def register(group: click.Group) -> None:
    """Add `record` to the CLI's commands."""
    group.add_command(record_command)


def run_record(args: argparse.Namespace, **_: Any) -> int:
    key = _key(args)
    if key is None:
        return EXIT_CANNOT_CHECK
    redactor = Redactor(key, args.session_cookie)
    recording = Recording()
    drawing = sys.stderr.isatty()

    def show() -> None:
        if drawing:
            sys.stderr.write("\r" + recording.progress_line())
            sys.stderr.flush()

    proxy = RecordingProxy(args.target, key, recording, show, timeout=args.timeout)
    try:
        served = _serve(proxy, args.port, args.output)
    finally:
        asyncio.run(proxy.aclose())
    if drawing:
        sys.stderr.write("\n")
    if not served:
        return EXIT_CANNOT_CHECK
    fixture = redactor.clean_value(_fixture(args, key, recording))
    header = redactor.clean(_header(args, recording))
    try:
        args.output.write_text(render_fixture(fixture, args.output, header), encoding="utf-8")
    except OSError as error:
        print(f"fakeserver record: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    print(f"{recording.progress_line()}; written to {args.output}", file=sys.stderr)
    return 0


def _serve(proxy: RecordingProxy, port: int, output: Path) -> bool:
    import uvicorn

    try:
        listening = socket.create_server(("127.0.0.1", port))
    except OSError as error:
        print(f"fakeserver record: cannot listen on port {port}: {error.strerror}", file=sys.stderr)
        return False
    bound = listening.getsockname()[1]
    config = uvicorn.Config(proxy, log_level="warning", access_log=False, lifespan="off")
    config.timeout_graceful_shutdown = 1
    server = uvicorn.Server(config)
    print(
        f"fakeserver record: proxy on http://127.0.0.1:{bound}; Ctrl-C writes {output}",
        file=sys.stderr,
        flush=True,
    )
    # uvicorn raises Ctrl-C again once it has shut down.
    with listening, contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listening])
    return True


def _fixture(args: argparse.Namespace, key: str, recording: Recording) -> dict[str, Any]:
    snapshot = Snapshot(args.project)
    try:
        with ApiClient(args.target, key, timeout=args.timeout) as client:
            for conversation in recording.conversations:
                path = f"{conversations_path(args.project)}{conversation}/"
                answer = client.request("GET", path)
                if answer.status == 200 and isinstance(answer.json, dict):
                    snapshot.listed.append(answer.json)
                    snapshot.retrieved[conversation] = answer.json
    except TargetError as error:
        recording.errors.append(f"reading the recorded conversations back: {error}")
    fixture = seed_fixture(snapshot).fixture
    fixture["agent"] = {"rules": recording.rules()}
    return fixture


def _header(args: argparse.Namespace, recording: Recording) -> str:
    lines = [
        f"fakeserver record of {args.target}, project {args.project}, "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}: {recording.progress_line()}.",
        f"The personal API key is a placeholder: {PLACEHOLDER_KEY}, the session too: "
        f"{PLACEHOLDER_SESSION}.",
        "Each agent.rules entry replays a recorded run (`fakeserver serve --fixture` this file).",
    ]
    lines += [f"Not a stream: {error}" for error in recording.errors]
    if recording.answers:
        lines.append("An error answer to a message is replayed by an `answer:` rule.")
    return "\n".join(lines)
