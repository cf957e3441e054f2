"""The request journal: every API request the fake served, for tests to filter and assert on.

Recorded by a pure ASGI middleware (streaming responses pass through untouched), kept in a
bounded ring buffer, readable from another thread (the live server runs in one). Secrets are
redacted before an entry is stored: they never reach the journal.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any, Final

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakeserver.api.errors import REQUEST_BODY_LIMIT
from fakeserver.api.json import loads
from fakeserver.api.profiles import PROFILE_HEADER, PROFILES
from fakeserver.namespaces import namespace_of, route_path
from fakeserver.operation_match import Diagnosis, OperationMatch, match_operation

DEFAULT_JOURNAL_SIZE: Final = 1000
BODY_LIMIT: Final = 16 * 1024
"""Bytes of each request and response body the journal keeps."""
REDACTED: Final = "[redacted]"
SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "x-csrftoken"})
OPERATION_SCOPE_KEY: Final = "fakeserver.operation"
FAULT_SCOPE_KEY: Final = "fakeserver.fault"
"""The fault middleware leaves a description of the fault it applied here."""
UNJOURNALED_PREFIXES: Final = ("/_fakeserver", "/_health")

_SECRET_QUERY = re.compile(r"(personal_api_key=)[^&]*")
_SECRET_JSON = re.compile(rb'("personal_api_key"\s*:\s*")(?:[^"\\]|\\.)*(")')
_SECRET_FORM = re.compile(rb"(personal_api_key=)[^&]*")
_OPERATION_CACHE_SIZE: Final = 4096


@dataclass(slots=True)
class JournalEntry:
    """One request. Recorded when its response starts (a stream shows up while it is open) and
    completed when the response ends; treat it as read-only."""

    sequence: int
    started_at: datetime
    method: str
    path: str
    """The API path, without any namespace prefix."""
    query: str
    namespace: str
    operation_id: str | None
    route: str | None
    diagnosis: Diagnosis | None
    request_headers: dict[str, str]
    request_body: bytes
    status: int | None
    """None when the connection was dropped before a response started."""
    response_headers: dict[str, str]
    response_body: bytes
    duration_ms: float
    profile: str
    fault: dict[str, Any] | None = None
    truncated: tuple[str, ...] = field(default=())
    """Which of request_body / response_body were cut at BODY_LIMIT."""
    complete: bool = False
    """False while the response (e.g. a stream) is still being sent."""

    @property
    def matched(self) -> bool:
        """Whether a route of the fake handled the request (a 404 of an unknown id counts)."""
        return self.route is not None and self.diagnosis is None

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return loads(self.request_body)

    def response_json(self) -> Any:
        return loads(self.response_body)

    def as_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "started_at": self.started_at.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "namespace": self.namespace,
            "operation_id": self.operation_id,
            "route": self.route,
            "matched": self.matched,
            "diagnosis": self.diagnosis.as_json() if self.diagnosis else None,
            "request_headers": self.request_headers,
            "request_body": self.request_body.decode("utf-8", "replace"),
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_body.decode("utf-8", "replace"),
            "duration_ms": round(self.duration_ms, 3),
            "profile": self.profile,
            "fault": self.fault,
            "truncated": list(self.truncated),
            "complete": self.complete,
        }

    def summary(self) -> str:
        name = self.operation_id or (
            f"unmatched: {self.diagnosis.reason}" if self.diagnosis else "-"
        )
        where = "" if self.namespace == "default" else f" [ns {self.namespace}]"
        return f"#{self.sequence} {self.method} {self.path} -> {self.status} ({name}){where}"


class Journal:
    """A bounded, thread-safe record of requests, with the helpers tests assert with."""

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def next_sequence(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self, namespace: str | None = None) -> None:
        with self._lock:
            if namespace is None:
                self._entries.clear()
            else:
                kept = [entry for entry in self._entries if entry.namespace != namespace]
                self._entries.clear()
                self._entries.extend(kept)

    def entries(self) -> list[JournalEntry]:
        """Every entry still held, oldest first."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def filter(
        self,
        operation_id: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        namespace: str | None = None,
        status: int | None = None,
        matched: bool | None = None,
        predicate: Callable[[JournalEntry], bool] | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every given criterion. `operation_id` and `path` are globs."""
        return [
            entry
            for entry in self.entries()
            if (
                operation_id is None
                or (
                    entry.operation_id is not None and fnmatchcase(entry.operation_id, operation_id)
                )
            )
            and (method is None or entry.method == method.upper())
            and (path is None or fnmatchcase(entry.path, path))
            and (namespace is None or entry.namespace == namespace)
            and (status is None or entry.status == status)
            and (matched is None or entry.matched == matched)
            and (predicate is None or predicate(entry))
        ]

    def unmatched(self, namespace: str | None = None) -> list[JournalEntry]:
        return self.filter(namespace=namespace, matched=False)

    def last(self, operation_id: str | None = None, **criteria: Any) -> JournalEntry:
        found = self.filter(operation_id, **criteria)
        if not found:
            raise AssertionError(_explain("no request", operation_id, criteria, self.entries()))
        return found[-1]

    def assert_called(
        self, operation_id: str | None = None, times: int | None = 1, **criteria: Any
    ) -> list[JournalEntry]:
        """Assert that exactly `times` requests match (at least one if `times` is None)."""
        found = self.filter(operation_id, **criteria)
        if (times is None and not found) or (times is not None and len(found) != times):
            expected = "at least one request" if times is None else f"{times} request(s)"
            raise AssertionError(
                _explain(
                    f"expected {expected}, found {len(found)}",
                    operation_id,
                    criteria,
                    self.entries(),
                )
            )
        return found

    def assert_not_called(self, operation_id: str | None = None, **criteria: Any) -> None:
        self.assert_called(operation_id, times=0, **criteria)


def _explain(
    problem: str,
    operation_id: str | None,
    criteria: dict[str, Any],
    entries: Sequence[JournalEntry],
) -> str:
    wanted = {"operation_id": operation_id, **criteria} if operation_id else criteria
    shown = ", ".join(f"{name}={value!r}" for name, value in wanted.items()) or "any request"
    recorded = "\n  ".join(entry.summary() for entry in entries[-20:]) or "(none)"
    return f"{problem} matching {shown}; the journal holds:\n  {recorded}"


def redact_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in SECRET_HEADERS:
            scheme, space, _secret = value.partition(" ")
            value = f"{scheme} {REDACTED}" if name == "authorization" and space else REDACTED
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def redact_query(query: str) -> str:
    if "personal_api_key" not in query:  # what every pattern needs; skips the regex passes
        return query
    return _SECRET_QUERY.sub(rf"\g<1>{REDACTED}", query)


def redact_body(body: bytes) -> bytes:
    if b"personal_api_key" not in body:
        return body
    body = _SECRET_JSON.sub(rb"\g<1>" + REDACTED.encode() + rb"\g<2>", body)
    return _SECRET_FORM.sub(rb"\g<1>" + REDACTED.encode(), body)


class _Capture:
    """A byte buffer that keeps at most BODY_LIMIT bytes and remembers if it dropped any."""

    __slots__ = ("data", "truncated")

    def __init__(self) -> None:
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = BODY_LIMIT - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self.data += chunk[:room]


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
        started, clock = datetime.now(UTC), time.perf_counter()
        operation = self._operation(scope, path)
        scope = dict(scope)
        scope[OPERATION_SCOPE_KEY] = operation
        request_body = _Capture()
        declared = _declared_length(scope)
        if declared is not None and declared <= REQUEST_BODY_LIMIT:
            messages, receive = await _buffered_request(receive)
            for message in messages:
                request_body.add(message.get("body", b""))
        else:
            receive = _capturing_receive(receive, request_body)
        response: dict[str, Any] = {"status": None, "headers": []}
        response_body = _Capture()

        entry: JournalEntry | None = None

        def recorded() -> JournalEntry:
            made = self._entry(
                scope, path, operation, started, clock, request_body, response, response_body
            )
            self.journal.record(made)
            return made

        async def journaled_send(message: Message) -> None:
            nonlocal entry
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers", [])
                entry = recorded()
            elif message["type"] == "http.response.body":
                response_body.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, journaled_send)
        finally:
            if entry is None:
                entry = recorded()
            else:
                entry.request_body = redact_body(bytes(request_body.data))
                entry.response_body = bytes(response_body.data)
                entry.duration_ms = (time.perf_counter() - clock) * 1000
                entry.truncated = _truncated(request_body, response_body)
                entry.fault = scope.get(FAULT_SCOPE_KEY)
            entry.complete = True

    def _operation(self, scope: Scope, path: str) -> OperationMatch:
        # Matching walks the whole route table a second time (the router walks it too): a third
        # of the journal's cost per request before this cache; suites repeat the same paths.
        key = (scope["method"], scope.get("root_path", ""), path)
        found = self._operations.get(key)
        if found is None:
            if len(self._operations) >= _OPERATION_CACHE_SIZE:
                self._operations.clear()
            found = self._operations[key] = match_operation(self.routes_for(scope), scope, path)
        return found

    def _entry(
        self,
        scope: Scope,
        path: str,
        operation: OperationMatch,
        started: datetime,
        clock: float,
        request_body: _Capture,
        response: dict[str, Any],
        response_body: _Capture,
    ) -> JournalEntry:
        request_headers = redact_headers(scope["headers"])
        requested_profile = request_headers.get(PROFILE_HEADER, "").strip().lower()
        return JournalEntry(
            sequence=self.journal.next_sequence(),
            started_at=started,
            method=scope["method"],
            path=path,
            query=redact_query(scope.get("query_string", b"").decode("latin-1")),
            namespace=namespace_of(scope),
            operation_id=operation.operation_id,
            route=operation.route_path,
            diagnosis=operation.diagnosis,
            request_headers=request_headers,
            request_body=redact_body(bytes(request_body.data)),
            status=response["status"],
            response_headers=redact_headers(response["headers"]),
            response_body=bytes(response_body.data),
            duration_ms=(time.perf_counter() - clock) * 1000,
            profile=requested_profile if requested_profile in PROFILES else self.default_profile(),
            fault=scope.get(FAULT_SCOPE_KEY),
            truncated=_truncated(request_body, response_body),
        )


def _truncated(request_body: _Capture, response_body: _Capture) -> tuple[str, ...]:
    captures = (("request_body", request_body), ("response_body", response_body))
    return tuple(name for name, capture in captures if capture.truncated)


def _capturing_receive(receive: Receive, capture: _Capture) -> Receive:
    async def capturing() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            capture.add(message.get("body", b""))
        return message

    return capturing
