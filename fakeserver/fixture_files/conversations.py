"""Reading a fixture's conversations: each with its messages, its queue and its own agent
script, every problem with its path (`conversations[2].queue[0].content`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fakeserver.domain.models import Conversation, QueueMessage
from fakeserver.domain.queue import MAX_QUEUE_MESSAGES
from fakeserver.fixture_files import schema
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.ids import derived_id
from fakeserver.fixture_files.records import Located, Problems, Record
from fakeserver.fixture_files.scripts import AGENT_KEYS, read_agent_script


def read_conversation(
    record: Record, index: int, loaded_at: datetime, problems: Problems
) -> Located | None:
    """The conversation of `record` (the `index`-th of its file), located for the merge, with
    its agent script in `refs["script"]`; None when its id, project or user is unusable."""
    conversation_id = record.required("id", v.uuid_string)
    project_id = record.required("project", v.integer)
    user_id = record.required("user", v.integer)
    # Default: file order is list order (each one a second older than the one before it).
    created_at = record.optional("created_at", v.timestamp, loaded_at - timedelta(seconds=index))
    updated_at = record.optional("updated_at", v.timestamp, created_at)
    messages = [
        _message(message, conversation_id, position, problems)
        for position, message in enumerate(record.records("messages", None))
    ]
    queue = _queue(record, conversation_id, created_at, problems)
    fields = _fields(record)
    # Older fixtures (and snapshots) carry PostHog's former drain flag: still checked, not kept.
    record.optional("drain_closed", v.boolean, False)
    if conversation_id is None or project_id is None or user_id is None:
        return None
    conversation = Conversation(
        id=conversation_id,
        project_id=project_id,
        user_id=user_id,
        created_at=created_at,
        updated_at=updated_at,
        messages=[m for m in messages if m is not None],
        queue=queue,
        **fields,
    )
    if conversation.deleted and conversation.deleted_at is None:
        conversation.deleted_at = updated_at
    script = None
    if "agent" in record.data:
        script = read_agent_script(record.record("agent", AGENT_KEYS))
    return Located(conversation, record.source, record.path, {"script": script})


def _fields(record: Record) -> dict[str, Any]:
    return {
        "title": record.optional("title", schema.TITLE, None),
        "status": record.optional("status", schema.STATUS, "idle"),
        "topic": record.optional("topic", schema.TOPIC, None),
        "type": record.optional("type", schema.TYPE, "assistant"),
        "is_internal": record.optional("is_internal", schema.IS_INTERNAL, False),
        "slack_thread_key": record.optional("slack_thread_key", schema.SLACK_THREAD_KEY, None),
        "slack_workspace_domain": record.optional(
            "slack_workspace_domain", schema.SLACK_WORKSPACE_DOMAIN, None
        ),
        "has_unsupported_content": record.optional("has_unsupported_content", v.boolean, False),
        "agent_mode": record.optional("agent_mode", schema.AGENT_MODE, None),
        "agent_runtime": record.optional("agent_runtime", schema.AGENT_RUNTIME, "langgraph"),
        "pending_approvals": record.optional("pending_approvals", schema.PENDING_APPROVALS, []),
        "deleted": record.optional("deleted", v.boolean, False),
        "deleted_at": record.optional("deleted_at", schema.DELETED_AT, None),
        "task_id": record.optional("task", schema.TASK_ID, None),
    }


def _message(
    record: Record, conversation_id: str | None, position: int, problems: Problems
) -> dict[str, Any] | None:
    """A message is free-form JSON (PostHog has many kinds); it needs a `type` string."""
    if not record.valid:
        return None
    if record.required("type", v.non_blank_string) is None:
        return None
    data = record.data
    try:
        v.json_value(data)
    except v.InvalidValue as problem:
        problems.add(record.source, record.path, str(problem))
        return None
    message_id = data["id"] if "id" in data else derived_id("message", conversation_id, position)
    return {"id": message_id, **data}


def _queue(
    record: Record, conversation_id: str | None, created_at: datetime, problems: Problems
) -> list[QueueMessage]:
    """The conversation's queue: at most PostHog's limit, ids unique within it."""
    queue = [
        _queue_message(queued, conversation_id, position, created_at)
        for position, queued in enumerate(record.records("queue", schema.QUEUE_KEYS))
    ]
    if len(queue) > MAX_QUEUE_MESSAGES:
        problems.add(
            record.source,
            f"{record.path}.queue",
            f"holds {len(queue)} messages; at most {MAX_QUEUE_MESSAGES} can be queued",
        )
    seen: set[str] = set()
    for position, message in enumerate(queue):
        if message.id in seen:
            problems.add(
                record.source,
                f"{record.path}.queue[{position}].id",
                f"duplicate queue message id {message.id}",
            )
        seen.add(message.id)
    return queue


def _queue_message(
    record: Record, conversation_id: str | None, position: int, created_at: datetime
) -> QueueMessage:
    given_id = record.optional("id", v.non_blank_string, None)
    return QueueMessage(
        id=given_id or derived_id("queue", conversation_id, position),
        content=record.required("content", schema.QUEUED_CONTENT) or "",
        created_at=record.optional("created_at", v.timestamp, created_at),
        contextual_tools=record.optional("contextual_tools", schema.NULLABLE_MAPPING, None),
        ui_context=record.optional("ui_context", v.json_value, None),
        billing_context=record.optional("billing_context", schema.NULLABLE_MAPPING, None),
        agent_mode=record.optional("agent_mode", schema.AGENT_MODE, None),
        session_id=record.optional("session_id", schema.SESSION_ID, None),
    )
