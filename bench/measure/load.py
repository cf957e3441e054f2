"""What a live load is (`Load`), and the two ways to generate it: wrk, or a Python client.

Both run in a process of their own, bounded in time (and the Python one also in count), and
report the same figures: requests, seconds, requests/s, p50/p99 latency and errors.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

LOADGEN_SCRIPT = Path(__file__).with_name("loadgen.py")


@dataclass(frozen=True)
class Load:
    """One scenario. `fixed`: the same request again and again. `cycle`: POST a follow-up to a
    free conversation's queue, then DELETE the message the POST returned, over many conversations
    (the queue holds two, so one conversation cannot take concurrent POSTs)."""

    name: str
    kind: Literal["fixed", "cycle"]
    method: str
    paths: tuple[str, ...]
    """`fixed`: one path. `cycle`: the queue paths of the conversations to cycle through."""
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True)
class Shape:
    """How hard to push: concurrent connections, wrk threads, seconds, and a request budget."""

    connections: int
    threads: int
    """wrk threads (the connections are shared out among them)."""
    seconds: float
    warmup_seconds: float
    max_requests: int
    """Only the Python client honours it; wrk is bounded by time."""

    @property
    def cycle_conversations(self) -> int:
        """Enough that a free one is always at hand while every connection has a POST out."""
        return self.connections + 16


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua(value: str) -> str:
    return json.dumps(value)  # ASCII JSON string literals are valid Lua string literals


_WRK_DONE = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0) end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"script_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    bad, latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(load: Load) -> str:
    headers = "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in load.headers.items())
    if load.kind == "fixed":
        body = f"wrk.body = {_lua(load.body)}" if load.body is not None else ""
        return (
            f"wrk.method = {_lua(load.method)}\nwrk.path = {_lua(load.paths[0])}\n"
            f"{headers}\n{body}\n{_WRK_DONE}"
        )
    paths = ", ".join(_lua(path) for path in load.paths)
    # wrk tells a script neither which connection a response came on nor keeps their order, so
    # the POST body names its conversation ("... #N") and the queue envelope echoes it back.
    # A conversation is free again once the DELETE of its message is sent: a POST overtaking
    # that DELETE finds one message queued, under the limit of two.
    return f"""
{headers}
local paths = {{{paths}}}
local post_body = {_lua(load.body or "")}
local threads = {{}}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("first", thread_count)
  table.insert(threads, thread)
end
function init(args)
  free = {{}}
  to_delete = {{}}
  bad = 0
  local stride = tonumber(args[1]) or 1
  for i = first, #paths, stride do table.insert(free, i) end
end
function request()
  if #to_delete > 0 then
    local item = table.remove(to_delete, 1)
    table.insert(free, item[1])
    return wrk.format("DELETE", paths[item[1]] .. item[2] .. "/", nil, nil)
  end
  local index = table.remove(free, 1) or 1
  local body = string.gsub(post_body, "#N", "#" .. index)
  return wrk.format("POST", paths[index], nil, body)
end
function response(status, headers, body)
  if status >= 300 then bad = bad + 1 return end
  local last_id, last_index = nil, nil
  for id, index in string.gmatch(body, '"id":"([^"]+)","content":"[^"]*#(%d+)"') do
    last_id, last_index = id, tonumber(index)
  end
  if last_id then table.insert(to_delete, {{last_index, last_id}}) end
end
""" + _WRK_DONE.replace(
        "local threads = {}\nfunction setup(thread) table.insert(threads, thread) end\n", ""
    )


def run_wrk(base_url: str, load: Load, shape: Shape, warmup: bool) -> dict[str, Any]:
    seconds = shape.warmup_seconds if warmup else shape.seconds
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(load))
    try:
        completed = subprocess.run(
            [
                "wrk",
                f"-t{shape.threads}",
                f"-c{shape.connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "5s",
                "-s",
                script.name,
                base_url,
                "--",
                str(shape.threads),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
    finally:
        Path(script.name).unlink()
    match = re.search(r"WRKJSON (\{.*\})", completed.stdout)
    if match is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stdout}{completed.stderr}"
        )
    raw = json.loads(match.group(1))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(duration, 3),
        "rps": raw["requests"] / duration,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["status_errors"] + raw["socket_errors"] + raw["script_errors"],
    }


def run_python(base_url: str, load: Load, shape: Shape, warmup: bool) -> dict[str, Any]:
    seconds = shape.warmup_seconds if warmup else shape.seconds
    spec = {
        "load": asdict(load),
        "base_url": base_url,
        "connections": shape.connections,
        "seconds": seconds,
        "max_requests": shape.max_requests,
    }
    completed = subprocess.run(
        [sys.executable, str(LOADGEN_SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"loadgen failed: {completed.stderr}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def run_load(
    tool: str, base_url: str, load: Load, shape: Shape, warmup: bool = False
) -> dict[str, Any]:
    runner = run_wrk if tool == "wrk" else run_python
    return runner(base_url, load, shape, warmup)


def ensure_wrk() -> tuple[str, str]:
    """wrk if it is installed or apt can install it, else the Python client: (tool, how)."""
    if wrk_available():
        return "wrk", "wrk was already installed"
    if shutil.which("apt-get") and shutil.which("apt-cache"):
        quiet = {"capture_output": True, "text": True, "check": False, "timeout": 300}
        subprocess.run(["apt-get", "update"], **quiet)  # type: ignore[call-overload]
        policy = subprocess.run(["apt-cache", "policy", "wrk"], **quiet)  # type: ignore[call-overload]
        if "Candidate:" in policy.stdout and "Candidate: (none)" not in policy.stdout:
            subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet)  # type: ignore[call-overload]
            if wrk_available():
                return "wrk", "wrk installed by `apt-get install -y wrk`"
        return "python", "apt could not install wrk: the Python client (measure/loadgen.py) ran"
    return "python", "no wrk and no apt: the Python client (measure/loadgen.py) ran"
