"""Benchmark: CPU instructions per operation, counted by valgrind's callgrind.

Wall-clock figures on a shared 2-core machine move by a factor of two from one minute to the
next; instruction counts do not (the same code, inputs and seed give the same count within a
fraction of a percent). Use this to tell whether a change made the fake's own work smaller;
use `speed_targets.py` for what a user sees.

Each operation is a raw ASGI call (no HTTP client), on the bench's fixture. A run of N calls
and a run of 0 calls are counted, and the difference divided by N, so start-up cancels out.

    .venv/bin/python bench/instructions.py [--calls 1000] [--only get_documented,cycle]
    .venv/bin/python bench/instructions.py --run OPERATION N    # one counted run (internal)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure.ceiling_app import ceiling_app
from measure.package import default_fixture_path
from measure.raw_asgi import asgi_scope, call_asgi
from measure.workload import (
    BEARER,
    CONVERSATIONS_PATH,
    FOLLOW_UP,
    QUEUED_CONVERSATION,
    SESSION_ACTUAL,
    SESSION_ACTUAL_WRITE,
    extra_conversation_id,
    queue_path,
    write_extra_fixture,
)
from starlette.types import ASGIApp

from fakeserver.app import ServerConfig, create_app

WARM_UP_CALLS = 300
OPERATIONS = {
    "bare": "bare Starlette app, GET (the ceiling's code)",
    "get_documented": "GET queue/ (documented, API key)",
    "get_actual": "GET queue/ (actual, session)",
    "cycle": "POST queue/ + DELETE queue/{id}/ (actual, session+CSRF), per pair",
    "clear": "POST queue/clear/ (documented, API key)",
    "list": "GET conversations/?limit=100 (documented, API key)",
}
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


async def _call(
    app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes, query: str = ""
) -> None:
    scope = asgi_scope(method, path, headers, body)
    scope["query_string"] = query.encode()
    await call_asgi(app, scope, body)


def _operation(name: str, workdir: Path) -> Callable[[], Awaitable[None]]:
    app = create_app(
        ServerConfig(fixtures=(default_fixture_path(), write_extra_fixture(workdir)), id_seed=1)
    )
    workspace = app.state.fakeserver.workspace
    queued = queue_path(QUEUED_CONVERSATION)
    cycled = extra_conversation_id(0)

    async def cycle() -> None:
        await _call(app, "POST", queue_path(cycled), SESSION_ACTUAL_WRITE, FOLLOW_UP.encode())
        queued_id = workspace.store.conversation(cycled).queue[-1].id
        await _call(app, "DELETE", f"{queue_path(cycled)}{queued_id}/", SESSION_ACTUAL_WRITE, b"")

    bare = ceiling_app({"GET": b'{"messages":[],"max_queue_messages":2}'})
    clear = queue_path(extra_conversation_id(3)) + "clear/"
    operations: dict[str, Callable[[], Awaitable[None]]] = {
        "bare": lambda: _call(bare, "GET", "/x", {}, b""),
        "get_documented": lambda: _call(app, "GET", queued, BEARER, b""),
        "get_actual": lambda: _call(app, "GET", queued, SESSION_ACTUAL, b""),
        "cycle": cycle,
        "clear": lambda: _call(app, "POST", clear, BEARER, b""),
        "list": lambda: _call(app, "GET", CONVERSATIONS_PATH, BEARER, b"", "limit=100"),
    }
    return operations[name]


async def _run(name: str, calls: int) -> None:
    operation = _operation(name, Path(tempfile.mkdtemp(prefix="fakeserver-instructions-")))
    for _ in range(WARM_UP_CALLS + calls):
        await operation()


def _counted(name: str, calls: int) -> int:
    """Instructions of a whole `--run` process, from callgrind's summary line."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--run",
        name,
        str(calls),
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total for {name}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_call(name: str, calls: int) -> int:
    with ThreadPoolExecutor(2) as pool:  # the two runs are independent: one per core
        empty, full = pool.map(lambda n: _counted(name, n), (0, calls))
    return (full - empty) // calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--only", default=",".join(OPERATIONS))
    parser.add_argument("--run", nargs=2, metavar=("OPERATION", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        asyncio.run(_run(args.run[0], int(args.run[1])))
        return 0
    names = [name for name in args.only.split(",") if name]
    unknown = set(names) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations {sorted(unknown)}; choose from {', '.join(OPERATIONS)}")
    if shutil.which("valgrind") is None:
        print("instructions: valgrind is not installed; skipped (apt-get install valgrind)")
        return 0
    print(f"| operation | instructions per call ({args.calls} calls, callgrind) |")
    print("|---|---|")
    for name in names:
        print(f"| {OPERATIONS[name]} | {per_call(name, args.calls):,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
