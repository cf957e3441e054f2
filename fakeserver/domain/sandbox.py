"""The sandbox runtime's opener (POST open/): create-or-resume a sandbox conversation, check
its task, and start or rejoin its run, in the order PostHog's `open` view does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.errors import (
    BoundPiTaskNotOpenable,
    BoundTaskNotFound,
    DomainError,
    NotOnSandboxRuntime,
    OpenConversationDeleted,
    OpenOtherUsersConversation,
    PiTaskNotOpenable,
    SandboxTaskNotFound,
)
from fakeserver.domain.models import Conversation, User, canonical_conversation_id
from fakeserver.domain.store import Seed, Store
from fakeserver.domain.tasks import PI_RUNTIME, Task, opened_task_id, task_of


class SandboxState(Protocol):
    """What open needs of a workspace."""

    store: Store
    clock: Clock
    ids: IdFactory

    @property
    def seed(self) -> Seed: ...

    def find(self, raw_id: str) -> Conversation | None: ...


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """A validated POST open/ body (the fields the fake acts on)."""

    content: str | None = None
    trace_id: str | None = None
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class SandboxRun:
    """The open endpoint's answer (`SandboxMessageResponse`)."""

    task_id: str
    run_id: str
    trace_id: str | None
    run_status: str
    just_created_run: bool


def open_sandbox(
    state: SandboxState, raw_id: str, owner: tuple[int, int], request: OpenRequest
) -> SandboxRun | None:
    """POST open/: create-or-resume a sandbox conversation and start (or rejoin) its run, for
    `owner` (project id, user id). None when a warm request (no content) provisions nothing,
    which leaves no trace."""
    project_id, user_id = owner
    if request.task_id is not None:  # the serializer's `validate_task_id`
        _check_task(state, request.task_id, project_id, user_id, SandboxTaskNotFound)
    user = state.seed.users[user_id]
    has_content = bool(request.content)
    pool_full = state.seed.projects[project_id].sandbox_pool_full
    conversation = state.find(raw_id)
    if conversation is None:
        new_id = _new_sandbox_id(raw_id, user)
        if not has_content and pool_full:  # PostHog drops the row it made: no trace
            return None
        conversation = _create_sandbox_conversation(state, new_id, project_id, user, request)
    elif conversation.owner != (project_id, user_id):
        raise OpenOtherUsersConversation(raw_id)
    elif conversation.deleted:
        raise OpenConversationDeleted(raw_id)
    if conversation.task_id is not None:
        _check_task(state, conversation.task_id, project_id, user_id, BoundTaskNotFound)
    converts = (
        has_content
        and not conversation.is_sandbox
        and conversation.task_id is None
        and conversation.status == "idle"
        and user.sandbox_mode
    )
    if not conversation.is_sandbox and not converts:
        raise NotOnSandboxRuntime(raw_id)
    if not has_content and pool_full and conversation.sandbox_run_id is None:
        return None
    return _start_sandbox_run(state, conversation, request, converts)


def _check_task(
    state: SandboxState, task_id: str, project_id: int, user_id: int, not_found: type[DomainError]
) -> Task:
    """PostHog's `_validate_sandbox_task`: readable in this project, and not a Pi task."""
    task = _task(state, task_id)
    if task is None or not task.readable_in(project_id, user_id):
        raise not_found(task_id)
    if task.runtime == PI_RUNTIME:
        pi = PiTaskNotOpenable if not_found is SandboxTaskNotFound else BoundPiTaskNotOpenable
        raise pi(task_id)
    return task


def _task(state: SandboxState, task_id: str) -> Task | None:
    """A fixture's task, or one open made for a conversation of this workspace."""
    task = state.seed.tasks.get(task_id)
    if task is not None:
        return task
    conversation_id = state.store.opened_task_owner(task_id)
    conversation = state.store.conversation(conversation_id) if conversation_id else None
    return task_of(conversation, state.seed.tasks) if conversation else None


def _new_sandbox_id(raw_id: str, user: User) -> str:
    """open's first use of an id: only for a user with the sandbox flag."""
    conversation_id = canonical_conversation_id(raw_id)
    if conversation_id is None or not user.sandbox_mode:
        raise NotOnSandboxRuntime(raw_id)
    return conversation_id


def _create_sandbox_conversation(
    state: SandboxState, conversation_id: str, project_id: int, user: User, request: OpenRequest
) -> Conversation:
    now = state.clock.now()
    conversation = Conversation(
        id=conversation_id,
        project_id=project_id,
        user_id=user.id,
        created_at=now,
        updated_at=now,
        agent_runtime="sandbox",
        task_id=request.task_id,
    )
    state.store.add(conversation)
    return conversation


def _start_sandbox_run(
    state: SandboxState, conversation: Conversation, request: OpenRequest, converts: bool
) -> SandboxRun:
    just_created = conversation.sandbox_run_id is None
    with state.store.update(conversation.id) as writable:
        if converts:
            writable.agent_runtime = "sandbox"
        if request.content and writable.title is None:
            writable.title = request.content[:80]
        if writable.task_id is None:  # PostHog makes the task with the first run
            writable.task_id = opened_task_id(writable.id)
            state.store.record_opened_task(writable.task_id, writable.id)
        if just_created:
            writable.sandbox_run_id = state.ids.new_id()
        writable.updated_at = state.clock.now()
    assert writable.sandbox_run_id is not None and writable.task_id is not None
    return SandboxRun(
        writable.task_id, writable.sandbox_run_id, request.trace_id, "in_progress", just_created
    )
