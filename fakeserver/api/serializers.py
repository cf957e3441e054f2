"""Domain records to PostHog's JSON shapes (`UserBasicSerializer`, `ConversationSerializer`, ...).

Field order matters to clients that compare bodies byte for byte, so each shape is a tuple of
field names in PostHog's serializer order; the profiles choose which tuple they render.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any, Final

from fakeserver.api.json import json_text
from fakeserver.domain.models import Conversation, QueueMessage, User
from fakeserver.domain.queue import MAX_QUEUE_MESSAGES
from fakeserver.domain.store import Seed
from fakeserver.domain.tasks import readable_task_of


def drf_datetime(value: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601 with `Z` for UTC (microseconds only when non-zero)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def serialize_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "uuid": user.uuid,
        "distinct_id": user.distinct_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_email_verified": user.is_email_verified,
        "hedgehog_config": user.hedgehog_config or None,
        "role_at_organization": user.role_at_organization,
    }


def serialize_task(conversation: Conversation, seed: Seed) -> dict[str, Any] | None:
    """`ConversationTaskSerializer`: the conversation's task as its owner may see it (null for a
    LangGraph conversation, or when the task is deleted or hidden from the owner)."""
    task = readable_task_of(conversation, seed.tasks, *conversation.owner)
    if task is None:
        return None
    creator = seed.users.get(task.created_by) if task.created_by is not None else None
    return {
        "id": task.id,
        "task_number": task.task_number,
        "slug": task.slug,
        "title": task.title,
        "title_manually_set": task.title_manually_set,
        "description": task.description,
        "origin_product": task.origin_product,
        "runtime": task.runtime,
        "repository": task.repository,
        "github_integration": task.github_integration,
        "github_user_integration": task.github_user_integration,
        "signal_report": task.signal_report,
        "json_schema": task.json_schema,
        "internal": task.internal,
        "archived": task.archived,
        "archived_at": drf_datetime(task.archived_at),
        "latest_run": conversation.sandbox_run_id or task.latest_run,
        "created_at": drf_datetime(task.created_at),
        "updated_at": drf_datetime(task.updated_at),
        "created_by": serialize_user(creator) if creator is not None else None,
        "ci_prompt": task.ci_prompt,
    }


ConversationField = Callable[[Conversation, Seed], Any]

_CONVERSATION_FIELDS: Final[dict[str, ConversationField]] = {
    "id": lambda c, _: c.id,
    "status": lambda c, _: c.status,
    "title": lambda c, _: c.title,
    "topic": lambda c, _: c.topic,
    "user": lambda c, seed: serialize_user(seed.users[c.user_id]),
    "created_at": lambda c, _: drf_datetime(c.created_at),
    "updated_at": lambda c, _: drf_datetime(c.updated_at),
    "type": lambda c, _: c.type,
    "is_internal": lambda c, _: c.is_internal,
    "slack_thread_key": lambda c, _: c.slack_thread_key,
    "slack_workspace_domain": lambda c, _: c.slack_workspace_domain,
    "messages": lambda c, _: c.messages,
    "has_unsupported_content": lambda c, _: c.has_unsupported_content,
    "agent_mode": lambda c, _: c.agent_mode,
    "agent_runtime": lambda c, _: c.agent_runtime,
    "is_sandbox": lambda c, _: c.is_sandbox,
    "pending_approvals": lambda c, _: c.pending_approvals,
    "task": serialize_task,
}

MINIMAL_FIELDS: Final = (
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
)
"""`ConversationMinimalSerializer` as the docs page gives it."""

DOCUMENTED_FIELDS: Final = (
    *MINIMAL_FIELDS,
    "messages",
    "has_unsupported_content",
    "agent_mode",
    "is_sandbox",
    "pending_approvals",
)
"""The Conversation object of PostHog's docs page (no `agent_runtime`, no `task`)."""

ACTUAL_MINIMAL_FIELDS: Final = (*MINIMAL_FIELDS, "task")
ACTUAL_FIELDS: Final = (
    *MINIMAL_FIELDS,
    "messages",
    "has_unsupported_content",
    "agent_mode",
    "agent_runtime",
    "is_sandbox",
    "pending_approvals",
    "task",
)
"""The newest `ConversationSerializer`."""


Shape = Callable[[Conversation, Seed], Any]
"""A serializer of a conversation (it takes the seed, whose users it shows): the JSON value, or
its JSON bytes when the shape renders itself (`render_queue`)."""


@dataclass(frozen=True, eq=False)
class ConversationShape:
    """One of PostHog's conversation serializers: its fields, in order."""

    fields: tuple[str, ...]

    def __call__(self, conversation: Conversation, seed: Seed) -> dict[str, Any]:
        return {name: _CONVERSATION_FIELDS[name](conversation, seed) for name in self.fields}


def serialize_queue_message(message: QueueMessage) -> dict[str, Any]:
    """PostHog's `build_queue_message` (its `created_at` keeps Python's `+00:00`)."""
    return {
        "id": message.id,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
        "contextual_tools": message.contextual_tools,
        "ui_context": message.ui_context,
        "billing_context": message.billing_context,
        "agent_mode": message.agent_mode,
        "session_id": message.session_id,
    }


def serialize_queue(conversation: Conversation, _seed: Seed | None = None) -> dict[str, Any]:
    """The queue envelope (a `Shape`: the seed is not needed)."""
    return {
        "messages": [serialize_queue_message(message) for message in conversation.queue],
        "max_queue_messages": MAX_QUEUE_MESSAGES,
    }


_EMPTY_QUEUE: Final = f'{{"messages":[],"max_queue_messages":{MAX_QUEUE_MESSAGES}}}'.encode()


def render_queue(conversation: Conversation, _seed: Seed | None = None) -> bytes:
    """`serialize_queue` as JSON bytes, joined from its values' encodings: the same bytes as
    `dumps` would give (each value goes through the same encoder) for about half the work, as
    every queue write renders the queue anew (docs/performance.md)."""
    if not conversation.queue:
        return _EMPTY_QUEUE
    messages = ",".join([_queue_message_text(message) for message in conversation.queue])
    return f'{{"messages":[{messages}],"max_queue_messages":{MAX_QUEUE_MESSAGES}}}'.encode()


def _queue_message_text(message: QueueMessage) -> str:
    """`serialize_queue_message`'s dict as compact JSON text, key for key."""
    return (
        f'{{"id":{encode_basestring(message.id)},'
        f'"content":{encode_basestring(message.content)},'
        f'"created_at":"{message.created_at.isoformat()}",'
        f'"contextual_tools":{_text_or_null(message.contextual_tools)},'
        f'"ui_context":{_text_or_null(message.ui_context)},'
        f'"billing_context":{_text_or_null(message.billing_context)},'
        f'"agent_mode":{_text_or_null(message.agent_mode)},'
        f'"session_id":{_text_or_null(message.session_id)}}}'
    )


def _text_or_null(value: Any) -> str:
    if value is None:
        return "null"
    return encode_basestring(value) if isinstance(value, str) else json_text(value)
