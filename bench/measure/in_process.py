"""In-process latency per operation, through httpx's ASGI transport (as the test suites call it).

Also floors, to tell the fake's own cost from the harness's: for each queue operation, the same
request (method, path, headers, body) to the bare ceiling app through the same transport (httpx's
own work grows with headers and a body); a bare GET to that app; and the fake called as a plain
ASGI callable (no httpx).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from fakeserver.app import ServerConfig, ServerState, create_app
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

Timed = Callable[[], Awaitable[None]]
JSON_BEARER = {**BEARER, "Content-Type": "application/json"}


def percentiles(samples: list[float]) -> dict[str, float]:
    cut = statistics.quantiles(samples, n=100)
    return {"p50_ms": cut[49] * 1000, "p99_ms": cut[98] * 1000}


async def _sample(operation: Timed, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await operation()
        samples.append(time.perf_counter() - started)
    return samples


def _checked(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None = None,
) -> Timed:
    async def call() -> None:
        response = await client.request(method, path, headers=headers, content=body)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")

    return call


def _raw_asgi_get(app: ASGIApp, path: str, headers: dict[str, str]) -> Timed:
    """One GET through the bare ASGI interface: what the fake costs without any client."""
    scope = asgi_scope("GET", path, headers)

    async def call() -> None:
        await call_asgi(app, dict(scope))

    return call


class _QueueCycle:
    """POST a follow-up, then DELETE it: each timed on its own, the id read from the state."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        state: ServerState,
        conversation_id: str,
        headers: dict[str, str],
    ):
        self.client, self.state, self.headers = client, state, headers
        self.conversation_id = conversation_id
        self.path = queue_path(conversation_id)

    async def post(self) -> None:
        response = await self.client.post(self.path, headers=self.headers, content=FOLLOW_UP)
        if response.status_code >= 300:
            raise RuntimeError(f"POST queue: {response.status_code} {response.text}")

    async def delete(self) -> None:
        conversation = self.state.workspace.store.conversation(self.conversation_id)
        assert conversation is not None
        queued_id = conversation.queue[-1].id
        response = await self.client.delete(f"{self.path}{queued_id}/", headers=self.headers)
        if response.status_code >= 300:
            raise RuntimeError(f"DELETE queue item: {response.status_code} {response.text}")


