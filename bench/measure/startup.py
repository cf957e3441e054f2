"""Start-up: `fakeserver serve` until /_health answers, `create_app()`, the live pytest fixture."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measure.servers import FAKESERVER, _first_match, _stop, wait_until_healthy

_BASE_URL = re.compile(r"base URL\s+(http://\S+)")

_CREATE_APP = """
import json, statistics, time
started = time.perf_counter()
from fakeserver.app import create_app
imported = time.perf_counter()
create_app()
first = time.perf_counter()
warm = []
for _ in range(20):
    t = time.perf_counter(); create_app(); warm.append(time.perf_counter() - t)
print(json.dumps({"import_s": imported - started, "first_create_s": first - imported,
                  "warm_create_s": statistics.median(warm)}))
"""


def serve_ready_seconds() -> float:
    """From spawning `fakeserver serve --port 0` (default fixture) to its first /_health 200."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(FAKESERVER), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = _first_match(process, _BASE_URL, 30)
        wait_until_healthy(base_url + "/_health")
        return time.perf_counter() - started
    finally:
        _stop(process)


def create_app_seconds() -> dict[str, float]:
    """In a fresh interpreter: importing the app, the first `create_app()`, a warm one."""
    completed = subprocess.run(
        [sys.executable, "-c", _CREATE_APP], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, float] = json.loads(completed.stdout)
    return result


def _live_fixture_name() -> str | None:
    """The pytest plugin's live-server fixture, if this checkout has one (older
    revisions, measured by ab.py, may not)."""
    if importlib.util.find_spec("fakeserver.pytest_plugin") is None:
        return None
    import fakeserver.pytest_plugin as plugin  # type: ignore[import-untyped,unused-ignore]

    names = [
        name
        for name, value in vars(plugin).items()
        if "live" in name
        and callable(value)
        and not name.startswith("_")
        and (
            "fixture" in type(value).__name__.lower()
            or hasattr(value, "_pytestfixturefunction")
            or hasattr(value, "_fixture_function_marker")
        )
    ]
    return sorted(names)[0] if names else None


_DURATION = re.compile(r"^([\d.]+)s (setup|teardown)\s+\S+::test_live$", re.MULTILINE)


def _fixture_seconds(directory: Path, name: str, load_plugin: bool) -> dict[str, float]:
    """Setup and teardown time of a test using only the fixture, from pytest's --durations."""
    path = directory / "test_startup_probe.py"
    path.write_text(f"def test_live({name}):\n    pass\n")
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--durations=0",
        "--durations-min=0",
        str(path),
    ]
    if load_plugin:
        args[4:4] = ["-p", "fakeserver.pytest_plugin"]
    completed = subprocess.run(
        args, cwd=directory, capture_output=True, text=True, timeout=120, check=True
    )
    phases = {phase: float(seconds) for seconds, phase in _DURATION.findall(completed.stdout)}
    return {"setup_s": phases.get("setup", 0.0), "teardown_s": phases.get("teardown", 0.0)}


def live_fixture_seconds(runs: int) -> dict[str, Any]:
    """The live fixture's setup and teardown in a one-test pytest run (a fresh server each run)."""
    name = _live_fixture_name()
    if name is None:
        return {
            "available": False,
            "note": "no fakeserver.pytest_plugin live fixture in this checkout",
        }
    registered = any(
        entry.value.startswith("fakeserver")
        for entry in importlib.metadata.entry_points(group="pytest11")
    )
    with tempfile.TemporaryDirectory() as directory:
        measured = [_fixture_seconds(Path(directory), name, not registered) for _ in range(runs)]
    setup = statistics.median(run["setup_s"] for run in measured)
    teardown = statistics.median(run["teardown_s"] for run in measured)
    return {
        "available": True,
        "fixture": name,
        "seconds": setup + teardown,
        "setup_s": setup,
        "teardown_s": teardown,
    }


def measure_startup(runs: int) -> dict[str, Any]:
    serve = [serve_ready_seconds() for _ in range(runs)]
    created = [create_app_seconds() for _ in range(runs)]
    result: dict[str, Any] = {
        "serve_ready_s": statistics.median(serve),
        "serve_ready_runs_s": serve,
        **{key: statistics.median(run[key] for run in created) for key in created[0]},
        "live_pytest_fixture": live_fixture_seconds(runs),
    }
    print(
        f"  start-up  serve ready {result['serve_ready_s']:.3f} s, "
        f"first create_app {result['first_create_s'] * 1000:.1f} ms",
        flush=True,
    )
    return result
