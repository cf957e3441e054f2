"""Shared test helpers: the one way the tests build a server (`make_server`, and `server`,
`client`, `make_client` over it) and the default fixture's well-known ids.

Every test that needs a server asks `make_server` for a `FakeServer` (in process unless started),
with FakeServer's own arguments; only the tests of a lower layer build that layer themselves
(`tests/app/` calls `create_app`, the domain tests build a `Workspace`), each saying why."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from fakeserver import FakeServer

ADA_KEY = "phx_ada_all"
ADA_READ_KEY = "phx_ada_read"
ADA_PROJECT2_KEY = "phx_ada_project2"
BOB_KEY = "phx_bob_all"
EVE_KEY = "phx_eve_all"

FULL_QUEUE = "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"
FULL_QUEUE_ITEMS = ("5d5f3a9e-7c21-4b8e-a0f4-1c2d3e4f5a61", "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c62")
ONE_QUEUED = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
ONE_QUEUED_ITEM = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e80"
DRAIN_CLOSED = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e90"
UNTITLED = "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a01"
DELETED = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f02"
SANDBOX = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a803"
BOBS = "b0b0b0b0-1111-4222-8333-444455556604"
BOBS_ITEM = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2905"
ADA_PROJECT2 = "2a2a2a2a-3b3b-4c4c-8d5d-6e6e6e6e6e06"

BASE = "http://fakeserver"
"""The in-process base URL of `FakeServer`'s clients."""
CSRF = "a" * 32

ServerFactory = Callable[..., FakeServer]
ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_server() -> Iterator[ServerFactory]:
    """`make_server(fixtures, profile, live=..., id_seed=..., ...)`: a `FakeServer` built with
    its own arguments, closed (live thread, runs) when the test ends."""
    made: list[FakeServer] = []

    def factory(*args: Any, **settings: Any) -> FakeServer:
        made.append(FakeServer(*args, **settings))
        return made[-1].__enter__()

    yield factory
    for built in reversed(made):
        built.close()


@pytest.fixture
def server(make_server: ServerFactory) -> FakeServer:
    """A `FakeServer` on the default fixture, in process; files override it where they need
    other options (through `make_server`)."""
    return make_server()


@pytest.fixture
def client(server: FakeServer) -> Iterator[httpx.Client]:
    """A sync client of `server`, without credentials."""
    with server.client() as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def conversation_url(
    conversation_id: str, suffix: str = "", project: str = "1", prefix: str = "projects"
) -> str:
    return f"/api/{prefix}/{project}/conversations/{conversation_id}/{suffix}"


def queue_url(conversation_id: str, item: str = "", prefix: str = "projects") -> str:
    return conversation_url(conversation_id, f"queue/{item + '/' if item else ''}", prefix=prefix)


def bearer(key: str = ADA_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def session(user: str = "ada", csrf: bool = True) -> dict[str, str]:
    """Headers of a logged-in browser (with the CSRF cookie and header unsafe methods need)."""
    if not csrf:
        return {"Cookie": f"sessionid=ses-{user}"}
    return {"Cookie": f"sessionid=ses-{user}; posthog_csrftoken={CSRF}", "X-CSRFToken": CSRF}


@pytest.fixture
def make_client(make_server: ServerFactory) -> ClientFactory:
    """`async with make_client(profile="actual", key=..., **settings) as client:` an async
    client (with Ada's key unless told otherwise) of a fresh `make_server(...)`."""

    @asynccontextmanager
    async def factory(
        profile: str = "documented", key: str | None = ADA_KEY, **settings: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        async with make_server(profile=profile, **settings).async_client(api_key=key) as client:
            yield client

    return factory
