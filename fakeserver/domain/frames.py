"""The frames a run writes, and the log that keeps them for the streams that read it."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from fakeserver.domain.models import Conversation, JSONValue

# Frames ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationFrame:
    """The `conversation` event: sent once, first, for a new conversation only."""

    conversation: Conversation
    """A snapshot taken when the frame was made."""


@dataclass(frozen=True, slots=True)
class MessageFrame:
    message: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class UpdateFrame:
    update: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class StatusFrame:
    status: dict[str, JSONValue]


@dataclass(frozen=True, slots=True)
class EventFrame:
    """Any event, as given: a kind fakeserver does not know, or a replayed one."""

    event: str
    data: JSONValue


@dataclass(frozen=True, slots=True)
class RawFrame:
    """Text a recorded target sent that is not an event with JSON data: replayed byte for byte."""

    text: str


@dataclass(frozen=True, slots=True)
class DroppedFrame:
    """Where a recorded target's connection broke: a stream reaching it is cut off."""


Frame = (
    ConversationFrame
    | MessageFrame
    | UpdateFrame
    | StatusFrame
    | EventFrame
    | RawFrame
    | DroppedFrame
)


class FrameLog:
    """The frames of one conversation's stream, kept until its runs end, so readers can replay."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.run_start = 0
        """Index of the current run's first frame: where a reconnecting client starts."""
        self.closed = False
        self._changed = asyncio.Event()

    @classmethod
    def empty_closed(cls) -> FrameLog:
        log = cls()
        log.closed = True
        return log

    def append(self, frame: Frame) -> None:
        self.frames.append(frame)
        self._notify()

    def begin_run(self) -> None:
        self.run_start = len(self.frames)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_beyond(self, index: int, timeout: float | None) -> bool:
        """Wait until a frame past `index` exists or the log closes; False if `timeout` passed."""
        if index < len(self.frames) or self.closed:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True


def frame_kind(frame: Frame) -> str:
    """What a frame is, in a word: the event, a message's `type` (`ai chunk` for a chunk)."""
    if isinstance(frame, MessageFrame):
        kind = str(frame.message.get("type", "message"))
        return kind if "id" in frame.message else f"{kind} chunk"
    if isinstance(frame, EventFrame):
        return frame.event
    names = {
        ConversationFrame: "conversation",
        UpdateFrame: "update",
        StatusFrame: "status",
        RawFrame: "raw",
        DroppedFrame: "dropped",
    }
    return names[type(frame)]


def kinds_of(frames: list[Frame]) -> tuple[tuple[str, int], ...]:
    """How many frames of each kind, in the order the kinds first appear."""
    return tuple(Counter(map(frame_kind, frames)).items())
