"""Start and stop the servers under load, each in a process of its own, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CEILING_SCRIPT = Path(__file__).with_name("ceiling_app.py")
FAKESERVER = Path(sys.executable).with_name("fakeserver")
_BASE_URL = re.compile(r"base URL\s+(http://\S+)")


def wait_until_healthy(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _first_match(process: subprocess.Popen[str], pattern: re.Pattern[str], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"server exited ({process.wait()}) before it was ready")
        match = pattern.search(line)
        if match:
            return match.group(1)
    raise RuntimeError("server did not announce its address in time")


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")


@contextmanager
def fakeserver(
    fixtures: Sequence[Path] = (), extra_args: Sequence[str] = (), python_path: Path | None = None
) -> Iterator[RunningServer]:
    """`fakeserver serve --port 0` (the real CLI), once /_health is 200. With `python_path`, the
    package is imported from there (another version's copy) instead of the installed one."""
    args = [str(FAKESERVER), "serve", "--port", "0", *extra_args]
    for fixture in fixtures:
        args += ["--fixture", str(fixture)]
    # The request log (on by default in `serve`) is off: the bench measures serving, as
    # uvicorn's own benchmarks run without its access log; docs/performance.md gives the log's
    # cost. An environment variable, not a flag, so that versions from before the log run the
    # same way.
    env = {**os.environ, "FAKESERVER_ACCESS_LOG": "off"}
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        base_url = _first_match(process, _BASE_URL, 30)
        wait_until_healthy(base_url + "/_health")
        yield RunningServer(base_url, process.pid)
    finally:
        _stop(process)


@contextmanager
def ceiling(bodies: dict[str, bytes]) -> Iterator[RunningServer]:
    """The bare Starlette app answering `bodies` (method -> bytes)."""
    bodies = {"GET": b"{}", **bodies}  # a GET answer is what the readiness poll needs
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({method: body.decode("utf-8") for method, body in bodies.items()}, spec)
    process = subprocess.Popen(
        [sys.executable, str(CEILING_SCRIPT), spec.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = _first_match(process, re.compile(r"port=(\d+)"), 30)
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url + "/ready", 30)
        yield RunningServer(base_url, process.pid)
    finally:
        _stop(process)
        Path(spec.name).unlink()
