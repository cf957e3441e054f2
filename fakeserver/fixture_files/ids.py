"""The ids a fixture may leave out, derived from where the record stands, so that they are the
same on every load (suites and fixtures refer to them)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Final

_FIXTURE_NAMESPACE: Final = uuid.UUID("6f1c3a52-8d0e-4f7b-9a61-2b5e0c4d7f10")
"""Namespace of the uuid5 ids the loader derives, so omitted ids are the same on every load."""

_NAMESPACE_BYTES: Final = _FIXTURE_NAMESPACE.bytes


def derived_id(*parts: object) -> str:
    """`str(uuid.uuid5(_FIXTURE_NAMESPACE, "/".join(parts)))`, without the `UUID` object: a
    big fixture derives two or three ids per conversation."""
    name = "/".join(map(str, parts)).encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    hex_digits = digest.hex()
    return "-".join(
        (hex_digits[:8], hex_digits[8:12], hex_digits[12:16], hex_digits[16:20], hex_digits[20:])
    )
