"""The records the fake keeps: projects, users, keys, conversations and their queues.

Plain dataclasses with no HTTP knowledge. Field names and defaults follow PostHog's models
(`products/posthog_ai/backend/models/assistant.py`, `posthog/models/user.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

JSONValue = Any

MAX_NESTING: Final = 100
"""Deepest accepted nesting of arrays and objects in a JSON value (a fake-specific bound;
PostHog has none): deeper request bodies are refused, deeper fixture values too."""
"""Any JSON-compatible value (dict, list, str, int, float, bool or None)."""

CONVERSATION_STATUSES: Final = ("idle", "in_progress", "canceling")
CONVERSATION_TYPES: Final = ("assistant", "tool_call", "deep_research", "slack")
LISTED_CONVERSATION_TYPES: Final = frozenset({"assistant", "deep_research", "slack"})
CONVERSATION_TOPICS: Final = (
    "web_analytics",
    "product_analytics",
    "session_replay",
    "surveys",
    "feature_flags",
    "experiments",
    "error_tracking",
    "data_warehouse",
    "other",
)
AGENT_RUNTIMES: Final = ("langgraph", "sandbox")
AGENT_MODES: Final = (
    "product_analytics",
    "sql",
    "session_replay",
    "error_tracking",
    "plan",
    "execution",
    "survey",
    "research",
    "flags",
    "llm_analytics",
    "sandbox",
    "user_interview",
    "customer_analytics",
)
ROLES_AT_ORGANIZATION: Final = (
    "engineering",
    "data",
    "product",
    "founder",
    "leadership",
    "marketing",
    "sales",
    "student",
    "other",
    "",
)

READ_SCOPE: Final = "conversation:read"
WRITE_SCOPE: Final = "conversation:write"
ALL_SCOPES: Final = "*"


def canonical_conversation_id(raw: str) -> str | None:
    """The canonical form of a conversation id, or None when it is not a UUID.

    Django looks UUIDs up in any form `uuid.UUID` accepts (upper case, no hyphens, braces).
    """
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


DEFAULT_ORGANIZATION: Final = "default"
"""The organization of a project that names none."""


@dataclass(frozen=True, slots=True)
class Organization:
    """The billing side of PostHog's `Organization`: what its AI limits depend on."""

    id: str
    name: str = "Default organization"
    customer_id: str | None = None
    """Set for a paying organization (PostHog's billing customer): its AI throttles are off."""
    ai_credit_quota_exceeded: bool = False
    """Over its AI-credit limit: create and open are refused with 402."""

    @property
    def is_paying(self) -> bool:
        return bool(self.customer_id)


@dataclass(frozen=True, slots=True)
class AiUsage:
    """The AI credits PostHog would count for a project: what `/usage` reports."""

    conversation_credits: int = 0
    """Credits spent in the current conversation (the same for every conversation)."""
    period_credits: int = 0
    """Credits spent in the usage period."""
    free_tier_credits: int = 2000
    billing_period: tuple[datetime, datetime] | None = None
    """The organization's billing period; None: usage over the past 30 days."""


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    organization_id: str = DEFAULT_ORGANIZATION
    research_exempt: bool = False
    """On PostHog's research rate-limit exemption list: research requests are not throttled."""
    sandbox_pool_full: bool = False
    """No warm sandbox can be had: open without content provisions nothing (204)."""
    ai_usage: AiUsage = AiUsage()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    uuid: str
    email: str
    first_name: str
    last_name: str
    distinct_id: str | None
    is_email_verified: bool | None
    role_at_organization: str | None
    hedgehog_config: dict[str, JSONValue] | None
    project_ids: frozenset[int]
    current_project_id: int | None
    session: str | None = None
    sandbox_mode: bool = False
    """PostHog's sandbox-mode flag: open may create a sandbox conversation on first use, and
    turns an idle LangGraph conversation into a sandbox one with its first message."""

    def is_member_of(self, project_id: int) -> bool:
        return project_id in self.project_ids


@dataclass(frozen=True, slots=True)
class PersonalApiKey:
    value: str
    user_id: int
    scopes: frozenset[str]
    project_ids: frozenset[int] | None = None
    """None: the key may be used on every project its user belongs to."""

    def grants(self, scope: str) -> bool:
        """True if the key carries `scope`; write access also satisfies a read requirement."""
        if ALL_SCOPES in self.scopes or scope in self.scopes:
            return True
        object_name, _, access = scope.partition(":")
        return access == "read" and f"{object_name}:write" in self.scopes


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """A follow-up message waiting for the agent (PostHog's `build_queue_message`)."""

    id: str
    content: str
    created_at: datetime
    contextual_tools: dict[str, JSONValue] | None = None
    ui_context: JSONValue = None
    billing_context: dict[str, JSONValue] | None = None
    agent_mode: str | None = None
    session_id: str | None = None

    def with_content(self, content: str) -> QueueMessage:
        return replace(self, content=content)


@dataclass(slots=True)
class Conversation:
    """One PostHog AI conversation, with its queue.

    Message dicts and queue messages are treated as immutable values, so `copy()` can share them.
    A stored conversation changes only inside `Store.update`.
    """

    id: str
    project_id: int
    user_id: int
    created_at: datetime
    updated_at: datetime
    status: str = "idle"
    title: str | None = None
    topic: str | None = None
    type: str = "assistant"
    is_internal: bool | None = False
    slack_thread_key: str | None = None
    slack_workspace_domain: str | None = None
    messages: list[dict[str, JSONValue]] = field(default_factory=list)
    has_unsupported_content: bool = False
    agent_mode: str | None = None
    agent_runtime: str = "langgraph"
    pending_approvals: list[dict[str, JSONValue]] = field(default_factory=list)
    deleted: bool = False
    deleted_at: datetime | None = None
    queue: list[QueueMessage] = field(default_factory=list)
    sandbox_run_id: str | None = None
    """The sandbox run the open endpoint last started (sandbox conversations only)."""
    task_id: str | None = None
    """The task backing a sandbox conversation (`fakeserver.domain.tasks`), None until it has
    one."""
    revision: int = field(default=0, compare=False)
    """Counts the changes made through `Store.update`: with the object's identity it names one
    state of the conversation, so a renderer may reuse what it made of that state. Changes to
    the queue alone (`Store.update_queue`) leave it: no conversation serializer shows the queue."""
    queue_revision: int = field(default=0, compare=False)
    """Counts every change, queue-only ones included: it names one state of the queue."""

    @property
    def owner(self) -> tuple[int, int]:
        return (self.project_id, self.user_id)

    @property
    def is_listed(self) -> bool:
        """Whether PostHog's list shows it to its owner (`ConversationViewSet.get_queryset`)."""
        return (
            not self.deleted
            and self.title is not None
            and self.type in LISTED_CONVERSATION_TYPES
            and self.is_internal is False
        )

    @property
    def is_sandbox(self) -> bool:
        return self.agent_runtime == "sandbox"

    def copy(self) -> Conversation:
        clone = replace(self)
        clone.messages = list(self.messages)
        clone.pending_approvals = list(self.pending_approvals)
        clone.queue = list(self.queue)
        return clone
