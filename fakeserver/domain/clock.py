"""Where the domain gets the time and new ids, so tests can make both deterministic."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime


class Clock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class IdFactory:
    """New UUID4 strings: random by default, a repeatable sequence when seeded."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else None

    def new_id(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
