"""How the gateway records each API request into the journal.

It does the least it can per request: it keeps references to the raw headers and the body
chunks it sees, the status and two clock readings. Which operation the request was, decoding
and redaction wait until someone reads the journal (`RecordedRequest.entry`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from fakeserver.harness.journal import Journal, RecordedRequest
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY
from fakeserver.harness.operations import OperationMatch, match_operation

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


class Recording(RecordedRequest):
    """One request being served: the journal's record of it, and the send that fills it in.
    Once finished, only the record is left (the journal holds it until it is evicted)."""

    __slots__ = ("_journal", "_send")

    def __init__(
        self,
        journal: Journal,
        scope: Scope,
        path: str,
        send: Send,
        operation_of: Callable[[str, str], OperationMatch],
        default_profile: str,
    ) -> None:
        """`path`: the API path (the namespace prefix taken off)."""
        super().__init__(
            scope["method"],
            path,
            scope.get("query_string", b""),
            scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE),
            operation_of,
            scope["headers"],
            default_profile,
        )
        self._journal = journal
        self._send = send

    @property
    def response_started(self) -> bool:
        return self.sequence != 0  # numbered and added to the journal as the response starts

    async def send(self, message: Message) -> None:
        """The server's send, once the message is noted."""
        forward = self._send
        if forward is _send_after_finish:
            await forward(message)
            return
        kind = message["type"]
        if kind == "http.response.body":
            self.keep_response_chunk(message.get("body", b""))
        elif kind == "http.response.start":
            self.status, self.response_headers = message["status"], message.get("headers", [])
            self._journal.add(self)  # a stream shows in the journal while it is open
        await forward(message)

    def finish(self) -> None:
        """The response ended, or the connection went before one started."""
        journal = self._journal
        if self.sequence == 0:
            journal.add(self)
        # The journal keeps this object: not the connection, and no cycle back to the journal.
        self._send = _send_after_finish
        del self._journal
        journal.finish(self)


async def _send_after_finish(message: Message) -> None:
    raise RuntimeError(f"{message['type']} sent after the request was finished")


def capturing(receive: Receive, recording: RecordedRequest) -> Receive:
    """`receive`, keeping what the app reads of the body for the journal."""

    async def capturing() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            recording.keep_request_chunk(message.get("body", b""))
        return message

    return capturing


class JournalRecorder:
    """Starts the recording of each journaled request."""

    def __init__(
        self,
        journal: Journal,
        operation_of: Callable[[str, str], OperationMatch],
        default_profile: Callable[[], str],
    ) -> None:
        self.journal = journal
        self.operation_of = operation_of
        self.default_profile = default_profile

    def start(self, scope: Scope, path: str, send: Send) -> Recording:
        """The request's recording; its body is read through `read_small_body` or
        `capturing` (which one is the gateway's choice, by the declared length)."""
        return Recording(self.journal, scope, path, send, self.operation_of, self.default_profile())

    async def read_small_body(self, recording: Recording, receive: Receive) -> Receive:
        """Read a small request body up front, so the journal has it even if the app never
        reads it. The receive that replays it."""
        pending: list[Message] = []
        while True:
            message = await receive()
            pending.append(message)
            if message["type"] != "http.request":
                break  # the client went first
            recording.keep_request_chunk(message.get("body", b""))
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        return replay
