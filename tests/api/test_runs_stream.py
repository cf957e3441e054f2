"""POST conversations/: the stream's frames, exactly, and what a run leaves in the conversation."""

from __future__ import annotations

import json

import pytest
from conftest import ServerFactory
from runs_harness import (
    ADA,
    ADA_SESSION,
    BASE,
    ERROR_SPIKES,
    KEEPALIVE,
    RETENTION,
    compact,
    gated,
    message_body,
    new_id,
    parse_sse,
    stream,
)

from fakeserver.domain.scripts import FAILURE_TEXT

pytestmark = pytest.mark.anyio

MINIMAL_ACTUAL = [
    "id",
    "status",
    "title",
    "topic",
    "user",
    "created_at",
    "updated_at",
    "type",
    "is_internal",
    "slack_thread_key",
    "slack_workspace_domain",
    "task",
]


async def test_new_conversation_stream_frames_exactly(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    conversation, trace = new_id(), new_id()
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/",
            headers=ADA,
            json={
                "content": "How many signups last week?",
                "conversation": conversation,
                "trace_id": trace,
            },
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        frames = parse_sse(response.text)
        assert [f.event for f in frames] == [
            "conversation",
            "message",
            "update",
            "message",
            "message",
            "message",
        ]
        announced = frames[0].json
        assert frames[0].data == json.dumps(announced)  # json.dumps spacing, nulls kept
        assert list(announced) == MINIMAL_ACTUAL
        assert (announced["id"], announced["status"], announced["title"]) == (
            conversation,
            "in_progress",
            None,
        )
        assert announced["task"] is None and announced["user"]["email"] == "ada@example.com"

        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        human, final = retrieved["messages"]
        assert human == {
            "content": "How many signups last week?",
            "id": human["id"],
            "type": "human",
            "trace_id": trace,
        }
        update = frames[2].json
        assert frames[1:] == parse_sse(
            f"event: message\ndata: {compact(human)}\n\n"
            f"event: update\ndata: {compact(update)}\n\n"
            'event: message\ndata: {"content":"Let me check","type":"ai"}\n\n'
            'event: message\ndata: {"content":"Let me check: 42 signups last week, up 8%.",'
            '"type":"ai"}\n\n'
            f"event: message\ndata: {compact(final)}\n\n"
        )
        assert list(update) == ["id", "tool_call_id", "content"]
        assert update["content"] == "Querying signups for the last 7 days"
        assert final == {
            "content": "Let me check: 42 signups last week, up 8%.",
            "id": final["id"],
            "type": "ai",
        }
        assert retrieved["status"] == "idle"
        assert retrieved["title"] == "How many signups last week?"
        listed = (await http.get(BASE + "/", headers=ADA)).json()["results"]
        assert listed[0]["id"] == conversation


async def test_existing_conversation_uses_its_own_rule_and_drains_its_seeded_queue(
    make_server: ServerFactory,
) -> None:
    server = make_server(profile="actual")
    april = "April's week-4 retention is 34%, three points above March."
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/", headers=ADA, json=message_body(RETENTION, "And April?")
        )
        frames = parse_sse(response.text)
        # No `conversation` event; the fixture's queued message is answered on the same stream.
        assert [f.event for f in frames] == ["message"] * 8
        assert [f.json["content"] for f in frames] == [
            "And April?",
            "April's week-4 retention ",
            april,
            april,
            "Compare it with April.",
            "April's week-4 retention ",
            april,
            april,
        ]
        assert [("id" in f.json) for f in frames] == [True, False, False, True] * 2
        retrieved = (await http.get(f"{BASE}/{RETENTION}/", headers=ADA)).json()
        assert len(retrieved["messages"]) == 6  # two from the fixture, two turns of two
        assert retrieved["messages"][-1] == frames[-1].json
        assert retrieved["title"] == "Retention of the March cohort"
        queue = await http.post(
            f"{BASE}/{RETENTION}/queue/", headers=ADA_SESSION, json={"content": "x"}
        )
        assert queue.status_code == 200  # waits for the next run (PostHog has no not_running)


async def test_default_reply_when_no_rule_matches(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/", headers=ADA, json=message_body(ERROR_SPIKES, "hello there")
        )
        final = parse_sse(response.text)[-1].json
        assert final["content"] == 'This is a scripted reply from fakeserver to: "hello there"'


async def test_failure_turn_ends_with_ai_failure_message(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/", headers=ADA, json=message_body(ERROR_SPIKES, "break it")
        )
        frames = parse_sse(response.text)
        assert frames[1].data == '{"content":"Let me","type":"ai"}'
        failure = frames[2].json
        assert frames[2].data == compact(
            {"content": FAILURE_TEXT, "id": failure["id"], "type": "ai/failure"}
        )
        assert FAILURE_TEXT == "Oops! Something went wrong. Please try again."
        state = (await http.get(f"{BASE}/{ERROR_SPIKES}/", headers=ADA)).json()
        assert state["status"] == "idle" and state["messages"][-1] == failure


async def test_generation_error_turn_ends_with_status_event(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/", headers=ADA, json=message_body(ERROR_SPIKES, "overload")
        )
        frames = parse_sse(response.text)
        assert [(f.event, f.data) for f in frames[1:]] == [
            ("status", '{"type":"generation_error"}')
        ]


async def test_documented_profile_answers_201_json_and_still_runs(
    make_server: ServerFactory,
) -> None:
    server = make_server(profile="documented")
    conversation, trace = new_id(), new_id()
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/",
            headers=ADA,
            json={
                "content": "How many signups?",
                "conversation": conversation,
                "trace_id": trace,
                "ui_context": {},
                "billing_context": "not a context",
            },
        )
        assert response.status_code == 201
        assert response.json() == {
            "content": "How many signups?",
            "conversation": conversation,
            "ui_context": {},
            "trace_id": trace,
            "is_sandbox": False,
        }
        await server.workspace().runs.join_all()
        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        assert retrieved["status"] == "idle"
        assert [m["type"] for m in retrieved["messages"]] == ["human", "ai"]
        assert "task" not in retrieved


async def test_documented_profile_streams_to_a_client_accepting_event_stream(
    make_server: ServerFactory,
) -> None:
    server = make_server(profile="documented")
    conversation = new_id()
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/",
            json=message_body(conversation, "hi"),
            headers={**ADA, "Accept": "application/json, text/event-stream"},
        )
        assert response.status_code == 200
        frames = parse_sse(response.text)
        assert frames[0].event == "conversation"
        assert "task" not in frames[0].json  # the documented ConversationMinimal
        assert frames[-1].json["type"] == "ai"


async def test_profile_header_switches_create_per_request(make_server: ServerFactory) -> None:
    server = make_server(profile="documented")
    async with server.async_client() as http:
        response = await http.post(
            BASE + "/",
            json=message_body(new_id(), "hi"),
            headers={**ADA, "X-Fakeserver-Profile": "actual"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"


async def test_keepalive_comment_after_silence(make_server: ServerFactory) -> None:
    server, pacer = gated(make_server, keepalive=0.001)
    live = await stream(server.app, message_body(ERROR_SPIKES, "hello"))
    frames = await live.read_until(lambda frames: KEEPALIVE in frames)
    assert frames[0].event == "message" and frames[-1] == KEEPALIVE
    assert live.received.endswith(b"\n\n: keepalive\n\n")
    pacer.open()
    frames = await live.finish()
    assert frames[-1].json["id"]
    assert len(server.workspace().runs) == 0 and not server.workspace().runs.tasks
