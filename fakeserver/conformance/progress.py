"""A one-line progress bar on a terminal (stderr), and silence anywhere else."""

from __future__ import annotations

import sys
from typing import Final, TextIO

BAR_WIDTH: Final = 30


class Progress:
    """`advance()` after each item; `finish()` ends the line. Draws only on a terminal."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self._stream = stream if stream is not None else sys.stderr
        self._drawing = self._stream.isatty() and total > 0

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        if self._drawing:
            filled = BAR_WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self._stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self._stream.flush()

    def finish(self) -> None:
        if self._drawing:
            self._stream.write("\n")
            self._stream.flush()
