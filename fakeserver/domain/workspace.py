"""A workspace: one isolated copy of the fake's state and the operations the API performs on it.

Each lookup reproduces the filter of the PostHog view it stands for, because the same situation
(another user's conversation, say) gets different answers from different endpoints.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fakeserver.domain import queue
from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.errors import (
    ConversationNotFound,
    OtherUsersConversation,
    QueueConversationNotFound,
)
from fakeserver.domain.models import Conversation, JSONValue, QueueMessage
from fakeserver.domain.store import Seed, Store


def canonical_conversation_id(raw: str) -> str | None:
    """The canonical form of a conversation id, or None when it is not a UUID.

    Django looks UUIDs up in any form `uuid.UUID` accepts (upper case, no hyphens, braces).
    """
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Page:
    count: int
    conversations: list[Conversation]


@dataclass(frozen=True, slots=True)
class QueueDraft:
    """A validated follow-up message, before it gets its id and timestamp."""

    content: str
    contextual_tools: dict[str, JSONValue] | None = None
    ui_context: JSONValue = None
    billing_context: dict[str, JSONValue] | None = None
    agent_mode: str | None = None
    session_id: str | None = None


class Workspace:
    """The state of one server or namespace, and what can be done to it."""

    def __init__(self, seed: Seed, clock: Clock | None = None, ids: IdFactory | None = None):
        self.clock = clock or Clock()
        self.ids = ids or IdFactory()
        self.store = Store(seed)

    @property
    def seed(self) -> Seed:
        return self.store.seed

    def reset(self, seed: Seed | None = None) -> None:
        """Back to the seed's state (or a new seed's): O(1), the seed is shared, not copied."""
        self.store = Store(seed or self.store.seed)

    # Lookups -----------------------------------------------------------------------------

    def _find(self, raw_id: str) -> Conversation | None:
        conversation_id = canonical_conversation_id(raw_id)
        return self.store.conversation(conversation_id) if conversation_id else None

    def retrievable(self, raw_id: str, project_id: int) -> Conversation:
        """`retrieve`: the list filters without the user filter (same-team conversations show)."""
        conversation = self._find(raw_id)
        if (
            conversation is None
            or conversation.project_id != project_id
            or not conversation.is_listed
        ):
            raise ConversationNotFound(raw_id)
        return conversation

    def owned(self, raw_id: str, project_id: int, user_id: int) -> Conversation:
        """`get_object` for destroy, cancel and append_message: the user's, not deleted."""
        conversation = self._find(raw_id)
        if (
            conversation is None
            or conversation.deleted
            or conversation.owner != (project_id, user_id)
        ):
            raise ConversationNotFound(raw_id)
        return conversation

    def queue_of(self, raw_id: str, project_id: int, user_id: int) -> Conversation:
        """The queue endpoints' `_ensure_queue_access`: 404 when missing, 403 when not yours."""
        conversation = self._find(raw_id)
        if conversation is None or conversation.deleted:
            raise QueueConversationNotFound(raw_id)
        if conversation.owner != (project_id, user_id):
            raise OtherUsersConversation(raw_id)
        return conversation

    def page(self, project_id: int, user_id: int, offset: int, limit: int) -> Page:
        owner = (project_id, user_id)
        return Page(
            count=self.store.count_listed(owner),
            conversations=self.store.listed_page(owner, offset, limit),
        )

    # Conversation changes ----------------------------------------------------------------

    def destroy(self, raw_id: str, project_id: int, user_id: int) -> None:
        """Soft delete, as PostHog does: the row stays, with `deleted` set."""
        conversation = self.owned(raw_id, project_id, user_id)
        now = self.clock.now()
        with self.store.update(conversation.id) as writable:
            writable.deleted = True
            writable.deleted_at = now
            writable.updated_at = now

    # Queue -------------------------------------------------------------------------------

    def enqueue(self, raw_id: str, project_id: int, user_id: int, draft: QueueDraft) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        message = QueueMessage(
            id=self.ids.new_id(),
            content=draft.content,
            created_at=self.clock.now(),
            contextual_tools=draft.contextual_tools,
            ui_context=draft.ui_context,
            billing_context=draft.billing_context,
            agent_mode=draft.agent_mode,
            session_id=draft.session_id,
        )
        with self.store.update(conversation.id) as writable:
            queue.enqueue(writable, message)
        return writable

    def check_queued(self, raw_id: str, project_id: int, user_id: int, queue_id: str) -> None:
        """PATCH checks that the message exists before it reads the body."""
        conversation = self.queue_of(raw_id, project_id, user_id)
        queue.queued_position(conversation, queue_id)

    def replace_queued(
        self, raw_id: str, project_id: int, user_id: int, queue_id: str, content: str
    ) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        queue.queued_position(conversation, queue_id)
        with self.store.update(conversation.id) as writable:
            queue.replace_content(writable, queue_id, content)
        return writable

    def remove_queued(self, raw_id: str, project_id: int, user_id: int, queue_id: str) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        queue.queued_position(conversation, queue_id)
        with self.store.update(conversation.id) as writable:
            queue.remove(writable, queue_id)
        return writable

    def clear_queue(self, raw_id: str, project_id: int, user_id: int) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        if not conversation.queue:
            return conversation
        with self.store.update(conversation.id) as writable:
            queue.clear(writable)
        return writable
