"""The run machinery without HTTP: frame log, pacing, drain, cancel and reset on a Workspace."""

from __future__ import annotations

import pytest

from fakeserver.domain.clock import IdFactory
from fakeserver.domain.frames import FrameLog, MessageFrame, StatusFrame
from fakeserver.domain.pacing import GatedPacer
from fakeserver.domain.workspace import QueueDraft, StreamRequest, Workspace
from fakeserver.fixture_files import default_fixture_path, load_seed

pytestmark = pytest.mark.anyio
CONVERSATION = "11111111-2222-4333-8444-555555555555"
TRACE = "99999999-2222-4333-8444-555555555555"


def workspace(pacer: GatedPacer) -> Workspace:
    return Workspace(load_seed([default_fixture_path()]), ids=IdFactory(1), pacer=pacer)


async def test_a_run_follows_the_gate_and_drains_with_the_queued_mode() -> None:
    pacer = GatedPacer()
    space = workspace(pacer)
    subscription = space.start_stream(1, 1, StreamRequest(CONVERSATION, "hello", TRACE))
    log = subscription.log
    assert len(log.frames) == 2 and log.run_start == 1  # conversation, human
    space.enqueue(CONVERSATION, 1, 1, QueueDraft("overload", agent_mode="sql"))
    pacer.allow(1)
    assert await log.wait_beyond(2, None)
    assert log.frames[2] == MessageFrame({"content": "This is a scripted reply", "type": "ai"})
    pacer.open()
    await space.runs.join(CONVERSATION)
    assert log.closed and log.frames[-1] == StatusFrame({"type": "generation_error"})
    conversation = space.store.conversation(CONVERSATION)
    assert conversation is not None
    assert (conversation.status, conversation.agent_mode) == ("idle", "sql")
    assert [m["type"] for m in conversation.messages] == ["human", "ai", "human"]
    assert len(space.runs) == 0 and not space.runs.tasks


async def test_cancel_and_reset_stop_runs_without_touching_the_new_state() -> None:
    pacer = GatedPacer()
    space = workspace(pacer)
    log = space.start_stream(1, 1, StreamRequest(CONVERSATION, "hello", TRACE)).log
    space.cancel(CONVERSATION, 1, 1)
    assert log.closed and len(space.runs) == 0
    conversation = space.store.conversation(CONVERSATION)
    assert conversation is not None and conversation.status == "idle" and not conversation.queue
    space.start_stream(1, 1, StreamRequest(CONVERSATION, "again", TRACE))
    space.reset()
    pacer.open()
    await space.runs.join_all()
    assert space.store.conversation(CONVERSATION) is None  # the cancelled run wrote nothing


async def test_frame_log_wait_times_out_then_wakes_on_close() -> None:
    log = FrameLog()
    assert not await log.wait_beyond(0, 0.001)
    log.close()
    assert await log.wait_beyond(0, None)
