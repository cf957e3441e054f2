"""Replaying recorded frames without HTTP: ids renamed, the run's own frames not repeated, the
recorded delays scaled by the replay speed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fakeserver.domain.clock import IdFactory
from fakeserver.domain.frames import DroppedFrame, MessageFrame, RawFrame, UpdateFrame, kinds_of
from fakeserver.domain.pacing import DelayPacer
from fakeserver.domain.replay import ReplayIds, replayed
from fakeserver.domain.scripts import AgentScript, RecordedFrame, ScriptRule, Turn
from fakeserver.domain.workspace import StreamRequest, Workspace
from fakeserver.fixture_files import default_fixture_path, load_seed

pytestmark = pytest.mark.anyio
OLD_CONVERSATION, NEW_CONVERSATION = "old-conversation", "11111111-2222-4333-8444-555555555555"
RECORDED = (
    RecordedFrame(0.0, "conversation", {"id": OLD_CONVERSATION}),
    RecordedFrame(0.4, "message", {"content": "hi", "id": "h-old", "type": "human"}),
    RecordedFrame(0.2, "update", {"id": "tool-old", "tool_call_id": "call-1", "content": "x"}),
    RecordedFrame(0.1, "message", {"content": "Le", "type": "ai"}),
    RecordedFrame(
        0.1,
        "message",
        {
            "content": "Let",
            "id": "ai-old",
            "type": "ai",
            "meta": {"conversation": OLD_CONVERSATION},
        },
    ),
    RecordedFrame(0.0, raw=": keepalive\n\n"),
    RecordedFrame(0.3, dropped=True),
)


def test_ids_are_renamed_consistently_and_the_runs_own_frames_are_left_out() -> None:
    ids = ReplayIds(IdFactory(1), "new-trace")
    ids.rename(OLD_CONVERSATION, NEW_CONVERSATION)
    frames = list(replayed(RECORDED, ids))
    assert [type(step.frame) for step in frames] == [
        UpdateFrame,
        MessageFrame,
        MessageFrame,
        RawFrame,
        DroppedFrame,
    ]
    final = frames[2].frame
    assert isinstance(final, MessageFrame) and frames[2].final and not frames[1].final
    assert final.message["id"] not in ("ai-old", None)
    assert final.message["meta"] == {"conversation": NEW_CONVERSATION}
    update = frames[0].frame
    assert isinstance(update, UpdateFrame) and update.update["tool_call_id"] == "call-1"
    assert update.update["id"] != "tool-old"


async def test_the_recorded_delays_are_divided_by_the_replay_speed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    base = load_seed([default_fixture_path()])
    turn = Turn(ending="none", recorded=RECORDED[2:6], recorded_conversation=OLD_CONVERSATION)
    seed = replace(base, agent_script=AgentScript((ScriptRule(None, turn),)))
    space = Workspace(seed, ids=IdFactory(1), pacer=DelayPacer(), replay_speed=2.0)
    monkeypatch.setattr("fakeserver.domain.runs.asyncio.sleep", sleep)
    log = space.start_stream(1, 1, StreamRequest(NEW_CONVERSATION, "hi", "trace")).log
    await space.runs.join(NEW_CONVERSATION)
    assert slept == [0.1, 0.05, 0.05]
    assert kinds_of(log.frames) == (
        ("conversation", 1),
        ("human", 1),
        ("update", 1),
        ("ai chunk", 1),
        ("ai", 1),
        ("raw", 1),
    )
    assert space.runs.frame_kinds(NEW_CONVERSATION) == kinds_of(log.frames)
