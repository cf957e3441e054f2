"""Benchmark: a replayed run against the scripted run it was recorded from, in frames per second.

The scripted run is the default fixture's `tool` rule (an `ai` message with tool calls, a tool
result, two chunks and the final answer). Its stream is read once and turned into a `replay:`
rule, as `fakeserver record` would write it; then both rules are streamed in turn, in-process
at `replay_speed` 0, and each one's frames per second compared. Target: the replay streams at
>= 0.9 of the scripted rate.

    .venv/bin/python bench/replay_bench.py [--runs 400] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from typing import Any

import httpx

from fakeserver.app import ServerConfig, create_app
from fakeserver.conformance.recording import StreamRecording
from fakeserver.fixture_files import default_fixture_path

TARGET = 0.9
SCRIPTED = "use a tool"
REPLAYED = "replay the tool run"
HEADERS = {"Authorization": "Bearer phx_ada_all", "Accept": "text/event-stream"}


def body(content: str) -> dict[str, str]:
    return {"content": content, "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}


async def stream(http: httpx.AsyncClient, content: str) -> str:
    response = await http.post(
        "/api/projects/1/conversations/", json=body(content), headers=HEADERS
    )
    assert response.status_code == 200, response.text
    return response.text


async def replay_rule() -> dict[str, Any]:
    """The scripted run's frames as a replay rule (delays of 0: the bench replays at speed 0)."""
    app = create_app(ServerConfig(profile="actual"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://b") as http:
        text = await stream(http, SCRIPTED)
    recording = StreamRecording(None, clock=lambda: 0.0)
    recording.feed(text.encode())
    recording.finish()
    frames = recording.turns[0].frames + recording.turns[1].frames
    return {"match": f"^{REPLAYED}$", "replay": {"frames": frames}}


async def frames_per_second(http: httpx.AsyncClient, content: str, runs: int) -> float:
    frames = 0
    started = time.perf_counter()
    for _ in range(runs):
        frames += (await stream(http, content)).count("\n\n")
    return frames / (time.perf_counter() - started)


async def measure(runs: int, rounds: int) -> tuple[float, float]:
    fixtures = (default_fixture_path(), {"agent": {"rules": [await replay_rule()]}})
    app = create_app(ServerConfig(profile="actual", fixtures=fixtures, replay_speed=0.0))
    state = app.state.fakeserver
    scripted, replayed = [], []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://b") as http:
        await frames_per_second(http, SCRIPTED, 20)  # warm up
        await frames_per_second(http, REPLAYED, 20)
        for _ in range(rounds):  # interleaved, so load changes touch both alike
            scripted.append(await frames_per_second(http, SCRIPTED, runs))
            state.workspace.reset()
            replayed.append(await frames_per_second(http, REPLAYED, runs))
            state.workspace.reset()
    await state.stop_runs()
    return statistics.median(scripted), statistics.median(replayed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scripted, replayed = asyncio.run(measure(args.runs, args.rounds))
    ratio = replayed / scripted
    print(
        f"replayed vs scripted run, in-process, replay speed 0 ({args.rounds} x {args.runs} runs)"
    )
    print(
        f"  scripted {scripted:,.0f} frames/s   replayed {replayed:,.0f} frames/s"
        f"   ratio {ratio:.2f}   target >= {TARGET}"
    )
    ok = ratio >= TARGET
    print("  OK" if ok else "  SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
