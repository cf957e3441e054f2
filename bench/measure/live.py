"""Live throughput and latency: each load against `fakeserver serve` and against the ceiling."""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Any

import httpx

from measure.load import Load, Shape, run_load
from measure.package import default_fixture_path
from measure.servers import RunningServer, ceiling, fakeserver
from measure.workload import BEARER, live_loads, write_extra_fixture

_LAST_ID = re.compile(rb'"id":"([^"]+)"')
_SUMMARISED = ("rps", "p50_ms", "p99_ms", "server_cpu_us")


def sample_bodies(base_url: str, load: Load) -> dict[str, bytes]:
    """The bodies the fake answers this load with: the ceiling sends the same bytes."""
    body = load.body.replace("#N", "#1") if load.body is not None else None
    with httpx.Client(base_url=base_url) as client:
        first = client.request(load.method, load.paths[0], headers=load.headers, content=body)
        if first.status_code >= 300:
            raise RuntimeError(f"{load.name}: {first.status_code} {first.text}")
        if load.kind == "fixed":
            return {load.method: first.content}
        queued_id = _LAST_ID.findall(first.content)[-1].decode()
        second = client.delete(f"{load.paths[0]}{queued_id}/", headers=load.headers)
        if second.status_code >= 300:
            raise RuntimeError(f"{load.name}: DELETE {second.status_code} {second.text}")
        return {"POST": first.content, "DELETE": second.content}


def empty_queues(base_url: str, load: Load) -> None:
    """A cycle cut off by the end of a run leaves messages queued; start each run without."""
    if load.kind != "cycle":
        return
    with httpx.Client(base_url=base_url, headers=BEARER) as client:
        for path in load.paths:
            client.post(path + "clear/").raise_for_status()


def _run(tool: str, server: RunningServer, load: Load, shape: Shape) -> dict[str, Any]:
    """One measured run, with the CPU the server spent per request (which tells whether the
    server or the load generator was the bottleneck)."""
    cpu_before = server.cpu_seconds()
    result = run_load(tool, server.base_url, load, shape)
    spent = server.cpu_seconds() - cpu_before
    result["server_cpu_us"] = spent / max(result["requests"], 1) * 1e6
    return result


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def summarise(
    load: Load, bodies: dict[str, bytes], fake: list[dict[str, Any]], bare: list[dict[str, Any]]
) -> dict[str, Any]:
    # Runs alternate fake, ceiling, ceiling, fake, ...: each ratio pairs runs made side by side.
    ratios = [f["rps"] / c["rps"] for f, c in zip(fake, bare, strict=True)]
    return {
        "name": load.name,
        "response_bytes": {method: len(body) for method, body in bodies.items()},
        "fakeserver": {key: _median(fake, key) for key in _SUMMARISED},
        "ceiling": {key: _median(bare, key) for key in _SUMMARISED},
        "ratio": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
        "cpu_ratio": statistics.median(
            c["server_cpu_us"] / f["server_cpu_us"] for f, c in zip(fake, bare, strict=True)
        ),
        "errors": {
            "fakeserver": sum(r["errors"] for r in fake),
            "ceiling": sum(r["errors"] for r in bare),
        },
        "runs": {"fakeserver": fake, "ceiling": bare},
    }


def measure_live(tool: str, shape: Shape, runs: int, workdir: Path) -> list[dict[str, Any]]:
    extra = write_extra_fixture(workdir)
    results = []
    with fakeserver([default_fixture_path(), extra]) as fake:
        for load in live_loads(shape.cycle_conversations):
            bodies = sample_bodies(fake.base_url, load)
            with ceiling(bodies) as bare:
                empty_queues(fake.base_url, load)
                run_load(tool, fake.base_url, load, shape, warmup=True)
                run_load(tool, bare.base_url, load, shape, warmup=True)
                fake_runs: list[dict[str, Any]] = []
                ceiling_runs: list[dict[str, Any]] = []
                for index in range(runs):
                    order = [(fake, fake_runs), (bare, ceiling_runs)]
                    for server, sink in order if index % 2 == 0 else reversed(order):
                        if server is fake:
                            empty_queues(fake.base_url, load)
                        sink.append(_run(tool, server, load, shape))
            summary = summarise(load, bodies, fake_runs, ceiling_runs)
            print(
                f"  live  {summary['name']}: {summary['fakeserver']['rps']:.0f} req/s, "
                f"ceiling {summary['ceiling']['rps']:.0f}, ratio {summary['ratio']:.2f} "
                f"({summary['ratio_range'][0]:.2f}-{summary['ratio_range'][1]:.2f}); "
                f"server CPU per request {summary['fakeserver']['server_cpu_us']:.0f} us, "
                f"ceiling {summary['ceiling']['server_cpu_us']:.0f} us "
                f"(ratio {summary['cpu_ratio']:.2f})",
                flush=True,
            )
            results.append(summary)
    return results
