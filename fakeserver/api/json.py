"""JSON in and out, the way PostHog's DRF stack does it.

Output is compact (DRF's `JSONRenderer`: no spaces, non-ASCII kept). Input accepts the
non-standard NaN/Infinity constants (PostHog sets STRICT_JSON = False), and numbers too large
for a float, but stores all of them as null, which is what PostHog's `SafeJSONRenderer` would
send back for them. Nesting is bounded, so a stored value can always be rendered again.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.responses import Response

from fakeserver.domain.models import MAX_NESTING

JSON_MEDIA_TYPE = "application/json"
_encoder = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    allow_nan=False,
    check_circular=False,  # values come from parsed JSON and dataclasses: never cyclic
)


def json_text(value: Any) -> str:
    """A JSON value as compact text (what `dumps` encodes to UTF-8)."""
    return _encoder.encode(value)


def dumps(value: Any) -> bytes:
    return json_text(value).encode("utf-8")


def _finite_or_null(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _nesting_exceeds(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


_decoder = json.JSONDecoder(parse_constant=lambda _constant: None, parse_float=_finite_or_null)
"""Built once: `json.loads` with hooks builds a new decoder per call."""


def _as_text(raw: bytes | str) -> str:
    """What `json.loads` does before it decodes (UTF-8/16/32 detection, a BOM refused)."""
    if isinstance(raw, bytes):
        return raw.decode(json.detect_encoding(raw), "surrogatepass")
    if raw.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
    return raw


def loads(raw: bytes | str) -> Any:
    """Parse JSON; raises ValueError (bad JSON, bad encoding, nested too deep) if it is not."""
    text = _as_text(raw)
    try:
        value = _decoder.decode(text)
    except RecursionError:
        value = None
        too_deep = True
    else:
        # Each level opens with a bracket: a text this short cannot nest too deep.
        too_deep = len(text) > MAX_NESTING and _nesting_exceeds(value, MAX_NESTING)
    if too_deep:
        raise ValueError(f"arrays and objects nest deeper than {MAX_NESTING} levels")
    return value


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status, headers, media_type=JSON_MEDIA_TYPE)
