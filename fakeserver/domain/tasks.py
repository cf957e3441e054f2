"""The tasks behind sandbox conversations (PostHog's products/tasks `Task`), and who sees them.

A sandbox conversation is backed by a task: one the fixture defines (`tasks:`, bound with a
conversation's `task:` or open's `task_id`), or the one open makes for it on first use. PostHog
hides a conversation from retrieve when its task is deleted or not visible to the caller, and
open refuses a task it cannot find, or one that runs on the Pi harness.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fakeserver.domain.models import Conversation, JSONValue

TASK_RUNTIMES: Final = ("acp", "pi")
"""`TaskRuntime`: the agent protocol and harness a task's runs use."""
PI_RUNTIME: Final = "pi"
OPENED_TASK_ORIGIN: Final = "posthog_ai"


@dataclass(frozen=True, slots=True)
class Task:
    """A task as PostHog's `ConversationTaskSerializer` shows it, plus what decides who sees it."""

    id: str
    project_id: int
    title: str
    created_at: datetime
    updated_at: datetime
    task_number: int | None = None
    slug: str = ""
    title_manually_set: bool = False
    description: str = ""
    origin_product: str = "user_created"
    runtime: str = "acp"
    repository: str | None = None
    github_integration: int | None = None
    github_user_integration: str | None = None
    signal_report: str | None = None
    json_schema: dict[str, JSONValue] | None = None
    internal: bool = False
    archived: bool = False
    archived_at: datetime | None = None
    latest_run: str | None = None
    created_by: int | None = None
    """The creator's user id; None for a legacy task nobody owns (every member sees it)."""
    ci_prompt: str | None = None
    team_visible: bool = False
    """Readable by every member of the project: PostHog's team-scoped origin products (signals,
    onboarding, ...) and tasks in a public channel."""
    deleted: bool = False

    def visible_to(self, user_id: int) -> bool:
        """PostHog's task visibility: the creator's, an unowned one, or a team-wide one."""
        return self.created_by is None or self.created_by == user_id or self.team_visible

    def readable_in(self, project_id: int, user_id: int) -> bool:
        """What PostHog's task lookups ask: this team's, not deleted, visible to the user."""
        return self.project_id == project_id and not self.deleted and self.visible_to(user_id)


def opened_task_id(conversation_id: str) -> str:
    """The id of the task open makes for a conversation: derived, the same on every load."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fakeserver:task:{conversation_id}"))


def opened_task(conversation: Conversation) -> Task:
    """The task open made for `conversation` (PostHog creates it with the first run): owned by
    the conversation's user, titled after the conversation."""
    return Task(
        id=opened_task_id(conversation.id),
        project_id=conversation.project_id,
        title=conversation.title or "",
        created_at=conversation.created_at,
        updated_at=conversation.created_at,
        origin_product=OPENED_TASK_ORIGIN,
        created_by=conversation.user_id,
    )


def readable_task_of(
    conversation: Conversation, tasks: Mapping[str, Task], project_id: int, user_id: int
) -> Task | None:
    """The conversation's task if the user may read it in that project, else None."""
    task = task_of(conversation, tasks)
    return task if task is not None and task.readable_in(project_id, user_id) else None


def task_of(conversation: Conversation, tasks: Mapping[str, Task]) -> Task | None:
    """The task backing `conversation`: the fixture's, or the one open made for it."""
    if conversation.task_id is None:
        return None
    task = tasks.get(conversation.task_id)
    if task is None and conversation.task_id == opened_task_id(conversation.id):
        task = opened_task(conversation)
    return task
