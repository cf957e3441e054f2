"""Fault rules: what to break (match), when (always, N times, seeded probability) and how.

The actions are applied by `fakeserver.harness.faults`; this module is plain data and
validation, shared by the control API, the Python API and the `X-Fakeserver-Fault` header.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Any, Final

from starlette.types import Message

from fakeserver.api.json import dumps
from fakeserver.api.stream import SSE_HEADERS
from fakeserver.harness.operations import UnknownOperationId, known_operation_id

DEFAULT_RETRY_AFTER: Final = 60
STREAM_CAPACITY_RETRY_AFTER: Final = 15
"""PostHog's base wait at stream capacity (it adds up to 29 s of jitter; the fake does not)."""
DEFAULT_STALL_MS: Final = 30_000
MAX_DELAY_MS: Final = 600_000
"""Latency and stalls are capped at 10 minutes, so no rule can hold a request forever."""
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
STREAM_ACTIONS: Final = ("end_after_frames", "drop_after_frames", "stall_after_frames")
_ACTION_KEYS: Final = frozenset(
    {
        "latency_ms",
        "status",
        "body",
        "headers",
        "retry_after",
        "drop",
        "stall_ms",
        "stream_capacity",
        *STREAM_ACTIONS,
    }
)
_RULE_KEYS: Final = frozenset(
    {"operation_id", "method", "path", "namespace", "times", "probability", "seed", "action"}
)


class FaultError(ValueError):
    """A fault rule or action that cannot be applied; the message says why."""


def _number(
    data: dict[str, Any],
    key: str,
    minimum: float,
    integer: bool = False,
    maximum: float | None = None,
) -> Any:
    value = data.get(key)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not math.isfinite(value)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        kind = "an integer" if integer else "a number"
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise FaultError(f"{key} must be {kind} {bounds}, got {value!r}")
    return value


def _headers(data: dict[str, Any]) -> dict[str, str]:
    """Header names must be HTTP tokens and values single-line Latin-1 text, or no server
    could send them."""
    headers = data.get("headers") or {}
    if not isinstance(headers, dict):
        raise FaultError("headers must map header names to string values")
    for name, value in headers.items():
        if not (isinstance(name, str) and _HEADER_NAME.fullmatch(name)):
            raise FaultError(f"{name!r} is not a valid header name")
        if not isinstance(value, str) or "\r" in value or "\n" in value or not value.isascii():
            raise FaultError(f"header {name!r} needs a single-line ASCII string value")
    return dict(headers)


def _body(data: dict[str, Any]) -> Any:
    """The rule's body, checked now: one that cannot be sent would fail every matching request."""
    body = data.get("body")
    if body is None:
        return None
    try:
        if isinstance(body, str):
            body.encode("utf-8")
        else:
            dumps(body)
    except UnicodeEncodeError:
        raise FaultError("body must not hold half of a surrogate pair (U+D800-U+DFFF)") from None
    except ValueError:
        raise FaultError("body must be a string or JSON without NaN or infinity") from None
    return body


def default_error_body(status: int, retry_after: int) -> Any:
    """What PostHog answers with that status when the rule gives no body."""
    if status == 429:
        return {
            "type": "throttled_error",
            "code": "throttled",
            "detail": f"Request was throttled. Expected available in {retry_after} seconds.",
            "attr": None,
        }
    if status == 500:
        return {
            "type": "server_error",
            "code": "error",
            "detail": "A server error occurred.",
            "attr": None,
        }
    if status in (502, 503, 504):
        # The proxy in front of Django answers these, not DRF: plain text, not the envelope.
        return f"{status} {HTTPStatus(status).phrase}"
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {
        "type": "server_error" if status >= 500 else "invalid_request",
        "code": "error",
        "detail": phrase,
        "attr": None,
    }


