"""Benchmark: one simulated agent run, streamed in-process with `--reply-delay 0`.

Measures the wall time of POST conversations/ from the request to the end of its SSE body
(a new conversation: `conversation` event, human echo, update, two chunks, final message),
through httpx's ASGI transport, and checks it against its target (under 5 ms).

    .venv/bin/python bench/agent_run.py [--runs 500] [--profile actual] [--queued]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid

import httpx

from fakeserver.app import ServerConfig, create_app

TARGET_MS = 5.0
HEADERS = {"Authorization": "Bearer phx_ada_all"}
SESSION = {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={'a' * 32}", "X-CSRFToken": "a" * 32}


async def measure(runs: int, profile: str, queued: bool) -> list[float]:
    app = create_app(ServerConfig(profile=profile))
    state = app.state.fakeserver
    transport = httpx.ASGITransport(app)
    timings: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for index in range(runs + 20):  # the first 20 warm up
            body = {
                "content": "How many signups last week?",
                "conversation": str(uuid.uuid4()),
                "trace_id": str(uuid.uuid4()),
            }
            started = time.perf_counter()
            response = await http.post(
                "/api/projects/1/conversations/",
                json=body,
                headers={**HEADERS, "Accept": "text/event-stream"},
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and response.text.endswith("\n\n"), response.text
            if queued:  # a follow-up on the (now idle) conversation: it waits for a next run
                waiting = await http.post(
                    f"/api/projects/1/conversations/{body['conversation']}/queue/",
                    json={"content": "x"},
                    headers={**SESSION, "X-Fakeserver-Profile": "actual"},
                )
                assert waiting.status_code == 200
            if index >= 20:
                timings.append(elapsed)
            if index % 100 == 0:
                state.workspace.reset()  # keep the store small, as a test suite would
    await state.stop_runs()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--profile", default="actual", choices=("actual", "documented"))
    parser.add_argument(
        "--queued",
        action="store_true",
        help="also check a queue POST after each run (accepted: it waits for a next run)",
    )
    args = parser.parse_args()
    timings = asyncio.run(measure(args.runs, args.profile, args.queued))
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    median = statistics.median(ordered)
    print(f"agent run streamed in-process ({args.profile}, reply-delay 0, {len(ordered)} runs)")
    print(
        f"  median {median:.3f} ms   p95 {p95:.3f} ms   max {ordered[-1]:.3f} ms"
        f"   target < {TARGET_MS} ms"
    )
    ok = p95 < TARGET_MS
    print("  OK" if ok else "  SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
