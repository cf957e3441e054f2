"""Run lifecycle: queue drain on the same stream, queueing after a run, cancel, reconnect,
disconnect, approvals. Runs advance only when the test lets them (a `GatedPacer`): no sleeps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import ServerFactory
from runs_harness import (
    ADA,
    ADA_SESSION,
    BASE,
    BOBS,
    ERROR_SPIKES,
    Frame,
    gated,
    message_body,
    new_id,
    parse_sse,
    stream,
)

from fakeserver import FakeServer, GatedPacer

pytestmark = pytest.mark.anyio


def waits_for_the_next_run(answer: httpx.Response, content: str) -> bool:
    """PostHog's newest queue takes a message while nothing runs (no `not_running`)."""
    contents = [message["content"] for message in answer.json()["messages"]]
    return answer.status_code == 200 and contents == [content]


def contents(frames: list[Frame]) -> list[tuple[str, str, bool]]:
    """(event, content, has id) of every message frame."""
    return [
        (f.event, f.json.get("content", ""), "id" in f.json) for f in frames if f.event == "message"
    ]


def default_turn(content: str) -> list[tuple[str, str, bool]]:
    reply = f'This is a scripted reply from fakeserver to: "{content}"'
    return [
        ("message", content, True),
        ("message", "This is a scripted reply", False),
        ("message", reply, False),
        ("message", reply, True),
    ]


def assert_no_runs(server: FakeServer) -> None:
    assert len(server.workspace().runs) == 0
    assert not server.workspace().runs.tasks


async def test_queued_messages_are_answered_in_order_on_the_same_stream(
    make_server: ServerFactory,
) -> None:
    server, pacer = gated(make_server)
    conversation = new_id()
    async with server.async_client() as http:
        live = await stream(server.app, message_body(conversation, "hello"))
        await live.read_frames(2)  # conversation, human echo; the agent waits for the gate
        queue_url = f"{BASE}/{conversation}/queue/"
        for content in ("first", "second"):
            queued = await http.post(queue_url, headers=ADA_SESSION, json={"content": content})
            assert queued.status_code == 200
        assert [m["content"] for m in queued.json()["messages"]] == ["first", "second"]
        # Untitled until its first turn ends, so not retrievable yet (as in PostHog).
        assert (await http.get(f"{BASE}/{conversation}/", headers=ADA)).status_code == 404
        stored = server.workspace().store.conversation(conversation)
        assert stored is not None and stored.status == "in_progress"
        pacer.open()
        frames = await live.finish()
        assert frames[0].event == "conversation"
        assert contents(frames) == default_turn("hello") + default_turn("first") + default_turn(
            "second"
        )
        traces = {f.json["trace_id"] for f in frames if f.json.get("type") == "human"}
        assert len(traces) == 3  # each follow-up run has its own trace id
        assert (await http.get(queue_url, headers=ADA_SESSION)).json() == {
            "messages": [],
            "max_queue_messages": 2,
        }
        late = await http.post(queue_url, headers=ADA_SESSION, json={"content": "late"})
        assert waits_for_the_next_run(late, "late")
        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        assert retrieved["status"] == "idle" and len(retrieved["messages"]) == 6
        # A new run opens the drain again.
        again = await http.post(BASE + "/", headers=ADA, json=message_body(conversation, "more"))
        assert again.status_code == 200
    assert_no_runs(server)


async def test_queue_cleared_mid_run_stays_open(make_server: ServerFactory) -> None:
    server, pacer = gated(make_server)
    async with server.async_client() as http:
        live = await stream(server.app, message_body(ERROR_SPIKES, "hello"))
        await live.read_frames(1)
        queue_url = f"{BASE}/{ERROR_SPIKES}/queue/"
        await http.post(queue_url, headers=ADA_SESSION, json={"content": "dropped"})
        cleared = await http.post(f"{queue_url}clear/", headers=ADA_SESSION, json={})
        assert cleared.json() == {"messages": [], "max_queue_messages": 2}
        kept = await http.post(queue_url, headers=ADA_SESSION, json={"content": "kept"})
        assert kept.status_code == 200
        pacer.open()
        frames = await live.finish()
        assert contents(frames) == default_turn("hello") + default_turn("kept")
    assert_no_runs(server)


