"""Why a domain operation was refused. The API layer maps each class to PostHog's response."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the fake's domain refused an operation; nothing was changed."""


class ConversationNotFound(DomainError):
    """No visible conversation with that id (for the user-filtered lookups: get_object)."""


class QueueConversationNotFound(DomainError):
    """The queue endpoints' own lookup found no non-deleted conversation with that id."""


class OtherUsersConversation(DomainError):
    """The conversation belongs to another user or project."""


class QueueFull(DomainError):
    """The queue already holds the maximum number of messages."""


class QueueNotRunning(DomainError):
    """The drain is closed: no run will consume a newly queued message."""


class QueueMessageNotFound(DomainError):
    """No queued message with that id in this conversation's queue."""