async def _measure(workdir: Path, samples: int, runs: int) -> list[dict[str, Any]]:
    extra = write_extra_fixture(workdir)
    app = create_app(ServerConfig(fixtures=(default_fixture_path(), extra)))
    state: ServerState = app.state.fakeserver
    empty_queue = b'{"messages":[],"max_queue_messages":2}'
    bare = ceiling_app({"GET": empty_queue, "POST": empty_queue, "DELETE": empty_queue})
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare), base_url="http://testserver"
        ) as bare_client,
    ):
        queued = queue_path(QUEUED_CONVERSATION)
        documented = _QueueCycle(client, state, extra_conversation_id(0), JSON_BEARER)
        actual = _QueueCycle(client, state, extra_conversation_id(1), SESSION_ACTUAL_WRITE)
        clear_path = queue_path(extra_conversation_id(2)) + "clear/"

        def floor(method: str, cycle: _QueueCycle, body: str | None = None) -> Timed:
            """A cycle step's request, sent to the bare app (any queue id will do there)."""
            path = cycle.path if method == "POST" else f"{cycle.path}{cycle.conversation_id}/"
            return _checked(bare_client, method, path, cycle.headers, body)

        # Queue operations: (name, steps, the same request to the bare app). The cycles: the
        # first step of each pair is the one timed in that row.
        queue_operations: list[tuple[str, list[Timed], Timed]] = [
            (
                "GET queue/ (documented)",
                [_checked(client, "GET", queued, BEARER)],
                _checked(bare_client, "GET", queued, BEARER),
            ),
            (
                "GET queue/ (actual)",
                [_checked(client, "GET", queued, SESSION_ACTUAL)],
                _checked(bare_client, "GET", queued, SESSION_ACTUAL),
            ),
            (
                "POST queue/ (documented)",
                [documented.post, documented.delete],
                floor("POST", documented, FOLLOW_UP),
            ),
            (
                "DELETE queue/{id}/ (documented)",
                [documented.delete, documented.post],
                floor("DELETE", documented),
            ),
            (
                "POST queue/ (actual)",
                [actual.post, actual.delete],
                floor("POST", actual, FOLLOW_UP),
            ),
            ("DELETE queue/{id}/ (actual)", [actual.delete, actual.post], floor("DELETE", actual)),
            (
                "POST queue/clear/ (documented)",
                [_checked(client, "POST", clear_path, BEARER)],
                _checked(bare_client, "POST", clear_path, BEARER),
            ),
        ]
        floors = {name: same for name, _, same in queue_operations}
        operations: list[tuple[str, bool, list[Timed]]] = [
            *((name, True, steps) for name, steps, _ in queue_operations),
            (
                "GET conversations/{id}/ (documented)",
                False,
                [_checked(client, "GET", f"{CONVERSATIONS_PATH}{QUEUED_CONVERSATION}/", BEARER)],
            ),
            (
                "GET conversations/?limit=100 (documented)",
                False,
                [_checked(client, "GET", CONVERSATIONS_PATH + "?limit=100", BEARER)],
            ),
            (
                "floor: bare Starlette app, same transport",
                False,
                [_checked(bare_client, "GET", "/x", {})],
            ),
            (
                "floor: GET queue/ (documented) as a raw ASGI call",
                False,
                [_raw_asgi_get(app, queued, BEARER)],
            ),
        ]
        # Round-robin: run r of every operation, then run r + 1 of every one, so that each
        # operation's runs (and the floors') span the same stretch of a noisy machine's time.
        per_run: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in operations}
        floor_runs: dict[str, list[dict[str, float]]] = {name: [] for name in floors}
        for _ in range(runs):
            for name, _, steps in operations:
                timings = await _timed_run(steps, name, samples, floors.get(name))
                per_run[name].append(timings["operation"])
                if "floor" in timings:
                    floor_runs[name].append(timings["floor"])
        results = []
        for name, is_queue_op, _ in operations:
            row: dict[str, Any] = {
                "name": name,
                "queue_operation": is_queue_op,
                "samples": samples,
                "runs": runs,
                "p50_ms": statistics.median(run["p50_ms"] for run in per_run[name]),
                "p99_ms": statistics.median(run["p99_ms"] for run in per_run[name]),
            }
            if name in floors:
                row["same_request_bare_p50_ms"] = statistics.median(
                    run["p50_ms"] for run in floor_runs[name]
                )
            results.append(row)
            print(f"  in-process  {name}: p50 {row['p50_ms']:.3f} ms", flush=True)
    return results


async def _timed_run(
    steps: list[Timed], name: str, samples: int, floor: Timed | None = None
) -> dict[str, dict[str, float]]:
    """One run of an operation: the first step timed, the rest untimed (a cycle's other half).
    A DELETE row first queues something to delete, and leaves the queue as it was. With a
    floor, each timed step is followed by one timed floor request, so that the two sets of
    samples come from the same moments of a noisy machine."""
    if name.startswith("DELETE"):
        await steps[1]()
    timed: list[float] = []
    floor_timed: list[float] = []
    for index in range(samples + samples // 10):
        started = time.perf_counter()
        await steps[0]()
        elapsed = time.perf_counter() - started
        for step in steps[1:]:
            await step()
        if floor is not None:
            floor_started = time.perf_counter()
            await floor()
            floor_elapsed = time.perf_counter() - floor_started
        if index >= samples // 10:  # the first tenth warms up
            timed.append(elapsed)
            if floor is not None:
                floor_timed.append(floor_elapsed)
    if name.startswith("DELETE"):
        await steps[0]()
    result = {"operation": percentiles(timed)}
    if floor is not None:
        result["floor"] = percentiles(floor_timed)
    return result


def measure_in_process(workdir: Path, samples: int = 2000, runs: int = 5) -> list[dict[str, Any]]:
    return asyncio.run(_measure(workdir, samples, runs))
