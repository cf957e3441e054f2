"""How the gateway records each API request into the journal.

It does the least it can per request: it keeps references to the raw headers and the body
chunks it sees, the status and two clock readings. Which operation the request was, decoding
and redaction wait until someone reads the journal (`RecordedRequest.entry`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from fakeserver.api.errors import REQUEST_BODY_LIMIT
from fakeserver.api.request import BODY_SCOPE_KEY
from fakeserver.journal import BodyCapture, Journal, RecordedRequest
from fakeserver.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY
from fakeserver.operation_match import OperationMatch, match_operation

_OPERATION_CACHE_SIZE: Final = 4096


class OperationResolver:
    """`match_operation` by (method, route path), memoized: suites repeat the same paths."""

    def __init__(self, routes_for: Callable[[Scope], Sequence[BaseRoute]]) -> None:
        self.routes_for = routes_for
        """The routes that may match a request (the router's candidates)."""
        self._memo: dict[tuple[str, str], OperationMatch] = {}

    def __call__(self, method: str, path: str) -> OperationMatch:
        key = (method, path)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= _OPERATION_CACHE_SIZE:
                self._memo.clear()
            # Matching depends on the route path and method only, never on the rest of a scope.
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            found = self._memo[key] = match_operation(self.routes_for(scope), scope, path)
        return found


class Recording:
    """One request being served: its `RecordedRequest`, and the send that fills it in."""

    __slots__ = ("_added", "_clock", "_journal", "_send", "fault", "recorded")

    def __init__(self, journal: Journal, recorded: RecordedRequest, send: Send) -> None:
        self._journal, self.recorded, self._send = journal, recorded, send
        self._clock = time.perf_counter()
        self._added = False
        self.fault: dict[str, Any] | None = None
        """What the fault injector applied to this request, if anything."""

    @property
    def response_started(self) -> bool:
        return self._added

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._add(message["status"], message.get("headers", []))
        elif kind == "http.response.body":
            self.recorded.response_body.add(message.get("body", b""))
        await self._send(message)

    def _add(self, status: int | None, headers: Sequence[tuple[bytes, bytes]]) -> None:
        """Number and keep the request as its response starts (a stream shows while open)."""
        recorded = self.recorded
        recorded.status, recorded.response_headers = status, headers
        recorded.duration_ms = (time.perf_counter() - self._clock) * 1000
        recorded.fault = self.fault
        self._journal.add(recorded)
        self._added = True

    def finish(self) -> None:
        """The response ended, or the connection went before one started."""
        if not self._added:
            self._add(None, [])
        duration_ms = (time.perf_counter() - self._clock) * 1000
        self._journal.finish(self.recorded, duration_ms, self.fault)


async def _buffered(receive: Receive, capture: BodyCapture) -> tuple[Receive, bytes | None]:
    """Read a small request body up front, so the journal has it even if the app never reads
    it; the receive that replays it, and the whole body (None if the client went first)."""
    pending: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        pending.append(message)
        if message["type"] != "http.request":
            body = None
            break
        chunks.append(message.get("body", b""))
        capture.add(chunks[-1])
        if not message.get("more_body", False):
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            break

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay, body


def _capturing(receive: Receive, capture: BodyCapture) -> Receive:
    async def capturing() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            capture.add(message.get("body", b""))
        return message

    return capturing


class JournalRecorder:
    """Starts the recording of each journaled request."""

    def __init__(
        self,
        journal: Journal,
        operation_of: Callable[[str, str], OperationMatch],
        default_profile: Callable[[], str],
        share_body: bool = True,
    ) -> None:
        self.journal = journal
        self.operation_of = operation_of
        self.default_profile = default_profile
        self.share_body = share_body
        """Leave a body read here in the scope for the endpoint. Not when a user's middleware
        stands between, as it may change what the endpoint receives."""

    async def start(
        self, scope: Scope, path: str, declared_length: int | None, receive: Receive, send: Send
    ) -> tuple[Recording, Receive]:
        """The request's recording, and the receive the app should read the body through.
        A small body read here is left in the scope for the endpoint."""
        request_body = BodyCapture()
        recorded = RecordedRequest(
            time.time(),
            scope["method"],
            path,
            scope.get("query_string", b""),
            scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE),
            self.operation_of,
            scope["headers"],
            request_body,
            BodyCapture(),
            self.default_profile(),
        )
        if declared_length is not None and declared_length <= REQUEST_BODY_LIMIT:
            receive, body = await _buffered(receive, request_body)
            if body is not None and self.share_body:
                scope[BODY_SCOPE_KEY] = body
        else:
            receive = _capturing(receive, request_body)
        return Recording(self.journal, recorded, send), receive
