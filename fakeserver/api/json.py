"""JSON in and out, the way PostHog's DRF stack does it.

Output is compact (DRF's `JSONRenderer`: no spaces, non-ASCII kept). Input accepts the
non-standard NaN/Infinity constants as DRF's non-strict parser does, but stores them as null,
which is what PostHog's `SafeJSONRenderer` would send back for them.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"
_encoder = json.JSONEncoder(
    ensure_ascii=False,
    separators=(",", ":"),
    allow_nan=False,
    check_circular=False,  # values come from parsed JSON and dataclasses: never cyclic
)


def dumps(value: Any) -> bytes:
    return _encoder.encode(value).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    """Parse JSON; raises ValueError (JSONDecodeError or UnicodeDecodeError) when it is not."""
    return json.loads(raw, parse_constant=lambda _constant: None)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status, headers, media_type=JSON_MEDIA_TYPE)
