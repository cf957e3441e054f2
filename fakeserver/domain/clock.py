"""Where the domain gets the time and new ids, so tests can make both deterministic."""

from __future__ import annotations

import math
import os
import random
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """UTC time: the wall clock's, unless a test moved it forward (`advance`) or held it still
    (`freeze`). A workspace's timestamps and its limits' windows read it, so a test can see a
    window lift without sleeping."""

    __slots__ = ("_adjusted", "_frozen_at", "_offset")

    def __init__(self) -> None:
        self._adjusted = False
        """Whether `advance` or `freeze` was used: the wall clock is read directly until then."""
        self._offset = timedelta()
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        if not self._adjusted:
            return datetime.now(UTC)
        base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
        return base + self._offset

    def seconds(self) -> float:
        """`now()` as seconds since the epoch: what the limits' windows count in."""
        if not self._adjusted:
            return time.time()
        return self.now().timestamp()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, seconds: float) -> None:
        """Move the clock forward. Refuses to go back: windows assume time never does."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"the clock only moves forward: {seconds!r} is not a number >= 0")
        self._offset += timedelta(seconds=seconds)
        self._adjusted = True

    def freeze(self) -> None:
        """Hold the clock at its current time, until `advance` moves it or `unfreeze`."""
        if self._frozen_at is None:
            self._frozen_at, self._offset = self.now(), timedelta()
            self._adjusted = True

    def unfreeze(self) -> None:
        """Let the clock run again from where it was held (it does not jump ahead)."""
        if self._frozen_at is not None:
            self._offset = self.now() - datetime.now(UTC)
            self._frozen_at = None

    def reset(self) -> None:
        """Back to the wall clock."""
        self._adjusted, self._offset, self._frozen_at = False, timedelta(), None


def uuid4_text(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, formatted directly (UUID's constructor is slow)."""
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    hex_ = bits.to_bytes(16).hex()
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"


class IdFactory:
    """New UUID4 strings: random by default, a repeatable sequence when seeded."""

    def __init__(self, seed: int | None = None) -> None:
        # Unseeded, the generator starts from 128 bits of OS entropy: ids differ from run to
        # run, without the system call per id that uuid4() makes.
        self._random = random.Random(seed if seed is not None else int.from_bytes(os.urandom(16)))

    def new_id(self) -> str:
        return uuid4_text(self._random.getrandbits(128))
