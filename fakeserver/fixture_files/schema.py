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
USER_PROFILE_KEYS: Final = (
    "uuid",
    "email",
    "first_name",
    "last_name",
    "distinct_id",
    "is_email_verified",
    "role_at_organization",
    "hedgehog_config",
)
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
