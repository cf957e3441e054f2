"""Bad requests to PostHog's API, of every kind and however hostile: each is answered in
PostHog's error format, never with a 500, and leaves the state unchanged.

Bad input to the test tools has its tests beside them: fault actions in
tests/harness/test_faults.py, control calls in tests/control/test_control.py, namespace names in
tests/harness/test_namespaces.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import (
    ADA_KEY,
    FULL_QUEUE,
    ONE_QUEUED,
    ONE_QUEUED_ITEM,
    UNTITLED,
    ClientFactory,
    ServerFactory,
    queue_url,
    session,
)

from fakeserver import FakeServer

pytestmark = pytest.mark.anyio

ACTUAL = {"X-Fakeserver-Profile": "actual", "Authorization": "", **session(csrf=False)}
"""Reads the queue's `actual` envelope (`messages`), signed in by session."""


def error(type_: str, code: str, detail: str) -> dict[str, object]:
    return {"type": type_, "code": code, "detail": detail, "attr": None}


@pytest.fixture
def ada(server: FakeServer) -> Iterator[httpx.Client]:
    """A sync client of `server` with Ada's key."""
    with server.client(api_key=ADA_KEY) as client:
        yield client


def queue_ids(server: FakeServer) -> list[str]:
    return [message.id for message in server.queue(ONE_QUEUED)]


def post_json(client: httpx.Client, url: str, raw: str) -> httpx.Response:
    return client.post(url, content=raw, headers={"Content-Type": "application/json"})


# Bodies ----------------------------------------------------------------------------------------


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
async def test_malformed_json_is_parse_error(server: FakeServer, content, reason):
    async with server.async_client(api_key=ADA_KEY) as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=content, headers={"Content-Type": "application/json"}
        )
    assert queue_ids(server) == [ONE_QUEUED_ITEM]
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_request", "parse_error", f"JSON parse error - {reason}"
    )


@pytest.mark.parametrize("depth", [101, 100_000])
def test_deep_nesting_is_a_parse_error_that_changes_nothing(
    server: FakeServer, ada: httpx.Client, depth: int
):
    raw = '{"content": "x", "ui_context": {"deep": ' + "[" * depth + "]" * depth + "}}"
    response = post_json(ada, queue_url(ONE_QUEUED), raw)
    assert response.status_code == 400
    assert response.json() == error(
        "invalid_request",
        "parse_error",
        "JSON parse error - arrays and objects nest deeper than 100 levels",
    )
    assert queue_ids(server) == [ONE_QUEUED_ITEM]


def test_numbers_too_large_for_a_float_are_stored_as_null(ada: httpx.Client):
    body = '{"content": "hi", "ui_context": {"y": 1e400}, "contextual_tools": {"x": [-1e999]}}'
    response = post_json(ada, queue_url(ONE_QUEUED), body)
    assert response.status_code == 200
    queue = ada.get(queue_url(ONE_QUEUED), headers=ACTUAL)
    assert queue.status_code == 200
    added = queue.json()["messages"][1]
    assert (added["ui_context"], added["contextual_tools"]) == ({"y": None}, {"x": [None]})
    assert ada.get("/_fakeserver/state").status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml; charset=utf-8", ""])
async def test_unsupported_media_type(server: FakeServer, content_type: str):
    async with server.async_client(api_key=ADA_KEY) as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=b"content=x", headers={"Content-Type": content_type}
        )
    assert queue_ids(server) == [ONE_QUEUED_ITEM]
    assert response.status_code == 415
    assert response.json() == error(
        "invalid_request",
        "unsupported_media_type",
        f'Unsupported media type "{content_type}" in request.',
    )


async def test_multipart_form_is_accepted(server: FakeServer):
    async with server.async_client(api_key=ADA_KEY) as client:
        response = await client.post(
            queue_url(ONE_QUEUED), files={"content": (None, "from a form")}
        )
    assert queue_ids(server)[0] == ONE_QUEUED_ITEM
    assert response.status_code == 200


async def test_body_over_one_mebibyte_is_413(server: FakeServer):
    big = b'{"content": "' + b"x" * (1024 * 1024) + b'"}'
    async with server.async_client(api_key=ADA_KEY) as client:
        response = await client.post(
            queue_url(ONE_QUEUED), content=big, headers={"Content-Type": "application/json"}
        )

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(2):
                yield b"x" * (600 * 1024)

        chunked = await client.post(
            queue_url(ONE_QUEUED), content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert queue_ids(server) == [ONE_QUEUED_ITEM]
    expected = error(
        "invalid_request", "request_too_large", "Request body is larger than 1048576 bytes."
    )
    assert (response.status_code, response.json()) == (413, expected)
    assert (chunked.status_code, chunked.json()) == (413, expected)


@pytest.mark.parametrize(
    ("length", "status"),
    [(b"9" * 5000, 413), (b"\xb2", 400), (b"-1", 400)],  # "²" is a digit to str.isdigit
)
def test_content_lengths_no_int_can_hold_are_answered(
    server: FakeServer, ada: httpx.Client, length: bytes, status: int
) -> None:
    request = ada.build_request("POST", queue_url(ONE_QUEUED), content=b"")
    request.headers["Content-Length"] = length.decode("latin-1")
    response = ada.send(request)
    assert response.status_code == status
    assert queue_ids(server) == [ONE_QUEUED_ITEM]


def test_a_refused_enqueue_draws_no_id(make_server: ServerFactory):
    server = make_server(id_seed=7)

    def first_new_id(refuse_first: bool) -> str:
        server.restore()
        with server.client(api_key=ADA_KEY) as client:
            if refuse_first:
                assert client.post(queue_url(FULL_QUEUE), json={"content": "x"}).status_code == 409
            queue = client.post(
                queue_url(UNTITLED), json={"content": "y"}, headers=ACTUAL | session()
            )
            return str(queue.json()["messages"][0]["id"])

    assert first_new_id(refuse_first=True) == first_new_id(refuse_first=False)


# Paths and headers -----------------------------------------------------------------------------


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


def test_a_project_id_of_thousands_of_digits_is_not_found(ada: httpx.Client):
    response = ada.get(f"/api/projects/{'1' * 5000}/conversations/")
    assert (response.status_code, response.json()["detail"]) == (404, "Project not found.")


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


async def test_health(make_client: ClientFactory):
    async with make_client(key=None) as client:
        health = await client.get("/_health")
    assert (health.status_code, health.text) == (200, "ok")


@pytest.mark.parametrize("path", ["/api/schema", "/api/schema/"])
def test_the_schema_path_takes_an_optional_slash(ada: httpx.Client, path: str):
    assert ada.get(path).status_code == 200
    assert ada.get(path + "/x").status_code == 404