@dataclass(frozen=True)
class FaultAction:
    latency_ms: float = 0
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int = DEFAULT_RETRY_AFTER
    drop: bool = False
    end_after_frames: int | None = None
    drop_after_frames: int | None = None
    stall_after_frames: int | None = None
    stall_ms: float = DEFAULT_STALL_MS
    stream_capacity: bool = False
    """Answer as PostHog does when its per-process stream cap is reached (a 503 with no body,
    `Retry-After` and the SSE headers), before the request changes anything."""

    @classmethod
    def from_json(cls, data: Any) -> FaultAction:
        if not isinstance(data, dict):
            raise FaultError(f"a fault action is a JSON object, got {type(data).__name__}")
        unknown = set(data) - _ACTION_KEYS
        if unknown:
            raise FaultError(
                f"unknown action key(s) {sorted(unknown)}; known: {sorted(_ACTION_KEYS)}"
            )
        status = _number(data, "status", 200, integer=True, maximum=599)
        if status in (204, 304) and data.get("body") is not None:
            raise FaultError(f"a {status} response has no body")
        headers = _headers(data)
        drop = data.get("drop", False)
        capacity = data.get("stream_capacity", False)
        if not isinstance(drop, bool) or not isinstance(capacity, bool):
            raise FaultError("drop and stream_capacity must be true or false")
        streams = [key for key in STREAM_ACTIONS if data.get(key) is not None]
        chosen = [
            name
            for name, on in (
                ("status", status is not None),
                ("drop", drop),
                ("stream_capacity", capacity),
            )
            if on
        ] + streams
        if len(chosen) > 1:
            raise FaultError(
                f"choose one of status, drop, stream_capacity, {', '.join(STREAM_ACTIONS)}; "
                f"got {chosen}"
            )
        if ("body" in data or headers) and status is None:
            raise FaultError("body and headers need a status")
        stall_ms = _number(data, "stall_ms", 0, maximum=MAX_DELAY_MS)
        if stall_ms is not None and data.get("stall_after_frames") is None:
            raise FaultError("stall_ms needs stall_after_frames")
        retry_after = _number(data, "retry_after", 0, integer=True)
        if capacity:
            return cls._stream_capacity(data, retry_after)
        return cls(
            latency_ms=_number(data, "latency_ms", 0, maximum=MAX_DELAY_MS) or 0,
            status=status,
            body=_body(data),
            headers=headers,
            retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
            drop=drop,
            end_after_frames=_number(data, "end_after_frames", 0, integer=True),
            drop_after_frames=_number(data, "drop_after_frames", 0, integer=True),
            stall_after_frames=_number(data, "stall_after_frames", 0, integer=True),
            stall_ms=DEFAULT_STALL_MS if stall_ms is None else stall_ms,
        )

    @classmethod
    def _stream_capacity(cls, data: dict[str, Any], retry_after: int | None) -> FaultAction:
        """Django's empty `HttpResponse(status=503)` from `posthog/api/streaming.py`."""
        wait = STREAM_CAPACITY_RETRY_AFTER if retry_after is None else retry_after
        return cls(
            latency_ms=_number(data, "latency_ms", 0, maximum=MAX_DELAY_MS) or 0,
            status=503,
            body="",
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "Retry-After": str(wait),
                **SSE_HEADERS,
            },
            retry_after=wait,
            stream_capacity=True,
        )

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        if self.latency_ms:
            shown["latency_ms"] = self.latency_ms
        if self.stream_capacity:
            shown |= {"stream_capacity": True, "retry_after": self.retry_after}
        elif self.status is not None:
            shown |= {"status": self.status, "body": self.body, "headers": self.headers}
            if self.status == 429:
                shown["retry_after"] = self.retry_after
        if self.drop:
            shown["drop"] = True
        for key in STREAM_ACTIONS:
            if getattr(self, key) is not None:
                shown[key] = getattr(self, key)
        if self.stall_after_frames is not None:
            shown["stall_ms"] = self.stall_ms
        return shown

    def response_messages(self) -> tuple[Message, Message]:
        assert self.status is not None
        body = (
            self.body
            if self.body is not None
            else default_error_body(self.status, self.retry_after)
        )
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.status in (204, 304):
            content = b""
        elif isinstance(body, str | bytes):
            content = body.encode() if isinstance(body, str) else body
            headers.setdefault("content-type", "text/plain; charset=utf-8")
        else:
            content = dumps(body)
            headers.setdefault("content-type", "application/json")
        if self.status == 429:
            headers.setdefault("retry-after", str(self.retry_after))
        headers["content-length"] = str(len(content))
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        return (
            {"type": "http.response.start", "status": self.status, "headers": raw},
            {"type": "http.response.body", "body": content, "more_body": False},
        )


@dataclass
class FaultRule:
    action: FaultAction
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None
    namespace: str | None = None
    times: int | None = None
    probability: float | None = None
    seed: int = 0
    id: str = ""
    fired: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.operation_id is not None:
            try:
                known_operation_id(self.operation_id)
            except UnknownOperationId as error:
                raise FaultError(str(error)) from None
        if self.method is not None:
            self.method = self.method.upper()
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise FaultError(f"probability must be between 0 and 1, got {self.probability}")
        self._random = random.Random(self.seed)

    @classmethod
    def from_json(cls, data: Any, default_seed: int = 0) -> FaultRule:
        if not isinstance(data, dict):
            raise FaultError(f"a fault rule is a JSON object, got {type(data).__name__}")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise FaultError(f"unknown rule key(s) {sorted(unknown)}; known: {sorted(_RULE_KEYS)}")
        if "action" not in data:
            raise FaultError("a fault rule needs an action")
        for key in ("operation_id", "method", "path", "namespace"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise FaultError(f"{key} must be a string")
        seed = data.get("seed", default_seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultError("seed must be an integer")
        return cls(
            action=FaultAction.from_json(data["action"]),
            operation_id=data.get("operation_id"),
            method=data.get("method"),
            path=data.get("path"),
            namespace=data.get("namespace"),
            times=_number(data, "times", 1, integer=True),
            probability=_number(data, "probability", 0),
            seed=seed,
        )

    def as_json(self) -> dict[str, Any]:
        remaining = None if self.times is None else max(self.times - self.fired, 0)
        return {
            "id": self.id,
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "namespace": self.namespace,
            "times": self.times,
            "probability": self.probability,
            "seed": self.seed,
            "fired": self.fired,
            "remaining": remaining,
            "spent": self.spent,
            "action": self.action.as_json(),
        }

    def matches(self, method: str, path: str, operation_id: str | None, namespace: str) -> bool:
        return (
            (self.namespace is None or self.namespace == namespace)
            and (self.method is None or self.method == method)
            and (self.path is None or fnmatchcase(path, self.path))
            and (
                self.operation_id is None
                or (operation_id is not None and fnmatchcase(operation_id, self.operation_id))
            )
        )

    @property
    def spent(self) -> bool:
        """A rule of `times` N that has fired N times: it matches nothing any more."""
        return self.times is not None and self.fired >= self.times

    def fire(self) -> bool:
        """Whether the rule applies to this matching request (and count it if so)."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.probability is not None and self._random.random() >= self.probability:
            return False
        self.fired += 1
        return True
