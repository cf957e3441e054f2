"""Each profile's served OpenAPI document: valid OpenAPI 3, naming PostHog's operations."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

from fakeserver.api.routes import OPERATIONS
from fakeserver.app import ServerConfig, create_app

PROFILES = ("documented", "actual")


def served_document(profile: str) -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        transport = httpx.ASGITransport(create_app(ServerConfig(profile=profile)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/api/schema/")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        document: dict[str, Any] = response.json()
        return document

    return asyncio.run(fetch())


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """operationId -> (path, method) for every operation of the document."""
    return {
        operation["operationId"]: (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_served_document_is_valid_openapi_3(profile: str) -> None:
    document = served_document(profile)
    assert document["openapi"].startswith("3.0.")
    validate(document, cls=OpenAPIV30SpecValidator)  # raises on the first problem


@pytest.mark.parametrize("profile", PROFILES)
def test_document_names_every_operation_the_server_routes(profile: str) -> None:
    documented = operations(served_document(profile))
    routed = {operation.operation_id for operation in OPERATIONS.values()}
    assert routed <= set(documented)
    # Both prefixes, PostHog's ids: `environments_` + the /api/projects/ id.
    for operation_id, (path, _) in documented.items():
        environments = operation_id.startswith("environments_")
        assert path.startswith("/api/environments/" if environments else "/api/projects/")


@pytest.mark.parametrize("profile", PROFILES)
def test_links_point_to_operations_of_the_document(profile: str) -> None:
    document = served_document(profile)
    known = operations(document)
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for name, link in response.get("links", {}).items():
                    assert link["operationId"] in known, (operation["operationId"], name)
