"""A client generated from the served `documented` document performs the docs page's flows.

openapi-python-client (a test extra; it runs offline) generates the package into a temporary
folder, as a user's SDK would be generated from `/api/schema/`. The flows are the docs page's curl
examples: list conversations, read the queue, queue a message, delete a queued message (204),
clear the queue with the docs' `-d status=undefined` body.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest
from starlette.applications import Starlette

from fakeserver.app import ServerConfig, create_app

PACKAGE = "fakeserver_docs_client"
ADA_KEY = "phx_ada_all"
ONE_QUEUED = UUID("8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70")
ONE_QUEUED_ITEM = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e80"
ADA_LISTED = [
    "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10",
    "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70",
    "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e90",
    "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a803",
]
BASE_URL = "http://testserver"


def _transport(app: Starlette) -> httpx.ASGITransport:
    return httpx.ASGITransport(app)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generated package, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"

    async def fetch() -> bytes:
        transport = _transport(create_app(ServerConfig(profile="documented")))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return (await client.get("/api/schema/")).content

    document.write_bytes(asyncio.run(fetch()))
    binaries = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(binaries / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        # Its post-generation hook formats the code with ruff, found on PATH.
        env={**os.environ, "PATH": f"{binaries}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def _api(package: ModuleType, operation_id: str) -> Any:
    return importlib.import_module(f"{package.__name__}.api.max_.{operation_id}")


def test_docs_page_flows(generated: ModuleType) -> None:
    app = create_app(ServerConfig(profile="documented"))
    models = importlib.import_module(f"{generated.__name__}.models")

    async def flows() -> None:
        client = generated.AuthenticatedClient(
            base_url=BASE_URL, token=ADA_KEY, httpx_args={"transport": _transport(app)}
        )
        async with client:
            listed = await _api(generated, "conversations_list").asyncio_detailed(
                "1", client=client
            )
            assert listed.status_code == 200
            assert isinstance(listed.parsed, models.PaginatedConversationMinimalList)
            assert listed.parsed.count == len(ADA_LISTED)
            assert [str(c.id) for c in listed.parsed.results] == ADA_LISTED

            queue = await _api(generated, "conversations_queue_retrieve").asyncio_detailed(
                "1", ONE_QUEUED, client=client
            )
            assert queue.status_code == 200
            assert isinstance(queue.parsed, models.Conversation)
            assert queue.parsed.id == ONE_QUEUED

            queued = await _api(generated, "conversations_queue_create").asyncio_detailed(
                "1",
                ONE_QUEUED,
                client=client,
                body=models.QueueMessageCreate(content="And compare it with May."),
            )
            assert queued.status_code == 200
            assert isinstance(queued.parsed, models.Conversation)

            deleted = await _api(generated, "conversations_queue_destroy").asyncio_detailed(
                "1", ONE_QUEUED, ONE_QUEUED_ITEM, client=client
            )
            assert (deleted.status_code, deleted.content) == (204, b"")
            assert await queued_contents(app) == ["And compare it with May."]

            # The docs' curl sends `-d status=undefined`; the generated client sends its body
            # as JSON, and the server never reads it.
            cleared = await _api(generated, "conversations_queue_clear_create").asyncio_detailed(
                "1", ONE_QUEUED, client=client, body={"status": "undefined"}
            )
            assert cleared.status_code == 200
            assert isinstance(cleared.parsed, models.Conversation)
            assert cleared.parsed.id == ONE_QUEUED
            assert await queued_contents(app) == []

            # The docs' exact body, form-encoded as curl's -d sends it, through the same client.
            raw = await client.get_async_httpx_client().post(
                f"/api/projects/1/conversations/{ONE_QUEUED}/queue/clear/",
                data={"status": "undefined"},
            )
            assert raw.status_code == 200
            assert raw.json()["id"] == str(ONE_QUEUED)

    asyncio.run(flows())


async def queued_contents(app: Starlette) -> list[str]:
    """The queue as PostHog's server shows it (actual profile, Ada's browser session)."""
    async with httpx.AsyncClient(transport=_transport(app), base_url=BASE_URL) as client:
        response = await client.get(
            f"/api/projects/1/conversations/{ONE_QUEUED}/queue/",
            headers={"X-Fakeserver-Profile": "actual", "Cookie": "sessionid=ses-ada"},
        )
    assert response.status_code == 200
    return [message["content"] for message in response.json()["messages"]]
