"""A workspace: one isolated copy of the fake's state and the operations the API performs on it.

Each lookup reproduces the filter of the PostHog view it stands for, because the same situation
(another user's conversation, say) gets different answers from different endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeserver.domain import queue
from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.errors import (
    ConversationNotFound,
    IdleWithoutMessage,
    OtherUsersConversation,
    QueueConversationNotFound,
    RecordedAnswerReplayed,
    RunInProgress,
    SandboxNotStreamable,
    StreamConversationDeleted,
    StreamFromNothing,
    StreamOtherUsersConversation,
)
from fakeserver.domain.frames import FrameLog
from fakeserver.domain.limits import OFF, Limiter, limit_mode
from fakeserver.domain.models import (
    Conversation,
    JSONValue,
    QueueMessage,
    canonical_conversation_id,
)
from fakeserver.domain.pacing import RunPacer
from fakeserver.domain.runs import AgentRun, Runs, TurnRequest
from fakeserver.domain.sandbox import OpenRequest, SandboxRun, open_sandbox
from fakeserver.domain.scripts import Turn, resume_turn
from fakeserver.domain.store import Seed, Store
from fakeserver.domain.tasks import readable_task_of


@dataclass(slots=True)  # not frozen: made per request, and a frozen __init__ is 4x slower
class Page:
    count: int
    conversations: list[Conversation]


@dataclass(slots=True)  # not frozen, as Page
class QueueDraft:
    """A validated follow-up message, before it gets its id and timestamp."""

    content: str
    contextual_tools: dict[str, JSONValue] | None = None
    ui_context: JSONValue = None
    billing_context: dict[str, JSONValue] | None = None
    agent_mode: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class StreamRequest:
    """A validated POST conversations/ body (the fields the fake acts on)."""

    conversation_id: str
    content: str | None
    trace_id: str
    agent_mode: str | None = None
    is_sandbox: bool = False
    resume_payload: JSONValue = None
    billing_context: JSONValue = None


@dataclass(frozen=True, slots=True)
class StreamSubscription:
    """Where a stream reads: a frame log and the index to start from."""

    log: FrameLog
    start: int


class Workspace:
    """The state of one server or namespace, and what can be done to it."""

    def __init__(
        self,
        seed: Seed,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
        pacer: RunPacer | None = None,
        replay_speed: float = 0.0,
    ):
        self.clock = clock or Clock()
        self.ids = ids or IdFactory()
        self.store = Store(seed)
        self.runs = Runs(pacer, replay_speed)
        self.limiter = Limiter(seed, self.clock)
        self.limits: Limiter | None = None
        """The limiter while its mode limits anything, else None: the one thing a request
        looks at when limits are off."""

    @property
    def seed(self) -> Seed:
        return self.store.seed

    def reset(self, seed: Seed | None = None) -> None:
        """Back to the seed's state (or a new seed's): O(1), the seed is shared, not copied.

        Runs in progress are cancelled: they belong to the state being thrown away.
        """
        self.runs.stop_all()
        self.store = Store(seed or self.store.seed)
        self.limiter.reset(self.store.seed)
        self.clock.reset()

    def set_limit_mode(self, mode: str) -> None:
        """Turn the limits on or off (`limits.LIMIT_MODES`); raises ValueError for another."""
        self.limiter.mode = limit_mode(mode)
        self.limits = self.limiter if mode != OFF else None

    def find(self, raw_id: str) -> Conversation | None:
        """The conversation with this id in any form a UUID may take, deleted or not."""
        return self._find(raw_id)

    # Lookups -----------------------------------------------------------------------------

    def _find(self, raw_id: str) -> Conversation | None:
        found = self.store.conversation(raw_id)  # ids are stored canonical: a hit needs no parse
        if found is not None:
            return found
        conversation_id = canonical_conversation_id(raw_id)
        return self.store.conversation(conversation_id) if conversation_id else None

    def retrievable(self, raw_id: str, project_id: int, user_id: int) -> Conversation:
        """`retrieve`: the list filters without the user filter (same-team conversations show),
        and a task-backed conversation only while its task is readable by the caller."""
        conversation = self._find(raw_id)
        if (
            conversation is None
            or conversation.project_id != project_id
            or not conversation.is_listed
        ):
            raise ConversationNotFound(raw_id)
        if conversation.task_id is not None and (
            readable_task_of(conversation, self.seed.tasks, project_id, user_id) is None
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

    def enqueue(
        self, raw_id: str, project_id: int, user_id: int, draft: QueueDraft
    ) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        queue.ensure_accepts(conversation)  # before an id is drawn: a refusal changes nothing
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
        with self.store.update_queue(conversation.id) as writable:
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
        with self.store.update_queue(conversation.id) as writable:
            queue.replace_content(writable, queue_id, content)
        return writable

    def remove_queued(
        self, raw_id: str, project_id: int, user_id: int, queue_id: str
    ) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        queue.queued_position(conversation, queue_id)
        with self.store.update_queue(conversation.id) as writable:
            queue.remove(writable, queue_id)
        return writable

    def clear_queue(self, raw_id: str, project_id: int, user_id: int) -> Conversation:
        conversation = self.queue_of(raw_id, project_id, user_id)
        if not conversation.queue:
            return conversation
        with self.store.update_queue(conversation.id) as writable:
            queue.clear(writable)
        return writable

    # Runs --------------------------------------------------------------------------------

    def start_stream(
        self, project_id: int, user_id: int, request: StreamRequest
    ) -> StreamSubscription:
        """POST conversations/: every check in PostHog's order, then a new run or a reconnect."""
        conversation = self.store.conversation(request.conversation_id)
        if conversation is not None and conversation.owner != (project_id, user_id):
            raise StreamOtherUsersConversation(request.conversation_id)
        if conversation is not None and conversation.deleted:
            raise StreamConversationDeleted(request.conversation_id)
        if conversation is None and request.content is None:
            raise StreamFromNothing(request.conversation_id)
        if (
            request.is_sandbox
            or request.agent_mode == "sandbox"
            or (conversation is not None and conversation.is_sandbox)
        ):
            raise SandboxNotStreamable(request.conversation_id)
        if conversation is not None and conversation.status != "idle":
            if request.content is not None:
                raise RunInProgress(request.conversation_id)
            run = self.runs.active(conversation.id)
            if run is None:  # a fixture's in_progress conversation with nothing running
                return StreamSubscription(FrameLog.empty_closed(), 0)
            return StreamSubscription(run.log, run.log.run_start)
        if conversation is not None and request.content is None and request.resume_payload is None:
            raise IdleWithoutMessage(request.conversation_id)
        script = self.seed.script_for(request.conversation_id)
        if request.content is not None:
            answer = script.answer_for(request.content)
            if answer is not None:
                raise RecordedAnswerReplayed(answer.status, answer.body, answer.content_type)
        is_new = conversation is None
        if conversation is None:
            self._create_conversation(project_id, user_id, request)
        elif conversation.type == "deep_research" and request.resume_payload is None:
            with self.store.update(conversation.id) as writable:
                writable.type = "assistant"
        run = AgentRun(
            request.conversation_id,
            self.store,
            self.clock,
            self.ids,
            script,
            self.runs.pacer,
            self.runs.replay_speed,
        )
        first = TurnRequest(
            request.content,
            request.trace_id,
            self._resolve_approval(request),
            billing_context=request.billing_context,
        )
        run.open(announce=is_new, agent_mode=request.agent_mode)
        run.begin_turn(first)
        self.runs.start(run, first)
        return StreamSubscription(run.log, 0)

    def _create_conversation(self, project_id: int, user_id: int, request: StreamRequest) -> None:
        now = self.clock.now()
        self.store.add(
            Conversation(
                id=request.conversation_id,
                project_id=project_id,
                user_id=user_id,
                created_at=now,
                updated_at=now,
                type="deep_research" if request.agent_mode == "research" else "assistant",
            )
        )

    def _resolve_approval(self, request: StreamRequest) -> Turn | None:
        """Answer a pending approval from `resume_payload`; the turn that acknowledges it."""
        payload = request.resume_payload
        if payload is None:
            return None
        action = payload.get("action") if isinstance(payload, dict) else None
        proposal_id = payload.get("proposal_id") if isinstance(payload, dict) else None
        conversation = self.store.conversation(request.conversation_id)
        assert conversation is not None
        proposal = next(
            (p for p in conversation.pending_approvals if p.get("proposal_id") == proposal_id), None
        )
        if proposal is not None and action in ("approve", "reject"):
            with self.store.update(conversation.id) as writable:
                writable.pending_approvals = [
                    p for p in writable.pending_approvals if p is not proposal
                ]
        if request.content is not None:
            return None
        feedback = payload.get("feedback") if isinstance(payload, dict) else None
        tool_name = proposal.get("tool_name") if proposal is not None else None
        return resume_turn(
            action if isinstance(action, str) else None,
            tool_name if isinstance(tool_name, str) else None,
            feedback if isinstance(feedback, str) else None,
        )

    def cancel(self, raw_id: str, project_id: int, user_id: int) -> None:
        """PATCH cancel/: stop the run, clear the queue, back to idle."""
        conversation = self.owned(raw_id, project_id, user_id)
        if conversation.status == "canceling":
            return
        self.runs.stop(conversation.id)
        with self.store.update(conversation.id) as writable:
            writable.status = "canceling"
            queue.clear(writable)
            writable.status = "idle"
            writable.updated_at = self.clock.now()

    def append_message(
        self, raw_id: str, project_id: int, user_id: int, content: str
    ) -> dict[str, JSONValue]:
        """POST append_message/: an assistant message written into the conversation."""
        conversation = self.owned(raw_id, project_id, user_id)
        message: dict[str, JSONValue] = {"content": content, "id": self.ids.new_id(), "type": "ai"}
        with self.store.update(conversation.id) as writable:
            writable.messages.append(message)
            writable.updated_at = self.clock.now()
        return message

    def open_sandbox(
        self, raw_id: str, project_id: int, user_id: int, request: OpenRequest
    ) -> SandboxRun | None:
        """POST open/ (`fakeserver.domain.sandbox`)."""
        return open_sandbox(self, raw_id, (project_id, user_id), request)
