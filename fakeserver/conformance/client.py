"""The HTTP client of `verify` and `snapshot`: timeouts, bounded 429 retries, one-line errors.

Every failure a user can fix (a wrong URL, a TLS problem, a refused key, a missing scope, a target
that keeps throttling) becomes a `TargetError` whose message says what to do. Each request carries
one set of credentials (a personal API key, or a web session: `session.py`), none of them ever
appears in a message, and no cookie a target sets is kept from one request to the next.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import httpx

DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_RETRIES: Final = 3
MAX_RETRY_WAIT: Final = 120.0
"""Longest `Retry-After` honoured; a target that asks for more gets a TargetError instead."""
FALLBACK_RETRY_WAIT: Final = 1.0
NO_JSON: Final = object()
"""`Answer.json` when the body is not JSON."""


class TargetError(Exception):
    """The target cannot be checked; the message is one line that says what to fix."""


class Credentials(Protocol):
    """What signs a request in: the headers it adds for a method (a key, or a session's cookie
    and CSRF headers)."""

    def headers(self, method: str) -> dict[str, str]: ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never be printed or written."""
        ...


@dataclass(frozen=True)
class ApiKey:
    """A personal API key, sent as PostHog's docs show: `Authorization: Bearer <key>`."""

    key: str

    def headers(self, method: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.key,)


@dataclass
class Answer:
    """What one request got back, reduced to what `verify` compares."""

    method: str
    path: str
    status: int
    content_type: str
    json: Any = NO_JSON
    events: list[str] | None = None
    """Event names of a `text/event-stream` body, in order."""
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    """Cookies the answer set (`Set-Cookie`), by name."""

    @property
    def is_json(self) -> bool:
        return self.json is not NO_JSON


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def event_names(lines: Iterator[str]) -> Iterator[str]:
    """The `event:` names of an SSE body, in order (comments and data lines skipped)."""
    for line in lines:
        if line.startswith("event:"):
            yield line[len("event:") :].strip()


def _retry_wait(response: httpx.Response, now: Callable[[], datetime]) -> float | None:
    """Seconds `Retry-After` asks for (a number or an HTTP date); None when it is absent."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = (when - now()).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _is_tls_problem(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class ApiClient:
    """One target: a base URL and the credentials of its requests (a personal API key unless a
    request names others), over httpx.

    `sleep` waits out a `Retry-After` (injectable, so tests do not wait); at most `retries`
    retries per request, each no longer than `max_wait` seconds.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        max_wait: float = MAX_RETRY_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout, self.retries, self.max_wait = timeout, retries, max_wait
        self._sleep = sleep
        self.credentials: Credentials | None = ApiKey(api_key) if api_key else None
        _keep_headers_out_of_logs()
        try:
            self._http = httpx.Client(
                base_url=self.base_url + "/",
                headers={"Accept": "application/json"},
                timeout=httpx.Timeout(timeout),
                transport=transport,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
            raise TargetError(self._bad_url()) from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _bad_url(self) -> str:
        return f"--target {self.base_url!r} is not an http:// or https:// URL"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        credentials: Credentials | None = None,
    ) -> Answer:
        """Send one request (retrying on 429) and read the whole answer. `credentials`
        replace the client's own for this request."""
        with self.stream(
            method, path, body=body, params=params, headers=headers, credentials=credentials
        ) as response:
            return self.read(method, path, response)

    @contextlib.contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        credentials: Credentials | None = None,
    ) -> Iterator[httpx.Response]:
        """The response, open, for reading a stream as it comes; retries a 429 first."""
        signed = (credentials or self.credentials or _NO_CREDENTIALS).headers(method.upper())
        request = self._build(method, path, body, params, signed | (headers or {}))
        for attempt in range(self.retries + 1):
            # Each request carries its own credentials: nothing a target sets is sent back.
            self._http.cookies.clear()
            with (
                self._translated(),
                self._http.stream(
                    request.method,
                    request.url,
                    headers=request.headers,
                    content=request.content,
                ) as response,
            ):
                if response.status_code != 429 or attempt == self.retries:
                    if response.status_code == 429:
                        raise TargetError(
                            f"{self._origin()} still answers 429 (throttled) after "
                            f"{self.retries} retries; try again later"
                        )
                    yield response
                    return
                wait = _retry_wait(response, lambda: datetime.now(UTC))
            if wait is not None and wait > self.max_wait:
                raise TargetError(
                    f"{self._origin()} answers 429 and asks to wait {wait:.0f} s "
                    f"(Retry-After), more than {self.max_wait:.0f} s; try again later"
                )
            self._sleep(wait if wait is not None else FALLBACK_RETRY_WAIT * 2**attempt)

    def _build(
        self,
        method: str,
        path: str,
        body: Any,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
    ) -> httpx.Request:
        merged = dict(headers or {})
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            merged.setdefault("Content-Type", "application/json")
        try:
            return self._http.build_request(
                method, path.lstrip("/"), params=params, headers=merged, content=content
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol):
            raise TargetError(self._bad_url()) from None

    def read(self, method: str, path: str, response: httpx.Response) -> Answer:
        """The whole answer of an open response (an SSE body is read to its end)."""
        kind = media_type(response.headers.get("content-type"))
        with self._translated():
            if kind == "text/event-stream":
                events = list(event_names(response.iter_lines()))
                return Answer(method, path, response.status_code, kind, events=events)
            text = response.read().decode("utf-8", errors="replace")
        answer = Answer(method, path, response.status_code, kind, text=text)
        answer.headers = {name.lower(): value for name, value in response.headers.items()}
        answer.cookies = set_cookies(response)
        if text:
            with contextlib.suppress(ValueError):
                answer.json = json.loads(text)
        return answer

    def events(self, response: httpx.Response) -> Iterator[str]:
        """The event names of an open stream as they arrive."""
        with self._translated():
            yield from event_names(response.iter_lines())

    @property
    def origin(self) -> str:
        return self._origin()

    def _origin(self) -> str:
        url = httpx.URL(self.base_url)
        return f"{url.scheme}://{url.netloc.decode()}"

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """httpx's exceptions as one-line `TargetError`s."""
        origin = self._origin()
        try:
            yield
        except httpx.TimeoutException:
            raise TargetError(
                f"{origin} did not answer within {self.timeout:g} s; "
                "check the target, or raise --timeout"
            ) from None
        except httpx.ConnectError as error:
            if _is_tls_problem(error):
                raise TargetError(
                    f"TLS error talking to {origin} ({_first_line(error)}); check that the URL's "
                    "scheme and host are right, and the CA certificates (SSL_CERT_FILE)"
                ) from None
            raise TargetError(
                f"cannot reach {origin} ({_first_line(error)}); check --target and the network"
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise TargetError(self._bad_url()) from None
        except httpx.HTTPError as error:
            raise TargetError(f"the connection to {origin} failed: {_first_line(error)}") from None


def _keep_headers_out_of_logs() -> None:
    """httpcore's debug log holds every header a response has, the CSRF cookie a target sets
    among them: unless the user set its level, it logs from INFO up, where no header goes."""
    logger = logging.getLogger("httpcore")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


class _Anonymous:
    def headers(self, method: str) -> dict[str, str]:
        return {}

    @property
    def secrets(self) -> tuple[str, ...]:
        return ()


_NO_CREDENTIALS: Final = _Anonymous()


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """The cookies a response set (`Set-Cookie`), by name."""
    return {cookie.name: cookie.value for cookie in response.cookies.jar if cookie.value}


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
