"""Helpers for the agent-run tests: a server whose runs wait for the test (`gated`), a
hand-driven ASGI request that streams, and an SSE parser.

The agent-run tests, one concern a file:
- tests/domain/test_runs_domain.py: the run machinery on a Workspace, no HTTP (frame log, pacing,
  drain, cancel, reset);
- tests/fixture_files/test_runs_fixtures.py: the fixture's `agent:` sections (loading, merging,
  their mistakes);
- tests/api/test_runs_stream.py: POST conversations/, the stream's exact frames per profile;
- tests/api/test_runs_errors.py: create, append_message and open: every refusal with its exact
  body, and the non-streaming answers of append_message and open;
- tests/api/test_runs_lifecycle.py: a run over time: queue drain, cancel, reconnect, disconnect,
  reset, approvals;
- tests/api/test_runs_concurrency.py: many streams at once, in process and live.

httpx's ASGITransport returns a response only once the app has finished it, and never signals
a disconnect before that; `LiveRequest` drives the app directly instead, so a test reads frames
as they are written and can disconnect whenever it likes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conftest import ServerFactory
from starlette.types import ASGIApp, Message

from fakeserver import FakeServer, GatedPacer

GatedServer = tuple[FakeServer, GatedPacer]

ADA = {"Authorization": "Bearer phx_ada_all"}
BOB = {"Authorization": "Bearer phx_bob_all"}
_CSRF = "a" * 32
ADA_SESSION = {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={_CSRF}", "X-CSRFToken": _CSRF}
"""Ada by session cookie: what the `actual` profile's queue/cancel/open/append accept."""
BASE = "/api/projects/1/conversations"
RETENTION = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
"""Ada's idle conversation in the default fixture, with its own agent rule."""
ERROR_SPIKES = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e90"
DELETED = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f02"
SANDBOX = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a803"
BOBS = "b0b0b0b0-1111-4222-8333-444455556604"


def new_id() -> str:
    return str(uuid.uuid4())


def gated(make_server: ServerFactory, profile: str = "actual", **settings: Any) -> GatedServer:
    """A server whose agent runs advance only when the test opens the returned pacer."""
    pacer = GatedPacer()
    return make_server(profile=profile, pacer=pacer, id_seed=7, **settings), pacer


def message_body(conversation: str, content: str | None, **extra: Any) -> dict[str, Any]:
    return {"content": content, "conversation": conversation, "trace_id": new_id(), **extra}


@dataclass(frozen=True)
class Frame:
    event: str
    data: str
    """The raw JSON text, so tests can check its spacing too."""

    @property
    def json(self) -> Any:
        return json.loads(self.data)


KEEPALIVE = Frame(":", "keepalive")


def parse_sse(text: str) -> list[Frame]:
    """Every frame of a complete SSE body; `: keepalive` comments become `KEEPALIVE`."""
    assert text == "" or text.endswith("\n\n"), f"stream does not end on a frame boundary: {text!r}"
    frames = []
    for block in text.split("\n\n")[:-1]:
        if block.startswith(": "):
            frames.append(Frame(":", block[2:]))
            continue
        event_line, data_line = block.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: "), block
        frames.append(Frame(event_line[len("event: ") :], data_line[len("data: ") :]))
    return frames


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class LiveRequest:
    """One request driven by hand: headers when ready, body bytes as written, disconnect."""

    def __init__(
        self, app: ASGIApp, method: str, path: str, headers: dict[str, str], body: Any = None
    ):
        raw = json.dumps(body).encode() if body is not None else b""
        header_list = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if body is not None:
            header_list.append((b"content-type", b"application/json"))
        self._scope = {
            "type": "http",
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": header_list,
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1),
        }
        self._app, self._body = app, raw
        self._sent_body = False
        self._disconnected = asyncio.Event()
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.received = b""
        self.complete = False
        self._task: asyncio.Task[None] | None = None

    async def _receive(self) -> Message:
        if not self._sent_body:
            self._sent_body = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        await self._messages.put(message)

    async def start(self) -> LiveRequest:
        async def call() -> None:
            await self._app(self._scope, self._receive, self._send)

        self._task = asyncio.get_running_loop().create_task(call())
        message = await self._messages.get()
        assert message["type"] == "http.response.start", message
        self.status = message["status"]
        self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        return self

    async def _next_body(self) -> None:
        message = await self._messages.get()
        assert message["type"] == "http.response.body", message
        self.received += message.get("body", b"")
        if not message.get("more_body", False):
            self.complete = True

    async def read_until(self, done: Callable[[list[Frame]], bool]) -> list[Frame]:
        """Read until the complete frames so far satisfy `done` (or the body ends)."""
        while True:
            frames = self.frames()
            if done(frames) or self.complete:
                return frames
            await self._next_body()

    async def read_frames(self, count: int) -> list[Frame]:
        return await self.read_until(lambda frames: len(frames) >= count)

    async def finish(self) -> list[Frame]:
        while not self.complete:
            await self._next_body()
        await self.wait_closed()
        return self.frames()

    def frames(self) -> list[Frame]:
        text = self.received.decode()
        return parse_sse(text[: text.rfind("\n\n") + 2] if "\n\n" in text else "")

    def disconnect(self) -> None:
        self._disconnected.set()

    async def wait_closed(self) -> None:
        assert self._task is not None
        await self._task


async def stream(
    app: ASGIApp,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
    path: str = BASE + "/",
) -> LiveRequest:
    return await LiveRequest(app, "POST", path, {**ADA, **(headers or {})}, body).start()
