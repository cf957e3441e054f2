"""Every difference between the `documented` and `actual` profiles: the one table.

`fakeserver divergences` prints it and docs/profiles.md shows it (a test keeps the two identical).
Sources are paths in the PostHog/posthog repository unless they say otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Divergence:
    id: str
    """Stable name of the row: `fakeserver verify` reports a known divergence by it."""
    operation: str
    documented: str
    actual: str
    source: str


_NOT_IN_THE_DOCS: Final = (
    "not in the docs; with limits on (off by default, in both profiles) answered as actual"
)


def by_id(divergence_id: str) -> Divergence:
    """The row with that id; KeyError if there is none."""
    for divergence in DIVERGENCES:
        if divergence.id == divergence_id:
            return divergence
    raise KeyError(divergence_id)


DIVERGENCES: Final = (
    Divergence(
        "create-response",
        "POST conversations/ (create)",
        "201, the message echoed as JSON (the stream to a client that accepts text/event-stream)",
        "200 text/event-stream",
        "ee/api/conversation.py `create`; docs page /docs/api/max",
    ),
    Divergence(
        "append-message-response",
        "POST conversations/{id}/append_message/",
        "200 {content}",
        '201 {"id": "<uuid>"}',
        "ee/api/conversation.py `append_message`",
    ),
    Divergence(
        "cancel-request-body",
        "PATCH conversations/{id}/cancel/ request body",
        "`PatchedConversation` (every field read-only), accepted and ignored",
        "no request body: the view never reads one",
        "ee/api/conversation.py `cancel`; docs page /docs/api/conversations",
    ),
    Divergence(
        "queue-envelope",
        "GET/POST queue/, PATCH queue/{queue_id}/, POST queue/clear/",
        "200 with the full Conversation",
        '200 {"messages": [...], "max_queue_messages": 2}',
        "ee/api/conversation.py `queue`, `queue_item`, `clear_queue`; PR #45254",
    ),
    Divergence(
        "queue-delete-response",
        "DELETE queue/{queue_id}/",
        "204, no body",
        "200 with the remaining queue (the envelope)",
        "ee/api/conversation.py `queue_item`; ee/api/test/test_conversation_queue.py",
    ),
    Divergence(
        "personal-api-key-actions",
        "Personal API keys on queue, cancel, append_message, open",
        "accepted (the docs' curl examples use one)",
        '403 "This action does not support personal API key access"',
        "posthog/permissions.py `APIScopePermission`",
    ),
    Divergence(
        "session-auth",
        "Session cookie auth (`sessionid` + CSRF on unsafe methods)",
        "not described: 401",
        "accepted; 403 `CSRF Failed: ...` without a matching X-CSRFToken",
        "posthog/auth.py `SessionAuthentication`; Django csrf middleware",
    ),
    Divergence(
        "conversation-fields",
        "Conversation fields",
        "no `agent_runtime`, no `task`",
        "`agent_runtime` after `agent_mode`, `task` last: the `ConversationTask` of a "
        "task-backed conversation, else null",
        "products/posthog_ai/backend/hogai/api/serializers.py `ConversationSerializer`",
    ),
    Divergence(
        "minimal-fields",
        "ConversationMinimal fields (list, `conversation` stream event)",
        "no `task`",
        "`task` last (the `ConversationTask` as the owner may see it, else null)",
        "products/posthog_ai/backend/hogai/api/serializers.py `ConversationMinimalSerializer`",
    ),
    Divergence(
        "ai-throttles",
        "PostHog AI's throttles on create and open (limits on)",
        _NOT_IN_THE_DOCS,
        "per user 10/minute and 100/day (research: 3/minute and 10/day), not for a paying "
        "organization (research: a research-exempt project): 429 throttled_error "
        "\"You've reached PostHog AI's usage limit for the moment. Please try again ...\" "
        "with Retry-After",
        "posthog/rate_limit.py `AIBurstRateThrottle` and siblings; ee/api/conversation.py "
        "`check_throttles`",
    ),
    Divergence(
        "api-key-rate-limits",
        "Personal API key rate limits on every other action (limits on)",
        _NOT_IN_THE_DOCS,
        "per key 480/minute and 4800/hour, session requests not counted: 429 "
        '"Request was throttled. Expected available in N seconds." with Retry-After',
        "posthog/rate_limit.py `BurstRateThrottle`, `SustainedRateThrottle`; DRF "
        "`SimpleRateThrottle`",
    ),
    Divergence(
        "ai-credit-quota",
        "AI-credit quota on create and open (limits on)",
        _NOT_IN_THE_DOCS,
        "402 quota_limit_exceeded, before the body is validated",
        "ee/api/conversation.py `create`, `open`; posthog/exceptions.py `QuotaLimitExceeded`",
    ),
)


def as_markdown() -> str:
    rows = [
        "| id | operation | documented | actual | PostHog source |",
        "|---|---|---|---|---|",
        *(
            f"| {d.id} | {d.operation} | {d.documented} | {d.actual} | {d.source} |".replace(
                "\n", " "
            )
            for d in DIVERGENCES
        ),
    ]
    return "\n".join(rows) + "\n"
