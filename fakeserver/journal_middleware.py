"""The ASGI middleware that records each API request into the journal.

It does the least it can per request: it keeps references to the raw headers and the body
chunks it sees, the status and two timestamps. Decoding, redaction and the entry itself wait
until someone reads the journal (`RecordedRequest.entry`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeserver.api.errors import REQUEST_BODY_LIMIT
from fakeserver.journal import (
    FAULT_SCOPE_KEY,
    OPERATION_SCOPE_KEY,
    UNJOURNALED_PREFIXES,
    BodyCapture,
    Journal,
    RecordedRequest,
)
from fakeserver.namespaces import namespace_of, route_path
from fakeserver.operation_match import OperationMatch, match_operation

_OPERATION_CACHE_SIZE: Final = 4096


async def _buffered_request(receive: Receive) -> tuple[list[Message], Receive]:
    """Read a small request body up front, so the journal has it even if the app never reads it."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return messages, replay


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _capturing_receive(receive: Receive, capture: BodyCapture) -> Receive:
    async def capturing() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            capture.add(message.get("body", b""))
        return message

    return capturing


class JournalMiddleware:
    """Record each API request (not the control API) with its operation, status and timing."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        routes_for: Callable[[Scope], Sequence[BaseRoute]],
        default_profile: Callable[[], str],
    ) -> None:
        self.app = app
        self.journal = journal
        self.routes_for = routes_for
        """The routes that may match a request (the router's candidates)."""
        self.default_profile = default_profile
        self._operations: dict[tuple[str, str, str], OperationMatch] = {}
        """match_operation by (method, root path, path): the route table never changes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path.startswith(UNJOURNALED_PREFIXES):
            await self.app(scope, receive, send)
            return
        started, clock = time.time(), time.perf_counter()
        operation = self._operation(scope, path)
        scope = dict(scope)
        scope[OPERATION_SCOPE_KEY] = operation
        request_body = BodyCapture()
        declared = _declared_length(scope)
        if declared is not None and declared <= REQUEST_BODY_LIMIT:
            messages, receive = await _buffered_request(receive)
            for message in messages:
                request_body.add(message.get("body", b""))
        else:
            receive = _capturing_receive(receive, request_body)
        response_body = BodyCapture()
        recorded: RecordedRequest | None = None

        def record(status: int | None, headers: Sequence[tuple[bytes, bytes]]) -> RecordedRequest:
            return self.journal.add(
                RecordedRequest(
                    started=started,
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b""),
                    namespace=namespace_of(scope),
                    operation=operation,
                    request_headers=scope["headers"],
                    request_body=request_body,
                    status=status,
                    response_headers=headers,
                    response_body=response_body,
                    duration_ms=(time.perf_counter() - clock) * 1000,
                    default_profile=self.default_profile(),
                    fault=scope.get(FAULT_SCOPE_KEY),
                )
            )

        async def journaled_send(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start":
                recorded = record(message["status"], message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_body.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, journaled_send)
        finally:
            if recorded is None:
                recorded = record(None, [])
            self.journal.finish(
                recorded, (time.perf_counter() - clock) * 1000, scope.get(FAULT_SCOPE_KEY)
            )

    def _operation(self, scope: Scope, path: str) -> OperationMatch:
        # Suites repeat the same paths; the match is the same each time.
        key = (scope["method"], scope.get("root_path", ""), path)
        found = self._operations.get(key)
        if found is None:
            if len(self._operations) >= _OPERATION_CACHE_SIZE:
                self._operations.clear()
            found = self._operations[key] = match_operation(self.routes_for(scope), scope, path)
        return found
