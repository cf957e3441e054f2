"""Slash commands on create: one assistant message with the command's answer and
`meta.source = "slash_command:<name>"` instead of a normal turn, as PostHog's newest agent does."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import ServerFactory
from runs_harness import Frame, parse_sse

from fakeserver import FakeServer
from fakeserver.fixture_files import default_fixture_path

CREATE = "/api/projects/1/conversations/"
USAGE_FIXTURE = Path(__file__).parent / "data" / "usage.yaml"
ADA = {"Authorization": "Bearer phx_ada_all"}


@pytest.fixture
def server(make_server: ServerFactory) -> FakeServer:
    return make_server((default_fixture_path(), USAGE_FIXTURE), profile="actual", id_seed=5)


def send(
    server: FakeServer, content: str, conversation: str | None = None, **extra: Any
) -> tuple[str, list[Frame]]:
    conversation = conversation or str(uuid.uuid4())
    body = {"content": content, "conversation": conversation, "trace_id": str(uuid.uuid4())}
    with server.client() as http:
        response = http.post(CREATE, headers=ADA, json={**body, **extra})
    assert response.status_code == 200, response.text
    return conversation, parse_sse(response.text)


def answer(frames: list[Frame]) -> dict[str, Any]:
    """The one assistant message of a slash command's stream (after the human echo)."""
    messages = [frame.json for frame in frames if frame.event == "message"]
    assert [message["type"] for message in messages] == ["human", "ai"]
    reply: dict[str, Any] = messages[1]
    return reply


@pytest.mark.parametrize(
    ("content", "source", "text"),
    [
        ("/feedback Love the new charts", "feedback", "Thanks for making PostHog AI better!"),
        (
            "/feedback",
            "feedback",
            "Please provide your feedback for PostHog AI. Usage: `/feedback <your feedback>`",
        ),
        (
            "/remember Our main KPI is weekly active users",
            "remember",
            "I'll remember that for you.",
        ),
        (
            "/remember   ",
            "remember",
            "Please provide something to remember. Usage: `/remember <fact to remember>`",
        ),
        (
            "/ticket",
            "ticket",
            "I'll help you create a support ticket. Please describe your issue below.",
        ),
    ],
)
def test_each_command_answers_once_with_its_source(
    server: FakeServer, content: str, source: str, text: str
) -> None:
    conversation, frames = send(server, content)
    assert [frame.event for frame in frames] == ["conversation", "message", "message"]
    reply = answer(frames)
    assert reply == {
        "content": text,
        "id": reply["id"],
        "meta": {"source": f"slash_command:{source}"},
        "type": "ai",
    }
    assert frames[-1].data.startswith('{"content":')  # compact, as PostHog's SSE serializer
    stored = server.conversation(conversation)
    assert (stored.status, stored.messages[-1]) == ("idle", reply)
    assert stored.title == content.strip()  # the title generator runs for commands too


def test_ticket_after_earlier_messages_summarises_them(server: FakeServer) -> None:
    conversation, _ = send(server, "Why did signups drop on Monday?")
    _, frames = send(server, "/ticket", conversation)
    assert answer(frames)["content"] == (
        "PostHog AI Support Ticket Summary:\n\n"
        "The user asked PostHog AI:\n- Why did signups drop on Monday?"
    )
    assert answer(frames)["meta"] == {"source": "slash_command:ticket"}


def test_usage_reports_the_fixture_credits(server: FakeServer) -> None:
    conversation, frames = send(server, "/usage")
    started = server.conversation(conversation).created_at
    assert answer(frames)["content"] == "\n".join(
        [
            "## PostHog AI usage",
            "",
            "**Current conversation**: 50 credits\n",
            "**Billing period** (2026-11-02 to 2026-12-02): 1,500 credits\n",
            "**Free tier limit**: 2,000 credits\n",
            "**Billing period usage**: [███████████████░░░░░] 75% of free tier\n",
            "**Remaining**: 500 credits\n",
            f"_Conversation since_: {started:%Y-%m-%d %H:%M} UTC\n",
            "_Billing period resets on_: 2026-12-02 14:51 UTC\n",
            "",
            "_Current conversation resets when you start a new chat; billing period usage resets "
            "at the end of this billing period._",
            "_Note: Usage data depends on AI trace ingestion and may lag slightly behind "
            "real-time activity._",
        ]
    )


def test_usage_takes_the_billing_period_of_the_request(server: FakeServer) -> None:
    billing = {
        "billing_period": {
            "current_period_start": "2025-11-01T00:00:00Z",
            "current_period_end": "2025-12-01T00:00:00Z",
        }
    }
    _, frames = send(server, "/usage", billing_context=billing)
    report = answer(frames)["content"]
    assert (
        "**Billing period** (2025-11-01 to 2025-12-01) (since 2025-11-17): 1,500 credits" in report
    )
    assert report.endswith(
        "_Billing period usage is calculated from PostHog AI general availability date "
        "(Nov 17, 2025) as usage before this date is not counted._"
    )


def test_usage_without_a_billing_period_covers_the_past_30_days(
    make_server: ServerFactory,
) -> None:
    server = make_server(profile="actual")  # the default fixture: no ai_usage
    _, frames = send(server, "/usage")
    report = answer(frames)["content"]
    assert "**Past 30 days**: 0 credits\n" in report
    assert "**Free tier limit**: 2,000 credits\n" in report
    assert "**Past 30 days usage**: [░░░░░░░░░░░░░░░░░░░░] 0% of free tier\n" in report
    assert "past 30 days is rolling usage for this project" in report


@pytest.mark.parametrize("content", ["/usages", "/feedback\tgreat", "please /usage", "/help"])
def test_anything_else_is_a_normal_turn(server: FakeServer, content: str) -> None:
    _, frames = send(server, content)
    final = [frame.json for frame in frames if frame.event == "message"][-1]
    assert "meta" not in final
    assert final["content"] == f'This is a scripted reply from fakeserver to: "{content}"'


def test_a_queued_command_is_answered_too(server: FakeServer) -> None:
    conversation, _ = send(server, "hello")
    with server.client() as http:
        csrf = "a" * 32
        session = {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={csrf}", "X-CSRFToken": csrf}
        queued = http.post(
            f"{CREATE}{conversation}/queue/", headers=session, json={"content": "/remember x"}
        )
        assert queued.status_code == 200
    waiting = server.conversation(conversation)
    assert [m.get("meta") for m in waiting.messages] == [None, None]  # waits for the next run
    _, frames = send(server, "/feedback", conversation)
    sources = [frame.json.get("meta") for frame in frames if frame.event == "message"]
    assert sources == [
        None,
        {"source": "slash_command:feedback"},
        None,
        {"source": "slash_command:remember"},
    ]


def test_a_command_is_a_create_for_the_quota(make_server: ServerFactory) -> None:
    """Commands spend no credits themselves, but they are creates: over quota, 402 first."""
    over_quota = {"organizations": [{"id": "default", "ai_credit_quota_exceeded": True}]}
    server = make_server((default_fixture_path(), over_quota), profile="actual", limits="posthog")
    body = {"content": "/usage", "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}
    with server.client() as http:
        refused = http.post(CREATE, headers=ADA, json=body)
    assert (refused.status_code, refused.json()["code"]) == (402, "quota_limit_exceeded")
