"""Where the domain gets the time and new ids, so tests can make both deterministic."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime


class Clock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


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