async def test_new_message_while_running_is_409_and_state_is_unchanged(
    make_server: ServerFactory,
) -> None:
    server, pacer = gated(make_server)
    async with server.async_client() as http:
        live = await stream(server.app, message_body(ERROR_SPIKES, "hello"))
        await live.read_frames(1)
        before = (await http.get(f"{BASE}/{ERROR_SPIKES}/", headers=ADA)).json()
        refused = await http.post(
            BASE + "/", headers=ADA, json=message_body(ERROR_SPIKES, "another")
        )
        assert (refused.status_code, refused.json()) == (
            409,
            {
                "type": "server_error",
                "code": "conflict",
                "detail": "Cannot resume streaming with a new message",
                "attr": None,
            },
        )
        assert (await http.get(f"{BASE}/{ERROR_SPIKES}/", headers=ADA)).json() == before
        pacer.open()
        await live.finish()
    assert_no_runs(server)


async def test_reconnect_replays_the_current_run_then_follows_it_live(
    make_server: ServerFactory,
) -> None:
    server, pacer = gated(make_server)
    conversation = new_id()
    async with server.async_client() as http:
        first = await stream(server.app, message_body(conversation, "hello"))
        await first.read_frames(2)
        await http.post(
            f"{BASE}/{conversation}/queue/", headers=ADA_SESSION, json={"content": "follow-up"}
        )
        pacer.allow(2)  # two chunks of the first turn
        await first.read_frames(4)
        reconnected = await stream(server.app, message_body(conversation, None))
        assert reconnected.status == 200
        replay = await reconnected.read_frames(3)
        assert replay == first.frames()[1:4]  # from the run's start: no `conversation` event
        pacer.allow(1)  # the final message; then the follow-up run starts on the same log
        await first.read_until(
            lambda frames: any(
                f.json.get("content") == "follow-up" for f in frames if f.event == "message"
            )
        )
        late = await stream(server.app, message_body(conversation, None))
        follow_up = await late.read_frames(1)
        assert (follow_up[0].json["content"], follow_up[0].json["type"]) == ("follow-up", "human")
        pacer.open()
        everything = await first.finish()
        assert (await reconnected.finish()) == everything[1:]
        assert (await late.finish()) == everything[-4:]
    assert_no_runs(server)


async def test_reconnect_to_an_idle_conversation_is_400(make_server: ServerFactory) -> None:
    server, _pacer = gated(make_server)
    async with server.async_client() as http:
        refused = await http.post(BASE + "/", headers=ADA, json=message_body(ERROR_SPIKES, None))
        assert (refused.status_code, refused.json()) == (
            400,
            {
                "type": "validation_error",
                "code": "invalid_input",
                "detail": "Cannot continue streaming from an idle conversation",
                "attr": None,
            },
        )
    assert_no_runs(server)


async def test_disconnect_mid_run_does_not_stop_the_run(make_server: ServerFactory) -> None:
    server, pacer = gated(make_server)
    conversation = new_id()
    async with server.async_client() as http:
        live = await stream(server.app, message_body(conversation, "hello"))
        await live.read_frames(2)
        live.disconnect()
        await live.wait_closed()
        assert len(server.workspace().runs) == 1
        pacer.open()
        await server.workspace().runs.join_all()
        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        assert retrieved["status"] == "idle"
        assert [m["type"] for m in retrieved["messages"]] == ["human", "ai"]
        assert retrieved["title"] == "hello"
    assert_no_runs(server)


async def test_cancel_mid_run_ends_the_stream_clears_the_queue_and_closes_the_drain(
    make_server: ServerFactory,
) -> None:
    server, _pacer = gated(make_server)
    async with server.async_client() as http:
        live = await stream(server.app, message_body(ERROR_SPIKES, "hello"))
        await live.read_frames(1)
        queue_url = f"{BASE}/{ERROR_SPIKES}/queue/"
        await http.post(queue_url, headers=ADA_SESSION, json={"content": "never answered"})
        canceled = await http.patch(f"{BASE}/{ERROR_SPIKES}/cancel/", headers=ADA_SESSION)
        assert (canceled.status_code, canceled.content) == (204, b"")
        frames = await live.finish()
        assert contents(frames) == [("message", "hello", True)]
        assert (await http.get(queue_url, headers=ADA_SESSION)).json()["messages"] == []
        after = await http.post(queue_url, headers=ADA_SESSION, json={"content": "x"})
        assert waits_for_the_next_run(after, "x")
        retrieved = (await http.get(f"{BASE}/{ERROR_SPIKES}/", headers=ADA)).json()
        assert retrieved["status"] == "idle"
        again = await http.patch(f"{BASE}/{ERROR_SPIKES}/cancel/", headers=ADA_SESSION)
        assert again.status_code == 204  # an idle conversation: 204 as well
    assert_no_runs(server)


