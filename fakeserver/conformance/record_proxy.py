"""The recording proxy of `fakeserver record`: every request goes on to the target, every
answer comes back as the target gave it, a stream frame by frame (never buffered), and each
create's stream is recorded (`recording.py`). The target's errors, broken connections and
frames that are not JSON are passed on and recorded as they are; the proxy itself never fails
a request on them (a target it cannot reach is a 502 with a one-line reason).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

import httpx
from starlette.types import Receive, Scope, Send

from fakeserver.conformance.recording import AnswerRecording, Recording, StreamRecording
from fakeserver.harness.faults import ConnectionDropped, abort_connection

CREATE_PATH: Final = re.compile(r"^/api/(?:projects|environments)/[^/]+/conversations/?$")
HOP_HEADERS: Final = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "keep-alive"}
)
CREDENTIAL_HEADERS: Final = ("authorization", "cookie")


class RecordingProxy:
    """An ASGI app: forwards to `target` with `api_key` unless the client sends credentials."""

    def __init__(
        self,
        target: str,
        api_key: str,
        recording: Recording,
        on_change: Callable[[], None] = lambda: None,
        timeout: float = 60.0,
    ) -> None:
        self.recording, self._on_change = recording, on_change
        self._key = api_key
        self._client = httpx.AsyncClient(base_url=target.rstrip("/"), timeout=timeout)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _body(receive)
        request = self._client.build_request(
            scope["method"],
            scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else ""),
            headers=self._headers(scope),
            content=body,
        )
        try:
            answer = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            self._note(f"{scope['method']} {scope['path']}: target unreachable: {error}")
            await _answer(send, 502, {"detail": f"fakeserver record: target unreachable: {error}"})
            return
        stream = self._stream_of(scope, body, answer)
        kept: list[bytes] | None = None
        if stream is None and _is_create(scope) and 400 <= answer.status_code <= 599:
            kept = []
        await self._pass_on(answer, stream, send, kept)
        content = _content_of(body)
        if kept is not None and content is not None:
            media = answer.headers.get("content-type", "")
            text = b"".join(kept).decode("utf-8", "replace")
            self.recording.answers.append(AnswerRecording(content, answer.status_code, media, text))
            self._on_change()

    def _headers(self, scope: Scope) -> dict[str, str]:
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in HOP_HEADERS
        }
        if not any(name.lower() in CREDENTIAL_HEADERS for name in headers):
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def _stream_of(
        self, scope: Scope, body: bytes, answer: httpx.Response
    ) -> StreamRecording | None:
        if not _is_create(scope):
            return None
        media = answer.headers.get("content-type", "").split(";")[0].strip()
        if answer.status_code != 200 or media != "text/event-stream":
            self._note(f"POST {scope['path']}: {answer.status_code} {media or 'no content type'}")
            return None
        stream = StreamRecording(_conversation_of(body))
        self.recording.streams.append(stream)
        return stream

    def _note(self, line: str) -> None:
        self.recording.errors.append(line)
        self._on_change()

    async def _pass_on(
        self,
        answer: httpx.Response,
        stream: StreamRecording | None,
        send: Send,
        kept: list[bytes] | None,
    ) -> None:
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in answer.headers.items()
            if name.lower() not in HOP_HEADERS and name.lower() != "content-encoding"
        ]
        await send(
            {"type": "http.response.start", "status": answer.status_code, "headers": headers}
        )
        try:
            async for chunk in answer.aiter_bytes():
                if stream is not None:
                    stream.feed(chunk)
                    self._on_change()
                elif kept is not None:
                    kept.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError as error:
            if stream is not None:
                stream.finish(dropped=True)
                self._on_change()
            await abort_connection(send, ConnectionDropped(f"the target dropped: {error}"))
            return
        finally:
            await answer.aclose()
        if stream is not None:
            stream.finish()
            self._on_change()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _is_create(scope: Scope) -> bool:
    return scope["method"] == "POST" and CREATE_PATH.match(scope["path"]) is not None


def _field_of(body: bytes, name: str) -> str | None:
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    value = parsed.get(name) if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None


def _conversation_of(body: bytes) -> str | None:
    return _field_of(body, "conversation")


def _content_of(body: bytes) -> str | None:
    return _field_of(body, "content")


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    encoded = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(encoded)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
