"""Every message kind the default fixture can stream, checked against the JSON Schemas of
PostHog's message kinds, in both profiles; and the `messages:` form's own rules."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import ADA_KEY, ServerFactory, bearer
from runs_harness import Frame, parse_sse

from fakeserver import FakeServer
from fakeserver.fixture_files.loader import default_fixture_path, load_seed
from fakeserver.fixture_files.message_kinds import check, known_kinds, message_problems

TRIGGERS = {
    "How many signups last week?": ("update", "ai"),
    "Please delete it": ("ai",),
    "Does this break?": ("ai/failure",),
    "overload it": (),
    "Draw a chart": ("update", "ai/viz", "ai"),
    "compare two insights": ("ai/multi_viz",),
    "think first": ("ai/reasoning", "ai"),
    "plan a funnel": ("ai/planning",),
    "write a notebook": ("ai/notebook",),
    "show the artifact": ("ai/artifact",),
    "run the tasks": ("ai/task_execution",),
    "use a tool": ("ai", "tool", "ai"),
    "stream a new kind": ("ai/not_yet_known", "ai"),
}
"""A message per rule of the default fixture, and the kinds (and updates) its turn streams."""
UNCHECKED = {"ai/not_yet_known"}
"""The default fixture's example of the escape hatch: a kind fakeserver does not know."""


def stream(server: FakeServer, content: str) -> list[Frame]:
    body = {"content": content, "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}
    headers = {**bearer(ADA_KEY), "Accept": "text/event-stream"}
    with server.client() as client:
        response = client.post("/api/projects/1/conversations/", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


def frame_problems(frame: Frame) -> list[tuple[str, str]]:
    data: Any = frame.json if frame.event != ":" else None
    if frame.event == "message":
        if data.get("type") in UNCHECKED:
            return []
        return message_problems(data)
    if frame.event in ("update", "status"):
        return check("events", frame.event, data)
    return []


def test_every_rule_of_the_default_fixture_has_a_trigger() -> None:
    rules = load_seed([default_fixture_path()]).agent_script.rules
    first_match = {
        content: next(i for i, rule in enumerate(rules) if rule.matches(content))
        for content in TRIGGERS
    }
    assert sorted(first_match.values()) == list(range(len(rules)))


@pytest.mark.parametrize("profile", ["documented", "actual"])
@pytest.mark.parametrize("content", list(TRIGGERS))
def test_every_streamed_message_validates_against_posthogs_kinds(
    make_server: ServerFactory, profile: str, content: str
) -> None:
    server = make_server(profile=profile, id_seed=1)
    frames = stream(server, content)
    for frame in frames:
        assert frame_problems(frame) == [], (frame.event, frame.data)
    kinds = [
        frame.json.get("type") if frame.event == "message" else frame.event
        for frame in frames
        if frame.event in ("message", "update") and (frame.event == "update" or "id" in frame.json)
    ]
    assert kinds[0] == "human"
    assert tuple(dict.fromkeys(kinds[1:])) == tuple(dict.fromkeys(TRIGGERS[content]))


def test_chunks_have_no_id_and_the_final_message_has_one(make_server: ServerFactory) -> None:
    server = make_server(id_seed=1)
    frames = stream(server, "Draw a chart")
    messages = [frame.json for frame in frames if frame.event == "message"]
    chunks = [m for m in messages if m["type"] == "ai" and "id" not in m]
    assert [m["content"] for m in chunks] == [
        "Here is the chart",
        "Here is the chart: signups per day.",
    ]
    final = messages[-1]
    assert final["type"] == "ai" and final["content"] == chunks[-1]["content"] and "id" in final
    viz = next(m for m in messages if m["type"] == "ai/viz")
    assert list(viz) == sorted(viz)  # PostHog's generated models order fields by name
    assert viz["answer"]["kind"] == "TrendsQuery" and "id" in viz


def test_a_viz_without_its_query_fails_the_validation(make_server: ServerFactory) -> None:
    server = make_server(id_seed=1)
    frames = stream(server, "Draw a chart")
    viz = next(f for f in frames if f.event == "message" and f.json["type"] == "ai/viz")
    assert frame_problems(viz) == []
    mutated = {key: value for key, value in viz.json.items() if key != "query"}
    assert message_problems(mutated) == [(".query", "is required")]


def test_the_schemas_name_every_kind_of_posthog_ai() -> None:
    assert set(known_kinds()) == {
        "human",
        "ai",
        "ai/failure",
        "ai/viz",
        "ai/multi_viz",
        "ai/reasoning",
        "ai/planning",
        "ai/notebook",
        "ai/artifact",
        "ai/task_execution",
        "tool",
    }


def test_the_pending_approval_validates(make_server: ServerFactory) -> None:
    server = make_server(id_seed=1)
    stream(server, "Please delete it")
    with server.client() as client:
        listed = client.get("/api/projects/1/conversations/", headers=bearer()).json()
        newest = client.get(
            f"/api/projects/1/conversations/{listed['results'][0]['id']}/", headers=bearer()
        ).json()
    pending = newest.get("pending_approvals")
    if pending is None:
        pytest.skip("this profile does not render pending_approvals")
    assert pending and all(check("events", "pending_approval", p) == [] for p in pending)


def test_the_actual_schema_documents_the_stream_message_kinds(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    with server.client() as client:
        document = client.get("/api/schema/").json()
    kinds = document["components"]["schemas"]["StreamMessage"]["properties"]["type"]["enum"]
    assert kinds == list(known_kinds())


def test_an_approval_closes_a_messages_turn_on_its_last_ai_message(
    make_server: ServerFactory,
) -> None:
    rule = {
        "match": "^Tidy up$",
        "messages": [
            {"type": "ai/reasoning", "content": "Looking for stale insights"},
            {"type": "ai", "content": "I can delete 3 stale insights once you approve."},
        ],
        "approval": {"tool_name": "delete_insights", "preview": "Delete 3 insights"},
    }
    fixtures = [default_fixture_path(), {"agent": {"rules": [rule]}}]
    server = make_server(fixtures, id_seed=1)
    frames = stream(server, "Tidy up")
    (conversation,) = [c for c in server.conversations() if c.title == "Tidy up"]
    asked = [f.json for f in frames if f.event == "message"][-1]
    assert asked["type"] == "ai" and asked["content"].startswith("I can delete")
    (pending,) = conversation.pending_approvals
    assert pending["message_id"] == asked["id"] and pending["tool_name"] == "delete_insights"
    assert check("events", "pending_approval", pending) == []
