"""What a target said, as a fixture that always loads: every value the fixture format does not
take is left out and named (read, field, both values), never a reason to stop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from posthog_standin import proxy, serving
from verify_harness import target

from fakeserver import FakeServer
from fakeserver.conformance import commands
from fakeserver.conformance import seeding as seeding_module
from fakeserver.conformance.seeding import (
    LIST_READ,
    QUEUE_READ,
    RETRIEVE_READ,
    STAND_IN_TITLE,
    SeedProblem,
    seed_fixture,
    shown,
)
from fakeserver.conformance.snapshot import Snapshot

__all__ = ["target"]  # a fixture

ONE = "11111111-1111-4111-8111-111111111111"
TWO = "22222222-2222-4222-8222-222222222222"
USER = {
    "id": 5,
    "uuid": "55555555-5555-4555-8555-555555555555",
    "distinct_id": "u5",
    "first_name": "Ada",
    "last_name": "",
    "email": "u@example.com",
    "is_email_verified": True,
    "hedgehog_config": None,
    "role_at_organization": None,
}


def listed(identifier: str, **fields: Any) -> dict[str, Any]:
    item = {
        "id": identifier,
        "status": "idle",
        "title": "Signups",
        "topic": None,
        "user": USER,
        "created_at": "2026-10-01T10:00:00Z",
        "updated_at": "2026-10-01T10:00:00Z",
        "type": "assistant",
        "is_internal": False,
        "slack_thread_key": None,
        "slack_workspace_domain": None,
    }
    return item | fields


def problems_of(snapshot: Snapshot) -> list[SeedProblem]:
    return seed_fixture(snapshot).problems


def test_a_clean_answer_seeds_without_a_problem():
    seeding = seed_fixture(Snapshot(1, [listed(ONE), listed(TWO)]))
    assert seeding.problems == []
    assert list(seeding.seed.conversations) == [ONE, TWO]
    assert seeding.seed.users[5].session == "fakeserver-snapshot-session"


def test_an_item_without_a_uuid_is_left_out_and_named():
    problems = problems_of(Snapshot(1, ["not an object", listed("42"), listed(ONE)]))
    assert [(p.read, p.path, p.target) for p in problems] == [
        (LIST_READ, "$.results[0].id", '"not an object" (a string)'),
        (LIST_READ, "$.results[1].id", '"42" (a string)'),
    ]


def test_a_missing_title_gets_a_stand_in_so_the_fake_lists_the_conversation_too():
    item = listed(ONE)
    del item["title"]
    seeding = seed_fixture(Snapshot(1, [item]))
    (problem,) = seeding.problems
    assert (problem.path, problem.target, problem.reason) == (
        "$.title",
        "missing",
        "the field is missing",
    )
    assert problem.seeded == shown(STAND_IN_TITLE)
    assert seeding.seed.conversations[ONE].title == STAND_IN_TITLE


def test_a_user_that_cannot_be_seeded_becomes_the_key_s_owner():
    seeding = seed_fixture(Snapshot(1, [listed(ONE), listed(TWO, user="someone")]))
    (problem,) = seeding.problems
    assert (problem.conversation, problem.path, problem.seeded) == (
        TWO,
        "$.user",
        "the key's owner",
    )
    assert seeding.seed.conversations[TWO].user_id == 5


def test_a_user_field_of_another_type_keeps_the_loader_s_default():
    seeding = seed_fixture(Snapshot(1, [listed(ONE, user=USER | {"is_email_verified": "yes"})]))
    (problem,) = seeding.problems
    assert (problem.path, problem.target, problem.seeded) == (
        "$.user.is_email_verified",
        '"yes" (a string)',
        "true (a boolean)",
    )


def test_retrieved_messages_and_queue_keep_what_loads():
    retrieved = listed(ONE) | {
        "messages": [{"type": "human", "content": "hi"}, {"content": "no type"}],
        "has_unsupported_content": False,
        "agent_mode": None,
        "agent_runtime": "langgraph",
        "pending_approvals": [],
    }
    queued = {
        "id": "q1",
        "content": "next",
        "created_at": "2026-10-01T10:00:00+00:00",
        "contextual_tools": None,
        "ui_context": None,
        "billing_context": None,
        "agent_mode": None,
        "session_id": None,
    }
    queue = {"messages": [queued, queued | {"id": "q2", "content": 7}], "max_queue_messages": 2}
    snapshot = Snapshot(1, [listed(ONE)], {ONE: retrieved}, {ONE: queue})
    seeding = seed_fixture(snapshot)
    assert [(p.read, p.path, p.target) for p in seeding.problems] == [
        (RETRIEVE_READ, "$.messages[1].type", "null"),
        (QUEUE_READ, "$.messages[1].content", "7 (a number)"),
    ]
    conversation = seeding.seed.conversations[ONE]
    assert [m["content"] for m in conversation.messages] == ["hi"]
    assert [q.id for q in conversation.queue] == ["q1"]


def test_a_value_longer_than_the_format_takes_is_left_out():
    seeding = seed_fixture(Snapshot(1, [listed(ONE, title="x" * 251)]))
    (problem,) = seeding.problems
    assert (problem.path, problem.reason) == ("$.title", "is 251 characters long; the limit is 250")
    assert seeding.seed.conversations[ONE].title == STAND_IN_TITLE


def test_a_conversation_listed_twice_is_seeded_once():
    seeding = seed_fixture(Snapshot(1, [listed(ONE), listed(TWO), listed(ONE)]))
    (problem,) = seeding.problems
    assert (problem.path, problem.reason) == (
        "$.results[2].id",
        "the list holds this conversation twice",
    )
    assert list(seeding.seed.conversations) == [ONE, TWO]


def test_a_conversation_the_loader_still_refuses_is_left_out_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
):
    # The last resort, for what no reader checks: here a reader made to let a value through.
    monkeypatch.setitem(seeding_module.CONVERSATION_READERS, "title", lambda value: value)
    seeding = seed_fixture(Snapshot(1, [listed(ONE, title="x" * 251), listed(TWO)]))
    (problem,) = seeding.problems
    assert (problem.conversation, problem.path, problem.target) == (ONE, "$", "the conversation")
    assert problem.reason == "conversations[0].title: is 251 characters long; the limit is 250"
    assert list(seeding.seed.conversations) == [TWO]


def unknown_agent_mode(method: str, path: str, body: Any) -> Any:
    if isinstance(body, dict) and "agent_mode" in body:
        body["agent_mode"] = "telepathy"
    return body


def test_snapshot_names_each_value_it_left_out(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    with serving(proxy(target.url, [unknown_agent_mode])) as url:
        argv = ["snapshot", "--target", url, "--personal-api-key", "phx_ada_all"]
        code = commands.run([*argv, "--project", "1", "-o", str(tmp_path / "snap.yaml")])
    err = capsys.readouterr().err
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("snapshot: left out")]
    assert len(lines) == 4  # each of Ada's conversations, retrieved
    assert lines[0].startswith("snapshot: left out conversation ")
    assert "$.agent_mode = \"telepathy\" (a string): 'telepathy' is not one of" in lines[0]
