"""The one ASGI layer between the server and the router.

Every request passes, in this order: namespace prefix, journal, fault injection, error answers,
then the router. These used to be six stacked middlewares (four of fakeserver's and Starlette's
two error layers), each with its own frame, scope copy, header scan and send wrapper; every
request paid all of them (docs/performance.md). Here the headers are indexed once, send is wrapped
once, and each concern is a plain object this layer calls.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeserver.api.body import declared_length
from fakeserver.api.errors import REQUEST_BODY_LIMIT, error_response
from fakeserver.api.limits import LimitRefusal
from fakeserver.api.request import index_headers
from fakeserver.harness.fault_rules import FaultError
from fakeserver.harness.faults import (
    FAULT_HEADER,
    ConnectionDropped,
    FaultInjector,
    abort_connection,
    is_fault_signal,
)
from fakeserver.harness.journal import UNJOURNALED_PREFIXES, RecordedRequest
from fakeserver.harness.namespaces import enter_namespace
from fakeserver.harness.recorder import JournalRecorder, Recording, capturing
from fakeserver.harness.request_log import RequestLog


class ResponseWatch(Protocol):
    @property
    def response_started(self) -> bool: ...


class _StartWatch:
    """A send that remembers whether the response has started (for unjournaled requests)."""

    __slots__ = ("_send", "response_started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.response_started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        recorder: JournalRecorder,
        faults: FaultInjector,
        request_log: RequestLog | None = None,
    ) -> None:
        self.app = app
        """The router (and any middleware a user added to the Starlette app)."""
        self.recorder = recorder
        self.faults = faults
        self.request_log = request_log
        """None when the request log is off: then it costs one test per request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The server builds a new scope per request: this outermost layer may annotate it.
        path = enter_namespace(scope)
        headers = index_headers(scope)
        if path.startswith(UNJOURNALED_PREFIXES):
            watch = _StartWatch(send)
            await self._answer(scope, receive, watch.send, watch)
            return
        recording = self.recorder.start(scope, path, send)
        declared = declared_length(headers.get(b"content-length"))
        if declared is not None and declared <= REQUEST_BODY_LIMIT:
            receive = await self.recorder.read_small_body(recording, receive)
        else:
            receive = capturing(receive, recording)
        try:
            try:
                fault_header = headers.get(FAULT_HEADER)
                if self.faults.idle(fault_header):
                    await self._answer(scope, receive, recording.send, recording)
                else:
                    await self._with_fault(scope, path, fault_header, receive, recording)
            finally:
                recording.finish()
                if self.request_log is not None:
                    self.request_log.write(scope, recording)
        except ConnectionDropped as dropped:
            await abort_connection(send, dropped)

    async def _with_fault(
        self,
        scope: Scope,
        path: str,
        fault_header: bytes | None,
        receive: Receive,
        recording: Recording,
    ) -> None:
        try:
            found = self.faults.find(scope, path, fault_header, self.recorder.operation_of)
        except FaultError as error:
            await self.faults.refuse(str(error), recording.send)
            return
        if found is None:
            await self._answer(scope, receive, recording.send, recording)
            return
        action, recording.fault = found

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            await self._answer(scope, receive, send, recording)

        await self.faults.apply(action, answer, scope, receive, recording.send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, watch: ResponseWatch
    ) -> None:
        """The router's answer, or PostHog's error response for what it raised."""
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if not await self._answered(scope, receive, send, watch, error):
                raise

    async def _answered(
        self, scope: Scope, receive: Receive, send: Send, watch: ResponseWatch, error: Exception
    ) -> bool:
        """Answer what the router raised as Starlette's exception middlewares would render it
        with fakeserver's handlers. False when it must propagate instead: a fault's signal,
        an error after the response started, or a bug in the fake (answered with a 500 first;
        the server logs it, and in-process clients see it)."""
        if is_fault_signal(error) or watch.response_started:
            return False
        if isinstance(error, LimitRefusal) and isinstance(watch, RecordedRequest):
            watch.limit = error.limit  # only refused requests pay for the journal's note
        response, expected = error_response(Request(scope, receive), error)
        await response(scope, receive, send)
        return expected
