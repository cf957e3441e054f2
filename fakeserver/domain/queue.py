"""The per-conversation queue of follow-up messages (PostHog's `ConversationQueueStore`).

At most two messages, first in first out. The drain flag records whether a run will consume
them (a run opens it when it starts and closes it when it ends with nothing left to pop), as an
older PostHog store did; PostHog's newest code never refuses a message for it, so neither does
the fake (docs/posthog-version.md). Every function checks its rules before it changes anything.
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
    """Empty the queue; the drain stays as it is (PostHog's `clear_queue`)."""
    conversation.queue.clear()


def open_drain(conversation: Conversation) -> None:
    conversation.drain_closed = False


def clear_and_close(conversation: Conversation) -> None:
    """What cancel and a pending approval do: drop every queued message and refuse new ones."""
    conversation.queue.clear()
    conversation.drain_closed = True


def pop_next_or_close(conversation: Conversation) -> QueueMessage | None:
    """Take the oldest usable message, or close the drain when none is left (one atomic step)."""
    while conversation.queue:
        message = conversation.queue.pop(0)
        if message.content.strip():
            return message
    conversation.drain_closed = True
    return None
