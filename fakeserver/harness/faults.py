"""Fault injection: latency, canned error answers, dropped connections, broken streams.

A rule matches requests (operationId or method + path glob, optionally one namespace), fires
always, N times or with a probability drawn from its own seeded RNG, and applies one action.
The header `X-Fakeserver-Fault: <action JSON>` applies an action to that request alone.

The rules themselves live in `fakeserver.harness.fault_rules`. Stream actions count SSE frames
(blank-line terminated) in the response body as it is sent, so they work on any streaming
endpoint without the endpoint knowing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Final

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeserver.api.json import loads
from fakeserver.api.stream import ConnectionDropped as ConnectionDropped  # raised by faults too
from fakeserver.harness.fault_registry import FaultRegistry
from fakeserver.harness.fault_rules import STREAM_ACTIONS, FaultAction, FaultError
from fakeserver.harness.namespaces import namespace_of
from fakeserver.harness.operations import OperationMatch

FAULT_HEADER: Final = b"x-fakeserver-fault"


class _StreamCut(Exception):
    """Raised into the app when a stream fault ends the response early."""


class _FrameCounter:
    """Counts SSE frames (each ends with a blank line) across body chunks."""

    def __init__(self) -> None:
        self.frames = 0
        self._pending_newline = False

    def cut(self, chunk: bytes, limit: int) -> int | None:
        """Index just after the frame that makes `limit` frames, or None if this chunk does not."""
        if self.frames >= limit:
            return 0
        ends: list[int] = []
        position = 0
        if self._pending_newline and chunk.startswith(b"\n"):
            ends.append(1)
            position = 1
        while (found := chunk.find(b"\n\n", position)) >= 0:
            position = found + 2
            ends.append(position)
        for end in ends:
            self.frames += 1
            if self.frames >= limit:
                return end
        self._pending_newline = chunk.endswith(b"\n") and position != len(chunk)
        return None


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _stream_send(action: FaultAction, send: Send, receive: Receive) -> Send:
    counter = _FrameCounter()
    limit = next(getattr(action, key) for key in STREAM_ACTIONS if getattr(action, key) is not None)
    stalled = False

    async def faulty_send(message: Message) -> None:
        nonlocal stalled
        if message["type"] != "http.response.body" or stalled:
            await send(message)
            return
        body: bytes = message.get("body", b"")
        end = counter.cut(body, limit)
        if end is None:
            await send(message)
            return
        if action.stall_after_frames is not None:
            stalled = True
            await send({**message, "body": body[:end], "more_body": True})
            with anyio.move_on_after(action.stall_ms / 1000):
                await _wait_for_disconnect(receive)
            await send({**message, "body": body[end:]})
            return
        if end:
            await send({"type": "http.response.body", "body": body[:end], "more_body": True})
        if action.drop_after_frames is not None:
            raise ConnectionDropped(f"fakeserver fault: connection dropped after {limit} frame(s)")
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        raise _StreamCut

    return faulty_send


def _invalid_fault_messages(problem: str) -> tuple[Message, Message]:
    body = {
        "type": "invalid_request",
        "code": "invalid_fault",
        "detail": f"X-Fakeserver-Fault: {problem}",
        "attr": None,
    }
    return FaultAction(status=400, body=body).response_messages()


class FaultInjector:
    """Finds the fault of a request (its header's, or the first rule that fires) and applies it."""

    def __init__(self, registry: FaultRegistry) -> None:
        self.registry = registry

    def idle(self, header: bytes | None) -> bool:
        """No fault can apply to a request with this fault header: none, and no rules."""
        return header is None and self.registry.is_empty

    def find(
        self,
        scope: Scope,
        path: str,
        header: bytes | None,
        operation_of: Callable[[str, str], OperationMatch],
    ) -> tuple[FaultAction, dict[str, Any]] | None:
        """The request's fault and its description for the journal; raises FaultError for a
        header that is no valid action."""
        if header is not None:
            try:
                action = FaultAction.from_json(loads(header))
            except ValueError as error:  # FaultError and JSONDecodeError
                raise FaultError(str(error)) from None
            return action, {"source": "header", "rule": None, "action": action.as_json()}
        if self.registry.is_empty:
            return None
        method = scope["method"]
        rule = self.registry.pick(
            method, path, operation_of(method, path).operation_id, namespace_of(scope)
        )
        if rule is None:
            return None
        return rule.action, {"source": "rule", "rule": rule.id, "action": rule.action.as_json()}

    @staticmethod
    async def refuse(problem: str, send: Send) -> None:
        """Answer a request whose fault header is invalid."""
        for message in _invalid_fault_messages(problem):
            await send(message)

    @staticmethod
    async def apply(
        action: FaultAction, app: ASGIApp, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Serve the request through `app` with the fault applied (or instead of `app`)."""
        if action.latency_ms:
            await anyio.sleep(action.latency_ms / 1000)
        if action.status is not None:
            for message in action.response_messages():
                await send(message)
            return
        if action.drop:
            raise ConnectionDropped("fakeserver fault: connection dropped before the response")
        if any(getattr(action, key) is not None for key in STREAM_ACTIONS):
            with contextlib.suppress(_StreamCut):
                await app(scope, receive, _stream_send(action, send, receive))
            return
        await app(scope, receive, send)


def is_fault_signal(error: BaseException) -> bool:
    """Whether `error` is a fault at work (a cut stream, a drop), not a failure of the app."""
    return isinstance(error, ConnectionDropped | _StreamCut)


async def abort_connection(send: Send, dropped: ConnectionDropped) -> None:
    """Turn a `ConnectionDropped` into an aborted socket when there is one (else raise it).

    uvicorn's `send` is a bound method of its request cycle, which holds the transport. With no
    socket (an in-process client) the exception propagates, and fakeserver's clients turn it
    into the error httpx raises for a closed connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise dropped
    transport.abort()
    # Let the server see the lost connection before the app returns; it then neither
    # answers 500 nor logs "returned without starting response".
    for _ in range(5):
        await anyio.sleep(0)
