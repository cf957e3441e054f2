"""What `fakeserver record` saw, as a fixture: the recorded runs, each a script rule replaying
its frames in order with the delays between them.

A stream is read as it passes (`StreamRecording.feed`, bytes in any chunking); a frame whose
data is JSON is kept as `event`/`data`, anything else (a comment, a frame that is not JSON, the
unfinished tail of a broken stream) as `raw` text, and a broken connection as `dropped`. Each
`human` message starts a turn (a queued follow-up is a second turn of the same stream); the turn
becomes a rule matching exactly that message, whose `replay:` holds the frames after it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

FRAME_END: Final = b"\n\n"


@dataclass
class RecordedTurn:
    content: str | None
    """The human message that started it (None for frames before any human message)."""
    frames: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StreamRecording:
    """One create's stream, frame by frame, as it passes through the proxy."""

    conversation: str | None
    clock: Callable[[], float] = time.monotonic
    turns: list[RecordedTurn] = field(default_factory=lambda: [RecordedTurn(None)])
    frame_count: int = 0
    _buffer: bytes = b""
    _last: float | None = None

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        while FRAME_END in self._buffer:
            block, self._buffer = self._buffer.split(FRAME_END, 1)
            self._add_block(block)

    def finish(self, dropped: bool = False) -> None:
        if self._buffer:
            self._add({"raw": self._buffer.decode("utf-8", "replace")})
            self._buffer = b""
        if dropped:
            self._add({"dropped": True})

    def _after(self) -> float:
        now = self.clock()
        after = 0.0 if self._last is None else now - self._last
        self._last = now
        return round(after, 3)

    def _add(self, frame: dict[str, Any]) -> None:
        self.turns[-1].frames.append({"after": self._after(), **frame})
        self.frame_count += 1

    def _add_block(self, block: bytes) -> None:
        text = block.decode("utf-8", "replace")
        event, data = _event_and_data(text)
        if event is None:
            self._add({"raw": text + "\n\n"})
            return
        if event == "message" and isinstance(data, dict) and data.get("type") == "human":
            # A replay echoes the human message itself; the next frame's delay spans it.
            content = data.get("content")
            self.turns.append(RecordedTurn(content if isinstance(content, str) else None))
            return
        self._add({"event": event, "data": data})


def _exactly(content: str) -> str:
    return f"^{re.escape(content)}$"


def _event_and_data(text: str) -> tuple[str | None, Any]:
    """An SSE block with one `event:` and one `data:` line holding JSON; else (None, None)."""
    lines = text.split("\n")
    if len(lines) != 2 or not lines[0].startswith("event: ") or not lines[1].startswith("data: "):
        return None, None
    try:
        data = json.loads(lines[1][len("data: ") :])
    except ValueError:
        return None, None
    return lines[0][len("event: ") :], data


@dataclass(frozen=True)
class AnswerRecording:
    """A create answered with an error instead of a stream: replayed as that answer."""

    content: str
    status: int
    content_type: str
    body: str


@dataclass
class Recording:
    """Every run and error the proxy saw."""

    streams: list[StreamRecording] = field(default_factory=list)
    answers: list[AnswerRecording] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """One line per answer that was not a stream (an error of the target), for the header."""

    @property
    def conversations(self) -> list[str]:
        seen = (stream.conversation for stream in self.streams if stream.conversation)
        return list(dict.fromkeys(seen))

    @property
    def frame_count(self) -> int:
        return sum(stream.frame_count for stream in self.streams)

    def rules(self) -> list[dict[str, Any]]:
        """A replay rule per recorded turn that a human message started, first seen first."""
        rules: list[dict[str, Any]] = []
        seen: set[str] = set()
        for stream in self.streams:
            lead = stream.turns[0].frames
            for turn in stream.turns[1:]:
                if turn.content is None or turn.content in seen:
                    continue
                seen.add(turn.content)
                replay: dict[str, Any] = {"frames": lead + turn.frames}
                if stream.conversation:
                    replay = {"conversation": stream.conversation, **replay}
                rules.append({"match": _exactly(turn.content), "replay": replay})
                lead = []
        for answer in self.answers:
            if answer.content in seen:
                continue
            seen.add(answer.content)
            recorded = {"status": answer.status, "body": answer.body}
            recorded["content_type"] = answer.content_type or "application/json"
            rules.append({"match": _exactly(answer.content), "answer": recorded})
        return rules

    def progress_line(self) -> str:
        return (
            f"record: {len(self.conversations)} conversations, {len(self.streams)} streams, "
            f"{self.frame_count} frames, {len(self.errors)} errors"
        )
