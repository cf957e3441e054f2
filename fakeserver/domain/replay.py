"""Replaying a recorded run: its frames with the new request's ids.

The recorded frames keep the target's ids. On replay, the recorded conversation id becomes the
new conversation's, every `trace_id` the new request's, and each recorded message id (and tool
message id of an `update`) a fresh one from the server's `IdFactory`, the same fresh id wherever
the recorded one appears, so a chunk's final message and a tool's updates still agree. The
human message and the `conversation` event are not replayed: the run makes its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fakeserver.domain.clock import IdFactory
from fakeserver.domain.frames import (
    DroppedFrame,
    EventFrame,
    Frame,
    MessageFrame,
    RawFrame,
    StatusFrame,
    UpdateFrame,
)
from fakeserver.domain.models import JSONValue
from fakeserver.domain.scripts import RecordedFrame


@dataclass
class ReplayIds:
    """The recorded ids and the new ones that stand for them in this replay."""

    ids: IdFactory
    trace_id: str
    new_ids: dict[str, str] = field(default_factory=dict)

    def rename(self, recorded_conversation: str | None, conversation_id: str) -> None:
        if recorded_conversation:
            self.new_ids[recorded_conversation] = conversation_id

    def fresh(self, recorded: JSONValue) -> None:
        if isinstance(recorded, str) and recorded not in self.new_ids:
            self.new_ids[recorded] = self.ids.new_id()

    def mapped(self, value: JSONValue, key: str = "") -> JSONValue:
        if isinstance(value, str):
            return self.trace_id if key == "trace_id" else self.new_ids.get(value, value)
        if isinstance(value, dict):
            return {name: self.mapped(item, name) for name, item in value.items()}
        if isinstance(value, list):
            return [self.mapped(item) for item in value]
        return value


@dataclass(frozen=True, slots=True)
class Replayed:
    """A frame to write after `after` recorded seconds; `final` when it is a whole message."""

    after: float
    frame: Frame
    final: bool = False


def replayed(recorded: tuple[RecordedFrame, ...], ids: ReplayIds) -> Iterator[Replayed]:
    for source in recorded:
        frame = _frame(source, ids)
        if frame is not None:
            final = isinstance(frame, MessageFrame) and "id" in frame.message
            yield Replayed(source.after, frame, final)


def _frame(source: RecordedFrame, ids: ReplayIds) -> Frame | None:
    if source.dropped:
        return DroppedFrame()
    if source.raw is not None:
        return RawFrame(source.raw)
    data = source.data
    if source.event == "conversation":
        return None
    if isinstance(data, dict) and source.event in ("message", "update"):
        if source.event == "message" and data.get("type") == "human":
            return None
        ids.fresh(data.get("id"))
        mapped = ids.mapped(data)
        assert isinstance(mapped, dict)
        return MessageFrame(mapped) if source.event == "message" else UpdateFrame(mapped)
    if source.event == "status" and isinstance(data, dict):
        return StatusFrame(data)
    return EventFrame(source.event or "message", ids.mapped(data))
