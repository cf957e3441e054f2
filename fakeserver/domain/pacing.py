"""How fast agent runs play their frames: a pacer is asked before every assistant frame.

`DelayPacer` is the server's `reply_delay`; `GatedPacer` lets a test decide exactly when runs
advance. Any object with `before_frame` will do (`RunPacer`).
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class RunPacer(Protocol):
    """Decides when a run may emit its next assistant frame."""

    async def before_frame(self, conversation_id: str) -> None: ...


class DelayPacer:
    """A fixed delay between frames (the server's `reply_delay`); 0 plays a turn at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    async def before_frame(self, conversation_id: str) -> None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)


class GatedPacer:
    """For tests: every frame waits for a permit, so a test decides exactly when runs advance."""

    def __init__(self, *, is_open: bool = False) -> None:
        self.is_open = is_open
        self._permits = 0
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.waiting = 0
        """How many runs are waiting for a permit right now."""

    def allow(self, frames: int = 1) -> None:
        self._permits += frames
        self._notify()

    def open(self) -> None:
        self.is_open = True
        self._notify()

    def close(self) -> None:
        self.is_open = False

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def before_frame(self, conversation_id: str) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a pacer may outlive the event loop of one test
            self._loop, self._changed = loop, asyncio.Event()
        self.waiting += 1
        try:
            while not self.is_open and self._permits == 0:
                await self._changed.wait()
        finally:
            self.waiting -= 1
        if not self.is_open:
            self._permits -= 1
