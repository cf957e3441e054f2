"""Bad input of every kind: PostHog's error format, never a 500, and state left unchanged."""

from __future__ import annotations

import pytest
from conftest import ONE_QUEUED, ONE_QUEUED_ITEM, ClientFactory, queue_url

pytestmark = pytest.mark.anyio


def error(type_: str, code: str, detail: str) -> dict[str, object]:
    return {"type": type_, "code": code, "detail": detail, "attr": None}


async def queue_ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    workspace = client.app.state.fakeserver.workspace
    return [m.id for m in workspace.store.conversation(ONE_QUEUED).queue]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"{not json",
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b'{"content": }', "Expecting value: line 1 column 13 (char 12)"),
        (b"\xff\xfe\xfa", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ],
)
async def test_malformed_json_is_parse_error(make_client: ClientFactory, content, reason):
    async with make_client() as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=content, headers={"Content-Type": "application/json"}
        )
        assert await queue_ids(client) == [ONE_QUEUED_ITEM]
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_request", "parse_error", f"JSON parse error - {reason}"
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml; charset=utf-8", ""])
async def test_unsupported_media_type(make_client: ClientFactory, content_type: str):
    async with make_client() as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=b"content=x", headers={"Content-Type": content_type}
        )
        assert await queue_ids(client) == [ONE_QUEUED_ITEM]
    assert response.status_code == 415
    assert response.json() == error(
        "invalid_request",
        "unsupported_media_type",
        f'Unsupported media type "{content_type}" in request.',
    )


async def test_multipart_form_is_accepted(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.post(
            queue_url(ONE_QUEUED), files={"content": (None, "from a form")}
        )
        assert (await queue_ids(client))[0] == ONE_QUEUED_ITEM
    assert response.status_code == 200


async def test_body_over_one_mebibyte_is_413(make_client: ClientFactory):
    big = b'{"content": "' + b"x" * (1024 * 1024) + b'"}'
    async with make_client() as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=big, headers={"Content-Type": "application/json"}
        )

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(2):
                yield b"x" * (600 * 1024)

        chunked = await client.post(
            queue_url(ONE_QUEUED), content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert await queue_ids(client) == [ONE_QUEUED_ITEM]
    expected = error(
        "invalid_request", "request_too_large", "Request body is larger than 1048576 bytes."
    )
    assert (response.status_code, response.json()) == (413, expected)
    assert (chunked.status_code, chunked.json()) == (413, expected)


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/projects/1/nothing/", "Endpoint not found."),
        ("/api/projects/1/conversations/a.b/", "Endpoint not found."),
        ("/api/teams/1/conversations/", "Endpoint not found."),
        ("/elsewhere", "Not found."),
    ],
)
async def test_unknown_routes_are_json_404(make_client: ClientFactory, path: str, detail: str):
    async with make_client(key=None) as client:
        response = await client.get(path)
    assert response.status_code == 404
    assert response.json() == error("invalid_request", "not_found", detail)


async def test_unknown_profile_header(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.get(
            "/api/projects/1/conversations/", headers={"X-Fakeserver-Profile": "imaginary"}
        )
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_request",
        "invalid_profile",
        "X-Fakeserver-Profile: unknown profile 'imaginary'; choose one of: actual, documented.",
    )


async def test_profile_header_overrides_the_server_profile(make_client: ClientFactory):
    async with make_client(profile="actual") as client:
        response = await client.get(
            queue_url(ONE_QUEUED), headers={"X-Fakeserver-Profile": "documented"}
        )
    assert response.status_code == 200
    assert response.json()["id"] == ONE_QUEUED


async def test_health_and_schema(make_client: ClientFactory):
    async with make_client(key=None) as client:
        health = await client.get("/_health")
    assert (health.status_code, health.text) == (200, "ok")
