"""Every difference between the `documented` and `actual` profiles: the one table.

`fakeserver divergences` prints it and the README shows it (a test keeps the two identical).
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
        "`agent_runtime` after `agent_mode`, `task` last",
        "products/posthog_ai/backend/hogai/api/serializers.py `ConversationSerializer`",
    ),
    Divergence(
        "minimal-fields",
        "ConversationMinimal fields (list, `conversation` stream event)",
        "no `task`",
        "`task` last",
        "products/posthog_ai/backend/hogai/api/serializers.py `ConversationMinimalSerializer`",
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
