"""The per-conversation queue of follow-up messages (PostHog's `ConversationQueueStore`).

At most two messages, first in first out. An older PostHog store also kept a drain flag and
refused messages while no run would consume them; PostHog's newest code has no such flag, so the
fake keeps none (docs/posthog-version.md). Every function checks its rules before it changes
anything.
"""

from __future__ import annotations

from typing import Final

from fakeserver.domain.errors import QueueFull, QueueMessageNotFound
from fakeserver.domain.models import Conversation, QueueMessage

MAX_QUEUE_MESSAGES: Final = 2


def ensure_accepts(conversation: Conversation) -> None:
    """Refuse a new message when the queue is full. A message queued while nothing runs waits
    for the end of the conversation's next run, as in PostHog."""
    if len(conversation.queue) >= MAX_QUEUE_MESSAGES:
        raise QueueFull(conversation.id)


def enqueue(conversation: Conversation, message: QueueMessage) -> None:
    ensure_accepts(conversation)
    conversation.queue.append(message)


def queued_position(conversation: Conversation, queue_id: str) -> int:
    for position, message in enumerate(conversation.queue):
        if message.id == queue_id:
            return position
    raise QueueMessageNotFound(queue_id)


def replace_content(conversation: Conversation, queue_id: str, content: str) -> None:
    """Edit a queued message's content; its id and created_at stay."""
    position = queued_position(conversation, queue_id)
    conversation.queue[position] = conversation.queue[position].with_content(content)


def remove(conversation: Conversation, queue_id: str) -> None:
    del conversation.queue[queued_position(conversation, queue_id)]


def clear(conversation: Conversation) -> None:
    """Empty the queue: PostHog's `clear_queue`, and what cancel and a pending approval do."""
    conversation.queue.clear()


def pop_next(conversation: Conversation) -> QueueMessage | None:
    """Take the oldest usable message (blank ones are dropped), or None when none is left."""
    while conversation.queue:
        message = conversation.queue.pop(0)
        if message.content.strip():
            return message
    return None
