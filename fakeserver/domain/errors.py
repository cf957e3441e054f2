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


class QueueMessageNotFound(DomainError):
    """No queued message with that id in this conversation's queue."""


# Streaming create (POST conversations/) ----------------------------------------------------


class StreamOtherUsersConversation(DomainError):
    """create: the conversation belongs to another user or project (PostHog answers 400)."""


class StreamConversationDeleted(DomainError):
    """create: the conversation is soft-deleted."""


class StreamFromNothing(DomainError):
    """create: no such conversation and no message to start one with."""


class SandboxNotStreamable(DomainError):
    """create: sandbox conversations are opened via the open endpoint."""


class RunInProgress(DomainError):
    """create: a new message while a run is in progress."""


class IdleWithoutMessage(DomainError):
    """create: no message, nothing to resume, and nothing running."""


class RecordedAnswerReplayed(DomainError):
    """create: a recorded rule answers this message as the recorded target did (an error)."""

    def __init__(self, status: int, body: str, content_type: str) -> None:
        super().__init__(status)
        self.status, self.body, self.content_type = status, body, content_type


# open (sandbox) ----------------------------------------------------------------------------


class NotOnSandboxRuntime(DomainError):
    """open: the conversation is not (or cannot be) a sandbox conversation."""


class OpenOtherUsersConversation(DomainError):
    """open: the conversation belongs to another user or project (PermissionDenied)."""


class OpenConversationDeleted(DomainError):
    """open: the conversation is soft-deleted (NotFound)."""


class SandboxTaskNotFound(DomainError):
    """open: the body's `task_id` names no task of this project that the user may see."""


class PiTaskNotOpenable(DomainError):
    """open: the body's `task_id` names a task that runs on the Pi harness."""


class BoundTaskNotFound(DomainError):
    """open: the conversation's own task is gone (deleted) or not visible to the user."""


class BoundPiTaskNotOpenable(DomainError):
    """open: the conversation's own task runs on the Pi harness."""
