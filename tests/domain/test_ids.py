"""Generated ids: UUID4 text, a repeatable sequence when seeded, different runs otherwise."""

from __future__ import annotations

import random
import uuid

import pytest

from fakeserver.domain.clock import IdFactory, uuid4_text


@pytest.mark.parametrize("bits", [0, 2**128 - 1, 0x0123456789ABCDEF0123456789ABCDEF])
def test_uuid4_text_is_uuid4_as_the_uuid_module_writes_it(bits: int) -> None:
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_a_seeded_factory_repeats_the_sequence_uuid_would_give() -> None:
    expected = random.Random(7)
    ids = IdFactory(7)
    for _ in range(200):
        assert ids.new_id() == str(uuid.UUID(int=expected.getrandbits(128), version=4))


def test_unseeded_factories_differ_and_give_valid_uuid4s() -> None:
    first, second = IdFactory(), IdFactory()
    drawn = {first.new_id() for _ in range(100)} | {second.new_id() for _ in range(100)}
    assert len(drawn) == 200
    assert all(uuid.UUID(value).version == 4 for value in drawn)
