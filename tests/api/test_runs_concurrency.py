"""Many streams at once, in-process and against a live server; nothing left running after."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from conftest import ServerFactory
from runs_harness import (
    ADA,
    ADA_SESSION,
    BASE,
    RETENTION,
    LiveRequest,
    gated,
    message_body,
    new_id,
    parse_sse,
    stream,
)

pytestmark = pytest.mark.anyio

STREAMS = 50


async def test_fifty_concurrent_streams_each_draining_a_queued_message(
    make_server: ServerFactory,
) -> None:
    server, pacer = gated(make_server)
    conversations = [new_id() for _ in range(STREAMS)]
    lives: list[LiveRequest] = await asyncio.gather(
        *(stream(server.app, message_body(c, f"question {i}")) for i, c in enumerate(conversations))
    )
    assert {live.status for live in lives} == {200}
    await asyncio.gather(*(live.read_frames(2) for live in lives))
    assert len(server.workspace().runs) == STREAMS
    async with server.async_client() as http:
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
    assert len(server.workspace().runs) == 0 and not server.workspace().runs.tasks


def read_stream(http: httpx.Client, body: dict[str, Any]) -> tuple[int, str, str]:
    with http.stream("POST", BASE + "/", json=body, headers=ADA) as response:
        text = "".join(response.iter_text())
        return response.status_code, response.headers["content-type"], text


def test_live_server_streams_drains_and_survives_fifty_concurrent_clients(
    make_server: ServerFactory,
) -> None:
    with make_server(profile="actual", live=True) as server:
        url = server.url
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
    assert len(server.workspace().runs) == 0 and not server.workspace().runs.tasks


def test_live_server_shutdown_cancels_a_run_whose_client_left(make_server: ServerFactory) -> None:
    server = make_server(profile="actual", reply_delay=30, live=True)
    conversation = new_id()
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        body = message_body(conversation, "slow")
        with http.stream("POST", BASE + "/", json=body, headers=ADA) as response:
            first = next(response.iter_lines())
            assert first == "event: conversation"
        # The client is gone; the run waits 30 s per frame; shutting down must not wait.
        assert len(server.workspace().runs) == 1
    assert len(server.workspace().runs) == 0 and not server.workspace().runs.tasks
