"""The SSE stream of POST conversations/: frames from a run's log, rendered as PostHog does.

Each frame is `event: <type>\\ndata: <json>\\n\\n`. The JSON is compact with null fields left
out (`AssistantSSESerializer`), except the `conversation` event, which PostHog writes with
`json.dumps`: a space after each separator, nulls kept. After `keepalive` seconds without a
frame the stream writes the comment `: keepalive\\n\\n`. The response only reads the log: a
client that disconnects stops its own reading, never the run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.responses import StreamingResponse

from fakeserver.api import serializers
from fakeserver.api.json import dumps
from fakeserver.domain.frames import (
    ConversationFrame,
    DroppedFrame,
    EventFrame,
    Frame,
    MessageFrame,
    RawFrame,
    UpdateFrame,
)
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import StreamSubscription

SSE_MEDIA_TYPE: Final = "text/event-stream"


class ConnectionDropped(Exception):
    """The connection is to be dropped (a fault, or a replayed run whose target dropped it). A
    live server aborts the socket; in-process it is raised (`harness.faults` handles both)."""


KEEPALIVE: Final = b": keepalive\n\n"
SSE_HEADERS: Final = {"cache-control": "no-cache, no-transform", "x-accel-buffering": "no"}
"""What PostHog's `sse_streaming_response` adds to every SSE answer, its capacity 503 included,
so that proxies neither buffer nor rewrite the stream (`posthog/api/streaming.py`)."""


def without_none(value: Any) -> Any:
    """pydantic's `exclude_none`: drop null fields of objects, at every depth."""
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_none(item) for item in value]
    return value


def render_frame(frame: Frame, seed: Seed, minimal_shape: serializers.Shape) -> bytes:
    if isinstance(frame, ConversationFrame):
        body = minimal_shape(frame.conversation, seed)
        return b"event: conversation\ndata: " + json.dumps(body).encode() + b"\n\n"
    if isinstance(frame, MessageFrame):
        event, data = b"message", frame.message
    elif isinstance(frame, UpdateFrame):
        event, data = b"update", frame.update
    elif isinstance(frame, EventFrame):
        event, data = frame.event.encode(), frame.data
    elif isinstance(frame, RawFrame):
        return frame.text.encode()
    elif isinstance(frame, DroppedFrame):
        return b""
    else:
        event, data = b"status", frame.status
    return b"event: " + event + b"\ndata: " + dumps(without_none(data)) + b"\n\n"


async def sse_chunks(
    subscription: StreamSubscription,
    seed: Seed,
    minimal_shape: serializers.Shape,
    keepalive: float,
) -> AsyncIterator[bytes]:
    """The stream's bytes: what the log holds from `start`, then live frames until it closes."""
    log, index = subscription.log, subscription.start
    while True:
        if index < len(log.frames):
            pending = log.frames[index:]
            index += len(pending)
            dropped = next(
                (n for n, frame in enumerate(pending) if isinstance(frame, DroppedFrame)), None
            )
            if dropped is not None:
                before = pending[:dropped]
                if before:
                    yield b"".join(render_frame(frame, seed, minimal_shape) for frame in before)
                raise ConnectionDropped("the recorded stream was dropped here")
            yield b"".join(render_frame(frame, seed, minimal_shape) for frame in pending)
        elif log.closed:
            return
        elif not await log.wait_beyond(index, keepalive):
            yield KEEPALIVE


def sse_response(
    subscription: StreamSubscription,
    seed: Seed,
    minimal_shape: serializers.Shape,
    keepalive: float,
) -> StreamingResponse:
    # Django's StreamingHttpResponse sends the content type exactly as given (no charset).
    return StreamingResponse(
        sse_chunks(subscription, seed, minimal_shape, keepalive),
        headers={"content-type": SSE_MEDIA_TYPE, **SSE_HEADERS},
    )


def accepts_event_stream(accept_header: str) -> bool:
    return any(
        part.split(";", 1)[0].strip().lower() == SSE_MEDIA_TYPE for part in accept_header.split(",")
    )
