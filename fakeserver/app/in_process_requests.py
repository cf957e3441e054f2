"""`requests` onto the ASGI app, with no socket: for code that calls PostHog with `requests`
(PostHog's own Python libraries do), as `in_process` does for httpx.

A request goes through the same sync httpx transport as `FakeServer.client()`'s, so the answers,
the journal and the faults are the same; a dropped connection is requests' `ConnectionError`.
Like httpx's ASGI transport, a response (a stream too) is read whole before it is returned.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


def _body_bytes(body: Any) -> bytes:
    """A prepared request's body (bytes, text, a file or an iterable of chunks) as bytes."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body_bytes(body.read())
    if isinstance(body, Iterable):
        return b"".join(_body_bytes(chunk) for chunk in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


class InProcessAdapter(BaseAdapter):
    """A requests transport adapter that answers from the ASGI app through `transport`."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        super().__init__()
        self._transport = transport

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        forwarded = httpx.Request(
            request.method or "GET",
            request.url or "",
            headers=list(request.headers.items()),
            content=_body_bytes(request.body),
        )
        try:
            answer = self._transport.handle_request(forwarded)
        except httpx.TransportError as error:
            raise requests.ConnectionError(str(error), request=request) from error
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.reason_phrase
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(answer.read())
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]  # auth handlers resend through it
        return response

    def close(self) -> None:
        """Nothing to release: the transport belongs to the server."""


class BaseURLSession(requests.Session):
    """A `requests.Session` that puts `base_url` before relative URLs, as httpx clients do."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        if "://" not in text:
            text = f"{self.base_url}/{text.lstrip('/')}"
        return super().request(method, text, *args, **kwargs)
