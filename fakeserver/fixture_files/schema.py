"""What each record of a fixture may hold: its keys, and the readers of its values.

The readers are made once, here: a big fixture reads them hundreds of thousands of times.
"""

from __future__ import annotations

from typing import Any, Final

from fakeserver.domain.models import (
    AGENT_MODES,
    AGENT_RUNTIMES,
    CONVERSATION_STATUSES,
    CONVERSATION_TOPICS,
    CONVERSATION_TYPES,
    ROLES_AT_ORGANIZATION,
)
from fakeserver.fixture_files import values as v

# Readers of the values of conversations and queued messages.
TITLE: Final = v.nullable(v.max_length(250))
STATUS: Final = v.choice(CONVERSATION_STATUSES)
TOPIC: Final = v.nullable(v.choice(CONVERSATION_TOPICS))
TYPE: Final = v.choice(CONVERSATION_TYPES)
IS_INTERNAL: Final = v.nullable(v.boolean)
SLACK_THREAD_KEY: Final = v.nullable(v.max_length(200))
SLACK_WORKSPACE_DOMAIN: Final = v.nullable(v.max_length(100))
AGENT_MODE: Final = v.nullable(v.choice(AGENT_MODES))
AGENT_RUNTIME: Final = v.choice(AGENT_RUNTIMES)
PENDING_APPROVALS: Final = v.list_of(v.mapping)
DELETED_AT: Final = v.nullable(v.timestamp)
QUEUED_CONTENT: Final = v.max_length(40000, v.non_blank_string)
NULLABLE_MAPPING: Final = v.nullable(v.mapping)
SESSION_ID: Final = v.nullable(v.string)
TASK_ID: Final = v.nullable(v.uuid_string)

CONVERSATION_READERS: Final[dict[str, v.ValueReader[Any]]] = {
    "title": TITLE,
    "status": STATUS,
    "topic": TOPIC,
    "type": TYPE,
    "is_internal": IS_INTERNAL,
    "slack_thread_key": SLACK_THREAD_KEY,
    "slack_workspace_domain": SLACK_WORKSPACE_DOMAIN,
    "created_at": v.timestamp,
    "updated_at": v.timestamp,
    "has_unsupported_content": v.boolean,
    "agent_mode": AGENT_MODE,
    "agent_runtime": AGENT_RUNTIME,
    "pending_approvals": PENDING_APPROVALS,
}
"""The readers of a conversation's fields as PostHog's API shows them (`fakeserver snapshot`
and `verify` judge a target's values with these)."""
USER_READERS: Final[dict[str, v.ValueReader[Any]]] = {
    "uuid": v.uuid_string,
    "email": v.max_length(254),
    "first_name": v.max_length(150),
    "last_name": v.max_length(150),
    "distinct_id": v.nullable(v.max_length(200)),
    "is_email_verified": v.nullable(v.boolean),
    "role_at_organization": v.nullable(v.choice(ROLES_AT_ORGANIZATION)),
    "hedgehog_config": v.nullable(v.mapping),
}
"""The readers of a user's fields as PostHog's API shows them (`UserBasicSerializer`)."""
QUEUE_READERS: Final[dict[str, v.ValueReader[Any]]] = {
    "id": v.non_blank_string,
    "content": QUEUED_CONTENT,
    "created_at": v.timestamp,
    "contextual_tools": NULLABLE_MAPPING,
    "ui_context": v.json_value,
    "billing_context": NULLABLE_MAPPING,
    "agent_mode": AGENT_MODE,
    "session_id": SESSION_ID,
}
"""The readers of a queued message's fields (PostHog's queue envelope shows the same)."""

TOP_KEYS: Final = {
    "projects",
    "users",
    "conversations",
    "agent",
    "organizations",
    "limits",
    "tasks",
}
PROJECT_KEYS: Final = {
    "id",
    "name",
    "organization",
    "research_exempt",
    "sandbox_pool_full",
    "ai_usage",
}
USER_PROFILE_KEYS: Final = tuple(USER_READERS)
"""A user's fields as PostHog's API shows them (`fakeserver snapshot` copies these)."""
USER_KEYS: Final = {
    "id",
    *USER_PROFILE_KEYS,
    "projects",
    "current_project",
    "session",
    "personal_api_keys",
    "sandbox_mode",
}
API_KEY_KEYS: Final = {"key", "scopes", "projects"}
CONVERSATION_KEYS: Final = frozenset(
    {
        "id",
        "project",
        "user",
        "title",
        "status",
        "topic",
        "type",
        "is_internal",
        "slack_thread_key",
        "slack_workspace_domain",
        "created_at",
        "updated_at",
        "messages",
        "has_unsupported_content",
        "agent_mode",
        "agent_runtime",
        "pending_approvals",
        "queue",
        "drain_closed",
        "deleted",
        "deleted_at",
        "agent",
        "task",
    }
)
"""The keys a fixture's conversation may have (the state dump writes only these)."""
QUEUE_KEYS: Final = {
    "id",
    "content",
    "created_at",
    "contextual_tools",
    "ui_context",
    "billing_context",
    "agent_mode",
    "session_id",
}
SCOPE_PATTERN_HELP: Final = "a scope is '*' or '<object>:read' / '<object>:write'"


def read_scope(value: Any) -> str:
    """A personal API key's scope."""
    scope = v.string(value)
    object_name, _, access = scope.partition(":")
    if scope != "*" and not (object_name and access in ("read", "write")):
        raise v.InvalidValue(f"{scope!r} is not a scope ({SCOPE_PATTERN_HELP})")
    return scope
