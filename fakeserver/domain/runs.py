"""Simulated agent runs: a background task per conversation that plays scripted turns.

A run is owned by the workspace's `Runs` registry, not by an HTTP response: it writes typed
frames into the conversation's `FrameLog`, and any number of streams subscribe to that log
(from its start, or from the current run's start on reconnect). A client that goes away only
drops its subscription; the run goes on, as PostHog's background workflow does.

When a turn ends, the queue is drained as PostHog's chat-agent activity does: the next queued
message starts a follow-up turn on the same log; when none is left the conversation goes back
to `idle`, the log closes and its subscribers end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from fakeserver.domain import queue
from fakeserver.domain.clock import Clock, IdFactory
from fakeserver.domain.frames import (
    ConversationFrame,
    EventFrame,
    FrameLog,
    MessageFrame,
    StatusFrame,
    UpdateFrame,
    kinds_of,
)
from fakeserver.domain.models import JSONValue
from fakeserver.domain.pacing import DelayPacer, RunPacer
from fakeserver.domain.replay import ReplayIds, replayed
from fakeserver.domain.scripts import (
    FAILURE_TEXT,
    GENERATION_ERROR,
    AgentScript,
    EventStep,
    Turn,
    UpdateStep,
    default_turn,
    title_from,
)
from fakeserver.domain.slash_commands import CommandContext, command_of, command_reply
from fakeserver.domain.store import Store

# Runs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """What starts one turn: the human message (None to resume) and its trace id."""

    content: str | None
    trace_id: str
    turn: Turn | None = None
    """A turn decided in advance (the answer to an approval); else the script decides."""
    billing_context: JSONValue = None
    """The message's billing context (what `/usage` reads its billing period from)."""


