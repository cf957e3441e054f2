"""A keep-alive HTTP/1.1 load generator in Python, for when wrk is not installed.

Reads a JSON spec on stdin (see `load.run_python`), opens N connections to 127.0.0.1, and on
each sends requests one after another until the time or the request budget is spent. Prints
one JSON object: requests, seconds, rps, p50_ms, p99_ms, errors. It is slower than wrk, so the
ceiling it measures is lower too; the ratios stay meaningful only while the server, not this
client, is the bottleneck (the report says which generator ran).
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit

_ID = re.compile(rb'"id":"([^"]+)"')


def _request(
    method: str, host: str, path: str, headers: dict[str, str], body: bytes | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    spec: dict[str, Any],
    index: int,
    deadline: float,
    budget: list[int],
    latencies: list[float],
    errors: list[int],
) -> None:
    load = spec["load"]
    url = urlsplit(spec["base_url"])
    host = url.netloc
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    headers = dict(load["headers"])
    body = (
        load["body"].replace("#N", f"#{index + 1}").encode() if load["body"] is not None else None
    )
    # Sequential requests per connection: each connection cycles through one conversation.
    path = load["paths"][index] if load["kind"] == "cycle" else load["paths"][0]
    fixed = _request(load["method"], host, path, headers, body)
    pending: bytes | None = None
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            if load["kind"] == "cycle" and pending is not None:
                request = _request("DELETE", host, path + pending.decode() + "/", headers, None)
            else:
                request = fixed
            started = time.perf_counter()
            status, answer = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - started)
            if status >= 300:
                errors[0] += 1
            if load["kind"] == "cycle":
                if pending is None and status < 300:
                    found = _ID.findall(answer)
                    pending = found[-1] if found else None
                else:
                    pending = None
    finally:
        writer.close()


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    connections = spec["connections"]
    latencies: list[float] = []
    errors = [0]
    budget = [spec["max_requests"]]
    started = time.perf_counter()
    deadline = started + spec["seconds"]
    await asyncio.gather(
        *(
            _connection(spec, index, deadline, budget, latencies, errors)
            for index in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    cut = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 3),
        "rps": len(ordered) / elapsed,
        "p50_ms": cut[49] * 1000,
        "p99_ms": cut[98] * 1000,
        "errors": errors[0],
    }


def main() -> None:
    spec = json.load(sys.stdin)
    try:
        import uvloop

        print(json.dumps(uvloop.run(_run(spec))))
    except ImportError:
        print(json.dumps(asyncio.run(_run(spec))))


if __name__ == "__main__":
    main()
