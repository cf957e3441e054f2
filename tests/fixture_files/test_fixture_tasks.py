"""The fixture's tasks (`tasks:`, a conversation's `task`) and a project's `ai_usage:`: read
with PostHog's defaults, and every problem named with its path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakeserver.domain.models import AiUsage
from fakeserver.domain.tasks import opened_task_id
from fakeserver.fixture_files import FixtureError, load_seed

TASK = "7a5c0000-0000-4000-8000-000000000001"
CONVERSATION = "5a5a0000-0000-4000-8000-000000000001"
BASE = {
    "projects": [{"id": 1}, {"id": 2}],
    "users": [{"id": 1, "email": "ada@example.com"}],
}


def problems(document: dict[str, object]) -> list[str]:
    with pytest.raises(FixtureError) as raised:
        load_seed([{**BASE, **document}])
    return [problem.removeprefix("<fixture #0>: ") for problem in raised.value.problems]


def test_a_task_with_only_its_id_and_project_gets_posthogs_defaults() -> None:
    seed = load_seed([{**BASE, "tasks": [{"id": TASK, "project": 1}]}])
    task = seed.tasks[TASK]
    assert (task.title, task.runtime, task.origin_product, task.created_by) == (
        "",
        "acp",
        "user_created",
        None,
    )
    assert (task.team_visible, task.deleted, task.latest_run) == (False, False, None)


def test_a_conversation_names_its_task() -> None:
    conversation = {"id": CONVERSATION, "project": 1, "user": 1, "task": TASK}
    seed = load_seed(
        [{**BASE, "tasks": [{"id": TASK, "project": 1}], "conversations": [conversation]}]
    )
    assert seed.conversations[CONVERSATION].task_id == TASK


def test_a_state_dump_keeps_the_task_open_made() -> None:
    made = opened_task_id(CONVERSATION)
    conversation = {"id": CONVERSATION, "project": 1, "user": 1, "task": made}
    seed = load_seed([{**BASE, "conversations": [conversation]}])
    assert seed.conversations[CONVERSATION].task_id == made


def test_task_problems_name_their_path() -> None:
    found = problems(
        {
            "tasks": [
                {"id": TASK, "project": 3, "created_by": 9, "runtime": "codex"},
                {"id": "not-a-uuid", "project": 1},
                {"id": TASK, "project": 1},
            ],
            "conversations": [
                {"id": CONVERSATION, "project": 2, "user": 1, "task": TASK},
                {
                    "id": "5a5a0000-0000-4000-8000-000000000002",
                    "project": 1,
                    "user": 1,
                    "task": "7a5c0000-0000-4000-8000-0000000000ff",
                },
            ],
        }
    )
    assert found == [
        "tasks[0].runtime: 'codex' is not one of 'acp', 'pi'",
        "tasks[1].id: expected a UUID, got 'not-a-uuid'",
        f"tasks[2]: duplicate task id {TASK} (also at tasks[0])",
        "tasks[0].project: no project with id 3",
        "tasks[0].created_by: no user with id 9",
        f"conversations[0].task: task {TASK} belongs to project 3, not 2",
        "conversations[1].task: no task with id 7a5c0000-0000-4000-8000-0000000000ff",
    ]


def test_ai_usage_is_read_and_checked() -> None:
    usage = {
        "period_credits": 10,
        "billing_period_start": "2026-11-02T00:00:00Z",
        "billing_period_end": "2026-12-02T00:00:00Z",
    }
    seed = load_seed([{**BASE, "projects": [{"id": 1, "ai_usage": usage}, {"id": 2}]}])
    start, end = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    assert seed.projects[1].ai_usage == AiUsage(0, 10, 2000, (start, end))
    assert seed.projects[2].ai_usage == AiUsage()
    found = problems(
        {
            "projects": [
                {"id": 1, "ai_usage": {"period_credits": -1, "billing_period_start": "2026-11-02"}},
            ]
        }
    )
    assert found == [
        "projects[0].ai_usage: billing_period_start and billing_period_end go together, "
        "start first",
        "projects[0].ai_usage.period_credits: expected a count of credits (0 or more), got -1",
    ]