class AgentRun:
    """One conversation's runs from its start until its queue is empty: the first turn and the
    follow-ups popped from the queue. Its state changes go to the store it started with, so a
    run cancelled by a reset never writes into the new state."""

    def __init__(
        self,
        conversation_id: str,
        store: Store,
        clock: Clock,
        ids: IdFactory,
        script: AgentScript,
        pacer: RunPacer,
        replay_speed: float = 0.0,
    ) -> None:
        self.conversation_id = conversation_id
        self.log = FrameLog()
        self._store, self._clock, self._ids = store, clock, ids
        self._script, self._pacer = script, pacer
        self._replay_speed = replay_speed
        self._stopped = False
        self.task: asyncio.Task[None] | None = None

    # Synchronous steps (called while no other request runs) ----------------------------------

    def open(self, announce: bool, agent_mode: str | None) -> None:
        """Start: status `in_progress`; the `conversation` frame if it is new."""
        with self._store.update(self.conversation_id) as conversation:
            conversation.status = "in_progress"
            if agent_mode is not None:
                conversation.agent_mode = agent_mode
            conversation.updated_at = self._clock.now()
        if announce:
            self.log.append(ConversationFrame(conversation.copy()))

    def begin_turn(self, request: TurnRequest) -> None:
        """Mark where the turn starts and echo the human message with its new id."""
        self.log.begin_run()
        if request.content is None:
            return
        message: dict[str, JSONValue] = {
            "content": request.content,
            "id": self._ids.new_id(),
            "type": "human",
            "trace_id": request.trace_id,
        }
        self._add_message(message)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Cancel: no further frames or state changes; subscribers end."""
        self._stopped = True
        self.log.close()
        if self.task is not None:
            self.task.cancel()

    # The background task -----------------------------------------------------------------

    async def drive(self, first: TurnRequest, on_end: Callable[[AgentRun], None]) -> None:
        request = first
        try:
            while True:
                awaiting_approval = await self._play(request)
                with self._store.update(self.conversation_id) as conversation:
                    # A pending approval drops the queue (PostHog's chat-agent activity).
                    if awaiting_approval:
                        queue.clear(conversation)
                        queued = None
                    else:
                        queued = queue.pop_next(conversation)
                        if queued is not None and queued.agent_mode is not None:
                            conversation.agent_mode = queued.agent_mode
                if queued is None:
                    break
                request = TurnRequest(
                    queued.content, self._ids.new_id(), billing_context=queued.billing_context
                )
                self.begin_turn(request)
            with self._store.update(self.conversation_id) as conversation:
                conversation.status = "idle"
                conversation.updated_at = self._clock.now()
        finally:
            self.log.close()
            on_end(self)

    async def _frame_due(self) -> None:
        await self._pacer.before_frame(self.conversation_id)
        if self._stopped:
            raise asyncio.CancelledError

    async def _play(self, request: TurnRequest) -> bool:
        """Play one turn; True when it ended asking for an approval."""
        command = command_of(request.content) if request.turn is None else None
        if command is not None:  # answered instead of a normal turn
            await self._frame_due()
            self._answer_command(command, request)
            self._name_conversation()
            return False
        content = request.content or ""
        turn = request.turn or self._script.turn_for(content) or default_turn(content)
        if turn.recorded is not None:
            await self._replay(turn, request.trace_id)
            self._name_conversation()
            return False
        tool = _ToolCall(self._ids)
        for text in turn.updates:
            await self._frame_due()
            self.log.append(UpdateFrame(tool.update(text)))
        await self._stream_chunks(turn.chunks)
        last_ai: str | None = None
        for step in turn.steps:
            if isinstance(step, UpdateStep):
                await self._frame_due()
                self.log.append(UpdateFrame(tool.update(step.content)))
            elif isinstance(step, EventStep):
                await self._frame_due()
                self.log.append(EventFrame(step.event, step.data))
            else:
                await self._stream_chunks(step.chunks)
                await self._frame_due()
                message = self._with_new_id(step.message)
                self._add_message(message)
                if message.get("type") == "ai":
                    last_ai = str(message["id"])
        if turn.ending != "none":
            await self._frame_due()
        if turn.ending == "failure":
            failure_id = self._ids.new_id()
            self._add_message({"content": FAILURE_TEXT, "id": failure_id, "type": "ai/failure"})
        elif turn.ending == GENERATION_ERROR:
            self.log.append(StatusFrame({"type": GENERATION_ERROR}))
        elif turn.ending == "reply":
            last_ai = self._ids.new_id()
            self._add_message({"content": turn.final_text, "id": last_ai, "type": "ai"})
        if turn.approval is not None and last_ai is not None and turn.ending in ("reply", "none"):
            self._request_approval(turn, last_ai)
        self._name_conversation()
        return turn.approval is not None and last_ai is not None

    async def _stream_chunks(self, chunks: tuple[str, ...]) -> None:
        so_far = ""
        for chunk in chunks:
            await self._frame_due()
            so_far += chunk
            self.log.append(MessageFrame({"content": so_far, "type": "ai"}))

    def _with_new_id(self, message: dict[str, JSONValue]) -> dict[str, JSONValue]:
        if "id" in message:
            return dict(message)
        return dict(sorted({**message, "id": self._ids.new_id()}.items()))

    async def _replay(self, turn: Turn, trace_id: str) -> None:
        assert turn.recorded is not None
        ids = ReplayIds(self._ids, trace_id)
        ids.rename(turn.recorded_conversation, self.conversation_id)
        for step in replayed(turn.recorded, ids):
            if step.after > 0 and self._replay_speed > 0:
                await asyncio.sleep(step.after / self._replay_speed)
            await self._frame_due()
            if step.final:
                assert isinstance(step.frame, MessageFrame)
                self._add_message(step.frame.message)
            else:
                self.log.append(step.frame)

    def _answer_command(self, command: str, request: TurnRequest) -> None:
        conversation = self._store.conversation(self.conversation_id)
        assert conversation is not None and request.content is not None
        context = CommandContext.of(
            conversation, self._store.seed.projects, self._clock.now(), request.billing_context
        )
        reply = command_reply(command, request.content.strip(), context)
        self._add_message({"content": reply["content"], "id": self._ids.new_id(), **reply})

    def _add_message(self, message: dict[str, JSONValue]) -> None:
        with self._store.update(self.conversation_id) as conversation:
            conversation.messages.append(message)
            conversation.updated_at = self._clock.now()
        self.log.append(MessageFrame(message))

    def _request_approval(self, turn: Turn, message_id: str) -> None:
        assert turn.approval is not None
        proposal = {
            "proposal_id": self._ids.new_id(),
            "decision_status": "pending",
            "tool_name": turn.approval.tool_name,
            "preview": turn.approval.preview,
            "payload": turn.approval.payload,
            "original_tool_call_id": self._ids.new_id(),
            "message_id": message_id,
        }
        with self._store.update(self.conversation_id) as conversation:
            conversation.pending_approvals.append(proposal)

    def _name_conversation(self) -> None:
        """After its first turn a conversation gets a title from its first message."""
        conversation = self._store.conversation(self.conversation_id)
        if conversation is None or conversation.title is not None:
            return
        first = next((m for m in conversation.messages if m.get("type") == "human"), None)
        if first is None or not isinstance(first.get("content"), str):
            return
        with self._store.update(self.conversation_id) as writable:
            writable.title = title_from(first["content"])


class _ToolCall:
    """The tool message and call a turn's `update` events belong to (made on first use)."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._names: tuple[str, str] | None = None

    def update(self, content: str) -> dict[str, JSONValue]:
        if self._names is None:
            self._names = (self._ids.new_id(), self._ids.new_id())
        message_id, call_id = self._names
        return {"id": message_id, "tool_call_id": call_id, "content": content}


