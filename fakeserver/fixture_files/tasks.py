"""A fixture's `tasks:`: the products/tasks tasks that back sandbox conversations.

A conversation names its task with `task: <id>`. Who sees a task follows PostHog: its creator
(`created_by`), everyone when nobody created it or when `team_visible` is true; a `deleted` task
hides its conversation from retrieve. `runtime: pi` makes open refuse it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from fakeserver.domain.models import Conversation
from fakeserver.domain.tasks import TASK_RUNTIMES, Task, opened_task_id
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.records import Located, Problems, Record, claim

TASK_KEYS: Final = frozenset(
    {
        "id",
        "project",
        "task_number",
        "slug",
        "title",
        "title_manually_set",
        "description",
        "origin_product",
        "runtime",
        "repository",
        "github_integration",
        "github_user_integration",
        "signal_report",
        "json_schema",
        "internal",
        "archived",
        "archived_at",
        "latest_run",
        "created_at",
        "updated_at",
        "created_by",
        "ci_prompt",
        "team_visible",
        "deleted",
    }
)
_NULLABLE_UUID: Final = v.nullable(v.uuid_string)
_NULLABLE_TEXT: Final = v.nullable(v.string)


class TasksReader:
    """Reads the `tasks:` records of each file in turn; a later file replaces a task by id."""

    def __init__(self, problems: Problems, loaded_at: datetime) -> None:
        self.problems = problems
        self.loaded_at = loaded_at
        self.tasks: dict[str, Located] = {}

    def read(self, top: Record) -> None:
        for record in top.records("tasks", TASK_KEYS):
            self._task(record)

    def _task(self, record: Record) -> None:
        task_id = record.required("id", v.uuid_string)
        project_id = record.required("project", v.integer)
        created_at = record.optional("created_at", v.timestamp, self.loaded_at)
        fields: dict[str, Any] = {
            "title": record.optional("title", v.string, ""),
            "created_at": created_at,
            "updated_at": record.optional("updated_at", v.timestamp, created_at),
            "task_number": record.optional("task_number", v.nullable(v.integer), None),
            "slug": record.optional("slug", v.string, ""),
            "title_manually_set": record.optional("title_manually_set", v.boolean, False),
            "description": record.optional("description", v.string, ""),
            "origin_product": record.optional("origin_product", v.non_blank_string, "user_created"),
            "runtime": record.optional("runtime", v.choice(TASK_RUNTIMES), "acp"),
            "repository": record.optional("repository", _NULLABLE_TEXT, None),
            "github_integration": record.optional(
                "github_integration", v.nullable(v.integer), None
            ),
            "github_user_integration": record.optional(
                "github_user_integration", _NULLABLE_UUID, None
            ),
            "signal_report": record.optional("signal_report", _NULLABLE_UUID, None),
            "json_schema": record.optional("json_schema", v.nullable(v.mapping), None),
            "internal": record.optional("internal", v.boolean, False),
            "archived": record.optional("archived", v.boolean, False),
            "archived_at": record.optional("archived_at", v.nullable(v.timestamp), None),
            "latest_run": record.optional("latest_run", _NULLABLE_UUID, None),
            "created_by": record.optional("created_by", v.nullable(v.integer), None),
            "ci_prompt": record.optional("ci_prompt", _NULLABLE_TEXT, None),
            "team_visible": record.optional("team_visible", v.boolean, False),
            "deleted": record.optional("deleted", v.boolean, False),
        }
        if task_id is None or project_id is None or not claim(self.tasks, task_id, record, "task"):
            return
        task = Task(id=task_id, project_id=project_id, **fields)
        self.tasks[task_id] = Located(task, record.source, record.path)

    def resolve(
        self,
        projects: dict[int, Located],
        users: dict[int, Located],
        conversations: dict[str, Located],
    ) -> list[Task]:
        """Every task, after checking what tasks and conversations refer to."""
        for located in self.tasks.values():
            task: Task = located.value
            if task.project_id not in projects:
                self._missing(located, "project", "project", task.project_id)
            if task.created_by is not None and task.created_by not in users:
                self._missing(located, "created_by", "user", task.created_by)
        for located in conversations.values():
            conversation: Conversation = located.value
            task_id = conversation.task_id
            if task_id is None or task_id == opened_task_id(conversation.id):
                continue  # no task, or the one open made for it (a state dump holds those)
            found = self.tasks.get(task_id)
            if found is None:
                self._missing(located, "task", "task", task_id)
            elif found.value.project_id != conversation.project_id:
                self.problems.add(
                    located.source,
                    f"{located.path}.task",
                    f"task {task_id} belongs to project {found.value.project_id}, "
                    f"not {conversation.project_id}",
                )
        return [located.value for located in self.tasks.values()]

    def _missing(self, located: Located, key: str, kind: str, ident: object) -> None:
        self.problems.add(located.source, f"{located.path}.{key}", f"no {kind} with id {ident}")
