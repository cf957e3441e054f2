"""Many streams at once, in-process and against a live uvicorn; nothing left running after."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from runs_harness import (
    ADA,
    ADA_SESSION,
    BASE,
    RETENTION,
    LiveRequest,
    gated_app,
    message_body,
    new_id,
    parse_sse,
    serve_in_thread,
    stream,
)

from fakeserver.app import ServerConfig, create_app

pytestmark = pytest.mark.anyio

STREAMS = 50


async def test_fifty_concurrent_streams_each_draining_a_queued_message() -> None:
    app, pacer, state = gated_app()
    conversations = [new_id() for _ in range(STREAMS)]
    lives: list[LiveRequest] = await asyncio.gather(
        *(stream(app, message_body(c, f"question {i}")) for i, c in enumerate(conversations))
    )
    assert {live.status for live in lives} == {200}
    await asyncio.gather(*(live.read_frames(2) for live in lives))
    assert len(state.workspace.runs) == STREAMS
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        queued = await asyncio.gather(
            *(
                http.post(f"{BASE}/{c}/queue/", headers=ADA_SESSION, json={"content": f"more {i}"})
                for i, c in enumerate(conversations)
            )
        )
        assert {r.status_code for r in queued} == {200}
        pacer.open()
        results = await asyncio.gather(*(live.finish() for live in lives))
        for i, frames in enumerate(results):
            humans = [f.json["content"] for f in frames if f.json.get("type") == "human"]
            assert humans == [f"question {i}", f"more {i}"]
            assert frames[0].event == "conversation" and frames[-1].json["type"] == "ai"
        listed = (await http.get(BASE + "/?limit=200", headers=ADA)).json()
        mine = {c["id"]: c for c in listed["results"] if c["id"] in set(conversations)}
        assert len(mine) == STREAMS
        assert {c["status"] for c in mine.values()} == {"idle"}
        assert {c["title"] for c in mine.values()} == {f"question {i}" for i in range(STREAMS)}
    assert len(state.workspace.runs) == 0 and not state.workspace.runs.tasks


def read_stream(http: httpx.Client, body: dict[str, Any]) -> tuple[int, str, str]:
    with http.stream("POST", BASE + "/", json=body, headers=ADA) as response:
        text = "".join(response.iter_text())
        return response.status_code, response.headers["content-type"], text


def test_live_server_streams_drains_and_survives_fifty_concurrent_clients() -> None:
    app = create_app(ServerConfig(profile="actual"))
    state = app.state.fakeserver
    with serve_in_thread(app) as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            status, content_type, text = read_stream(http, message_body(RETENTION, "And April?"))
            assert (status, content_type) == (200, "text/event-stream")
            humans = [f.json["content"] for f in parse_sse(text) if f.json.get("type") == "human"]
            assert humans == ["And April?", "Compare it with April."]

        async def many() -> list[tuple[int, str]]:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:

                async def one(i: int) -> tuple[int, str]:
                    body = message_body(new_id(), f"live {i}")
                    async with client.stream("POST", BASE + "/", json=body, headers=ADA) as r:
                        return r.status_code, "".join([part async for part in r.aiter_text()])

                return await asyncio.gather(*(one(i) for i in range(STREAMS)))

        results = asyncio.run(many())
        assert {status for status, _ in results} == {200}
        for i, (_, text) in enumerate(results):
            frames = parse_sse(text)
            assert frames[1].json["content"] == f"live {i}" and "id" in frames[-1].json
        with httpx.Client(base_url=url, timeout=30) as http:
            listed = http.get(BASE + "/?limit=500", headers=ADA).json()
            assert listed["count"] >= STREAMS + 1
            assert all(c["status"] == "idle" for c in listed["results"])
    assert len(state.workspace.runs) == 0 and not state.workspace.runs.tasks


def test_live_server_shutdown_cancels_a_run_whose_client_left() -> None:
    app = create_app(ServerConfig(profile="actual", reply_delay=30))
    state = app.state.fakeserver
    conversation = new_id()
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        body = message_body(conversation, "slow")
        with http.stream("POST", BASE + "/", json=body, headers=ADA) as response:
            first = next(response.iter_lines())
            assert first == "event: conversation"
        # The client is gone; the run waits 30 s per frame; shutting down must not wait.
        assert len(state.workspace.runs) == 1
    assert len(state.workspace.runs) == 0 and not state.workspace.runs.tasks