@pytest.mark.parametrize("conversation", [BOBS, "00000000-0000-4000-8000-000000000000", "nope"])
async def test_cancel_of_other_users_or_missing_conversation_is_404(
    make_server: ServerFactory, conversation: str
) -> None:
    server, _pacer = gated(make_server)
    async with server.async_client() as http:
        response = await http.patch(f"{BASE}/{conversation}/cancel/", headers=ADA_SESSION)
        assert (response.status_code, response.json()) == (
            404,
            {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None},
        )


async def test_reset_cancels_runs_and_ends_their_streams(make_server: ServerFactory) -> None:
    server, _pacer = gated(make_server)
    live = await stream(server.app, message_body(new_id(), "hello"))
    await live.read_frames(2)
    server.workspace().reset()
    frames = await live.finish()
    assert len(frames) == 2
    await server.workspace().runs.join_all()
    assert_no_runs(server)


async def approval_turn(
    server: FakeServer, pacer: GatedPacer, http: httpx.AsyncClient, conversation: str
) -> dict[str, Any]:
    """Run the default fixture's approval rule; return the pending proposal."""
    live = await stream(server.app, message_body(conversation, "Please delete that insight"))
    await live.read_frames(2)
    queued = await http.post(
        f"{BASE}/{conversation}/queue/",
        headers=ADA_SESSION,
        json={"content": "dropped by the approval"},
    )
    assert queued.status_code == 200
    pacer.open()
    frames = await live.finish()
    reply = "I can delete that insight for you once you approve."
    assert contents(frames) == [
        ("message", "Please delete that insight", True),
        ("message", reply, False),
        ("message", reply, True),
    ]
    retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
    assert retrieved["status"] == "idle"
    [proposal] = retrieved["pending_approvals"]
    assert proposal == {
        "proposal_id": proposal["proposal_id"],
        "decision_status": "pending",
        "tool_name": "delete_insight",
        "preview": "Delete the insight 'Signups last week'",
        "payload": {"insight_id": 42},
        "original_tool_call_id": proposal["original_tool_call_id"],
        "message_id": frames[-1].json["id"],
    }
    queue_url = f"{BASE}/{conversation}/queue/"
    assert (await http.get(queue_url, headers=ADA_SESSION)).json()["messages"] == []
    after = await http.post(queue_url, headers=ADA_SESSION, json={"content": "x"})
    assert waits_for_the_next_run(after, "x")
    await http.delete(f"{queue_url}{after.json()['messages'][0]['id']}/", headers=ADA_SESSION)
    pacer.close()
    return dict(proposal)


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        ({"action": "approve"}, "Approved: delete_insight has been applied."),
        (
            {"action": "reject", "feedback": "Keep it"},
            "Rejected: delete_insight was not applied. Feedback: Keep it",
        ),
    ],
)
async def test_approval_flow(
    make_server: ServerFactory, payload: dict[str, str], answer: str
) -> None:
    server, pacer = gated(make_server)
    conversation = new_id()
    async with server.async_client() as http:
        proposal = await approval_turn(server, pacer, http, conversation)
        pacer.open()
        resumed = await http.post(
            BASE + "/",
            headers=ADA,
            json=message_body(
                conversation,
                None,
                resume_payload={**payload, "proposal_id": proposal["proposal_id"]},
            ),
        )
        assert resumed.status_code == 200
        [frame] = parse_sse(resumed.text)
        assert (frame.event, frame.json["content"], frame.json["type"]) == ("message", answer, "ai")
        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        assert retrieved["pending_approvals"] == []
        assert retrieved["messages"][-1] == frame.json
    assert_no_runs(server)
