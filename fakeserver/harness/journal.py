"""The request journal: every API request the fake served, for tests to filter and assert on.

Recorded by the gateway (`fakeserver.harness.recorder`; streaming responses pass through
untouched), kept in a bounded ring buffer, readable from another thread (the live server runs
in one). The recorder keeps only raw references per request (headers, body bytes, status,
timings); an entry is built the first time the journal is read, with its secrets redacted then,
so no reader ever sees one.
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

from fakeserver.api.json import loads
from fakeserver.api.profiles import PROFILE_HEADER, PROFILES
from fakeserver.harness.operations import Diagnosis, OperationMatch, known_operation_id

BODY_LIMIT: Final = 16 * 1024
"""Bytes of each request and response body the journal keeps."""
REDACTED: Final = "[redacted]"
SECRET_HEADERS: Final = frozenset({"authorization", "cookie", "x-csrftoken"})
UNJOURNALED_PREFIXES: Final = ("/_fakeserver", "/_health")

_SECRET_QUERY = re.compile(r"(personal_api_key=)[^&]*")
_SECRET_JSON = re.compile(rb'("personal_api_key"\s*:\s*")(?:[^"\\]|\\.)*(")')
_SECRET_FORM = re.compile(rb"(personal_api_key=)[^&]*")


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
    limit: dict[str, Any] | None = None
    """Set when one of PostHog's limits refused the request (`limits` on): which one, and for
    a throttle its rate and the wait it told."""
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
            "limit": self.limit,
            "truncated": list(self.truncated),
            "complete": self.complete,
        }

    def summary(self) -> str:
        name = self.operation_id or (
            f"unmatched: {self.diagnosis.reason}" if self.diagnosis else "-"
        )
        where = "" if self.namespace == "default" else f" [ns {self.namespace}]"
        return f"#{self.sequence} {self.method} {self.path} -> {self.status} ({name}){where}"


def _keep_chunk(chunks: list[bytes], size: int, chunk: bytes) -> int:
    """Keep a reference to `chunk` in `chunks`, cut to what is left of the first BODY_LIMIT
    bytes of a body of `size` bytes so far; the body's new size."""
    room = BODY_LIMIT - size
    if room > 0 and chunk:
        chunks.append(chunk if len(chunk) <= room else chunk[:room])
    return size + len(chunk)


def _joined(chunks: list[bytes]) -> bytes:
    return bytes(chunks[0]) if len(chunks) == 1 else b"".join(chunks)


class RecordedRequest:
    """What the gateway keeps of one request: raw references, cheap to take on the hot path
    (one object per request, with the first BODY_LIMIT bytes of each body as chunk lists).

    `entry()` builds the `JournalEntry` (its operation, decoded headers, secrets redacted) on
    first read.
    """

    __slots__ = (
        "built",
        "clock",
        "complete",
        "default_profile",
        "ended",
        "fault",
        "limit",
        "method",
        "namespace",
        "operation_of",
        "path",
        "query",
        "request_chunks",
        "request_headers",
        "request_size",
        "response_chunks",
        "response_headers",
        "response_size",
        "sequence",
        "started",
        "status",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query: bytes,
        namespace: str,
        operation_of: Callable[[str, str], OperationMatch],
        request_headers: Iterable[tuple[bytes, bytes]],
        default_profile: str,
    ) -> None:
        self.started = time.time()
        self.clock = time.perf_counter()
        """Monotonic clock readings: at the start, and when the response started or ended
        (`ended`; 0 until then); the duration is worked out when the journal is read."""
        self.ended = 0.0
        self.method, self.path, self.query, self.namespace = method, path, query, namespace
        self.operation_of = operation_of
        """(method, path) -> the operation; a pure function of the route table."""
        self.request_headers = request_headers
        self.default_profile = default_profile
        self.request_chunks: list[bytes] = []
        self.request_size = 0
        self.response_chunks: list[bytes] = []
        self.response_size = 0
        self.status: int | None = None
        self.response_headers: Iterable[tuple[bytes, bytes]] = ()
        self.fault: dict[str, Any] | None = None
        self.limit: dict[str, Any] | None = None
        """Which of PostHog's limits refused the request, if one did."""
        self.sequence = 0
        self.complete = False
        self.built: JournalEntry | None = None

    def keep_request_chunk(self, chunk: bytes) -> None:
        self.request_size = _keep_chunk(self.request_chunks, self.request_size, chunk)

    def keep_response_chunk(self, chunk: bytes) -> None:
        self.response_size = _keep_chunk(self.response_chunks, self.response_size, chunk)

    def entry(self) -> JournalEntry:
        if self.built is None:
            request_headers = redact_headers(self.request_headers)
            requested_profile = request_headers.get(PROFILE_HEADER, "").strip().lower()
            operation = self.operation_of(self.method, self.path)
            self.built = JournalEntry(
                sequence=self.sequence,
                started_at=datetime.fromtimestamp(self.started, UTC),
                method=self.method,
                path=self.path,
                query=redact_query(self.query.decode("latin-1")),
                namespace=self.namespace,
                operation_id=operation.operation_id,
                route=operation.route_path,
                diagnosis=operation.diagnosis,
                request_headers=request_headers,
                request_body=b"",
                status=self.status,
                response_headers=redact_headers(self.response_headers),
                response_body=b"",
                duration_ms=0.0,
                profile=(
                    requested_profile if requested_profile in PROFILES else self.default_profile
                ),
            )
            self._update(self.built)
        return self.built

    def _update(self, entry: JournalEntry) -> None:
        """Copy what changes when the response ends (a stream's entry may be read before)."""
        entry.request_body = redact_body(_joined(self.request_chunks))
        entry.duration_ms = max(self.ended - self.clock, 0.0) * 1000
        entry.fault = self.fault
        entry.limit = self.limit
        entry.complete = self.complete
        truncated = ["request_body"] if self.request_size > BODY_LIMIT else []
        if self.complete:
            entry.response_body = _joined(self.response_chunks)
            if self.response_size > BODY_LIMIT:
                truncated.append("response_body")
        entry.truncated = tuple(truncated)

    def mark_complete(self) -> None:
        self.ended, self.complete = time.perf_counter(), True
        if self.built is not None:
            self._update(self.built)


class Journal:
    """A bounded, thread-safe record of requests, with the helpers tests assert with."""

    def __init__(self, size: int) -> None:
        self._entries: deque[RecordedRequest] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def add(self, recorded: RecordedRequest) -> RecordedRequest:
        """Number and keep a request as its response starts."""
        recorded.ended = time.perf_counter()
        with self._lock:
            self._sequence += 1
            recorded.sequence = self._sequence
            self._entries.append(recorded)
        return recorded

    def finish(self, recorded: RecordedRequest) -> None:
        """The response ended (or the connection went): complete the request's entry."""
        with self._lock:  # against a reader building the entry from half-updated fields
            recorded.mark_complete()

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
            return [held.entry() for held in self._entries]

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def last_sequence(self) -> int:
        """The number of the latest request recorded (0: none yet); it only grows."""
        return self._sequence

    def open_entries(self) -> list[JournalEntry]:
        """The entries whose response is still being sent (open streams), oldest first."""
        with self._lock:
            return [held.entry() for held in self._entries if not held.complete]

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
        """Entries matching every given criterion. `operation_id` and `path` are globs; an
        `operation_id` that can match no operation raises `UnknownOperationId` (a ValueError)."""
        if operation_id is not None:
            known_operation_id(operation_id)
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