class Runs:
    """The runs of one workspace: at most one per conversation, each a tracked task."""

    def __init__(self, pacer: RunPacer | None = None, replay_speed: float = 0.0) -> None:
        self.pacer: RunPacer = pacer or DelayPacer()
        self.replay_speed = replay_speed
        """Recorded delays are divided by it; 0 replays as fast as possible."""
        self._last_kinds: dict[str, tuple[tuple[str, int], ...]] = {}
        """Each conversation's last ended run: its frames counted by kind (the dashboard's)."""
        self._active: dict[str, AgentRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._active)

    @property
    def tasks(self) -> frozenset[asyncio.Task[None]]:
        return frozenset(self._tasks)

    def active(self, conversation_id: str) -> AgentRun | None:
        return self._active.get(conversation_id)

    def running(self) -> list[AgentRun]:
        """Every run in progress, oldest first."""
        return list(self._active.values())

    def start(self, run: AgentRun, first: TurnRequest) -> None:
        """Hand the run to a background task (it must already be `open`ed, its turn begun)."""
        self._active[run.conversation_id] = run
        task = asyncio.get_running_loop().create_task(
            run.drive(first, self._ended), name=f"fakeserver-run-{run.conversation_id}"
        )
        run.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ended(self, run: AgentRun) -> None:
        if self._active.get(run.conversation_id) is run:
            del self._active[run.conversation_id]
        if not run.stopped:
            self._last_kinds[run.conversation_id] = kinds_of(run.log.frames)

    def frame_kinds(self, conversation_id: str) -> tuple[tuple[str, int], ...]:
        """The frames by kind of the conversation's run in progress, else of its last one."""
        run = self._active.get(conversation_id)
        if run is not None:
            return kinds_of(run.log.frames)
        return self._last_kinds.get(conversation_id, ())

    def stop(self, conversation_id: str) -> None:
        run = self._active.pop(conversation_id, None)
        if run is not None:
            run.stop()

    def stop_all(self) -> None:
        for conversation_id in list(self._active):
            self.stop(conversation_id)
        self._last_kinds.clear()

    async def join(self, conversation_id: str) -> None:
        """Wait until the conversation's current run (if any) has ended."""
        run = self._active.get(conversation_id)
        if run is not None and run.task is not None:
            await asyncio.gather(run.task, return_exceptions=True)

    async def join_all(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Stop every run and wait for their tasks: nothing is left running."""
        self.stop_all()
        await self.join_all()
