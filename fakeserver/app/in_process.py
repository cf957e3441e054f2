"""Sync and async httpx transports onto the ASGI app, with no socket, for `FakeServer`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, Final, TypeVar

import httpx

from fakeserver.harness.faults import ConnectionDropped

T = TypeVar("T")

THREAD_TIMEOUT: Final = 10.0


class DroppingASGITransport(httpx.ASGITransport):
    """ASGI transport that reports a fault's dropped connection as httpx does for a real one."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as dropped:
            raise httpx.RemoteProtocolError(str(dropped), request=request) from dropped


class EventLoopThread:
    """An event loop in a daemon thread, for running the async app from sync code.

    A daemon thread (unlike anyio's blocking portal) never keeps a process alive at exit when
    the server is not closed.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="fakeserver-in-process", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(THREAD_TIMEOUT)
        self.loop.close()


class ThreadTransport(httpx.BaseTransport):
    """A sync transport over the async ASGI one: each request runs on the loop thread."""

    def __init__(self, transport: httpx.AsyncBaseTransport, loop: EventLoopThread) -> None:
        self._transport = transport
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def call() -> tuple[int, httpx.Headers, bytes, dict[str, Any]]:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=content
            )
            response = await self._transport.handle_async_request(forwarded)
            body = await response.aread()
            return response.status_code, response.headers, body, dict(response.extensions)

        status, headers, body, extensions = self._loop.run(call())
        return httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(body), extensions=extensions
        )
