"""Fault injection: latency, canned error answers, dropped connections, broken streams.

A rule matches requests (operationId or method + path glob, optionally one namespace), fires
always, N times or with a probability drawn from its own seeded RNG, and applies one action.
The header `X-Fakeserver-Fault: <action JSON>` applies an action to that request alone.

The rules themselves live in `fakeserver.fault_rules`. Stream actions count SSE frames
(blank-line terminated) in the response body as it is sent, so they work on any streaming
endpoint without the endpoint knowing.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeserver.api.json import loads
from fakeserver.fault_rules import STREAM_ACTIONS, FaultAction, FaultError, FaultRegistry
from fakeserver.journal import FAULT_SCOPE_KEY, OPERATION_SCOPE_KEY, UNJOURNALED_PREFIXES
from fakeserver.namespaces import namespace_of, route_path
from fakeserver.operation_match import OperationMatch

FAULT_HEADER: Final = b"x-fakeserver-fault"


class ConnectionDropped(Exception):
    """A fault dropped the connection. A live server aborts the socket; in-process it is raised."""


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


class FaultMiddleware:
    """Apply the fault of the request's header, or of the first rule that fires."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    def _action_for(self, scope: Scope) -> tuple[FaultAction, dict[str, Any]] | None:
        for name, value in scope["headers"]:
            if name == FAULT_HEADER:
                try:
                    action = FaultAction.from_json(loads(value))
                except ValueError as error:  # FaultError and JSONDecodeError
                    raise FaultError(str(error)) from None
                return action, {"source": "header", "rule": None, "action": action.as_json()}
        path = route_path(scope)
        operation: OperationMatch | None = scope.get(OPERATION_SCOPE_KEY)
        rule = self.registry.pick(
            scope["method"],
            path,
            operation.operation_id if operation else None,
            namespace_of(scope),
        )
        if rule is None:
            return None
        return rule.action, {"source": "rule", "rule": rule.id, "action": rule.action.as_json()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope).startswith(UNJOURNALED_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            found = self._action_for(scope)
        except FaultError as error:
            for message in _invalid_fault_messages(str(error)):
                await send(message)
            return
        if found is None:
            await self.app(scope, receive, send)
            return
        action, description = found
        scope[FAULT_SCOPE_KEY] = description
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
                await self.app(scope, receive, _stream_send(action, send, receive))
            return
        await self.app(scope, receive, send)


class DroppedConnectionMiddleware:
    """Outermost layer: turn `ConnectionDropped` into an aborted socket when there is one.

    uvicorn's `send` is a bound method of its request cycle, which holds the transport. With no
    socket (an in-process client) the exception propagates, and fakeserver's clients turn it
    into the error httpx raises for a closed connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is None:
                raise
            transport.abort()
            # Let the server see the lost connection before the app returns; it then neither
            # answers 500 nor logs "returned without starting response".
            for _ in range(5):
                await anyio.sleep(0)
