"""Authentication and permissions: keys in header/body/query, scopes, projects, sessions, CSRF."""

from __future__ import annotations

import httpx
import pytest
from conftest import (
    ADA_PROJECT2_KEY,
    ADA_READ_KEY,
    CSRF,
    EVE_KEY,
    FULL_QUEUE,
    ONE_QUEUED,
    ClientFactory,
    bearer,
    conversation_url,
    queue_url,
    session,
)
from starlette.types import ASGIApp, Message

from fakeserver import FakeServer

pytestmark = pytest.mark.anyio

LIST = "/api/projects/1/conversations/"


def denied(detail: str) -> dict[str, object]:
    return {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": detail,
        "attr": None,
    }


def failed(source: str) -> dict[str, object]:
    return {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": f"Personal API key found in request {source} is invalid.",
        "attr": None,
    }


NOT_AUTHENTICATED = {
    "type": "authentication_error",
    "code": "not_authenticated",
    "detail": "Authentication credentials were not provided.",
    "attr": None,
}


async def test_no_credentials_is_401_with_www_authenticate(make_client: ClientFactory):
    async with make_client(key=None) as client:
        response = await client.get(LIST)
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
    assert response.headers["www-authenticate"] == (
        'Bearer resource_metadata="http://fakeserver/.well-known/oauth-protected-resource"'
    )


async def test_key_in_body_and_query(make_client: ClientFactory):
    async with make_client(key=None) as client:
        by_query = await client.get(LIST + "?personal_api_key=phx_ada_all")
        by_body = await client.post(
            queue_url(ONE_QUEUED), json={"content": "hi", "personal_api_key": "phx_ada_all"}
        )
        form_body = await client.post(
            queue_url(ONE_QUEUED), data={"content": "form", "personal_api_key": "phx_ada_all"}
        )
    assert by_query.status_code == 200
    assert by_body.status_code == 200
    assert form_body.status_code == 409  # accepted: the queue (1 + "hi") is now full


@pytest.mark.parametrize(
    ("request_kwargs", "source"),
    [
        ({"headers": {"Authorization": "Bearer phx_nope"}}, "Authorization header"),
        ({"params": {"personal_api_key": "phx_nope"}}, "query string"),
        ({"json": {"personal_api_key": "phx_nope"}}, "body"),
    ],
)
async def test_invalid_keys_name_where_they_were_found(
    make_client: ClientFactory, request_kwargs, source
):
    async with make_client(key=None) as client:
        response = await client.request("GET", LIST, **request_kwargs)
    assert (response.status_code, response.json()) == (401, failed(source))


async def test_only_the_first_key_found_is_tried(make_client: ClientFactory):
    async with make_client(key=None) as client:
        response = await client.get(
            LIST + "?personal_api_key=phx_ada_all", headers=bearer("phx_nope")
        )
    assert response.json() == failed("Authorization header")


async def test_non_bearer_authorization_falls_through(make_client: ClientFactory):
    async with make_client(key=None) as client:
        basic = await client.get(LIST, headers={"Authorization": "Basic eHl6"})
        lowercase = await client.get(
            LIST + "?personal_api_key=phx_ada_all", headers={"Authorization": "bearer phx_nope"}
        )
        oauth = await client.get(LIST, headers=bearer("pha_unknown"))
    assert (basic.status_code, basic.json()) == (401, NOT_AUTHENTICATED)
    assert lowercase.status_code == 200
    assert oauth.json()["detail"] == "Invalid access token."


async def test_read_scope(make_client: ClientFactory):
    async with make_client(key=ADA_READ_KEY) as client:
        listed = await client.get(LIST)
        retrieved = await client.get(conversation_url(FULL_QUEUE))
        deleted = await client.delete(conversation_url(FULL_QUEUE))
        still = await client.get(conversation_url(FULL_QUEUE))
    assert listed.status_code == retrieved.status_code == 200
    assert (deleted.status_code, deleted.json()) == (
        403,
        denied("API key missing required scope 'conversation:write'"),
    )
    assert still.status_code == 200


async def test_project_restricted_key(make_client: ClientFactory):
    async with make_client(key=ADA_PROJECT2_KEY) as client:
        other = await client.get(LIST)
        own = await client.get("/api/projects/2/conversations/")
        current = await client.get("/api/projects/@current/conversations/")
    assert (other.status_code, other.json()) == (
        403,
        denied("API key does not have access to the requested project: ID 1."),
    )
    assert own.status_code == 200
    assert current.status_code == 403  # Ada's current project is 1


async def test_membership_and_missing_projects(make_client: ClientFactory):
    async with make_client(key=EVE_KEY) as client:
        not_member = await client.get(LIST)
        missing = await client.get("/api/projects/99/conversations/")
        not_int = await client.get("/api/projects/abc/conversations/")
        current = await client.get("/api/projects/@current/conversations/")
    assert (not_member.status_code, not_member.json()) == (
        403,
        denied("You don't have access to the project."),
    )
    project_not_found = {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Project not found.",
        "attr": None,
    }
    assert (missing.status_code, missing.json()) == (404, project_not_found)
    assert (not_int.status_code, not_int.json()) == (404, project_not_found)
    assert current.json()["count"] == 0


async def test_actual_refuses_keys_on_queue_actions_even_with_star(make_client: ClientFactory):
    async with make_client(profile="actual") as client:
        responses = [
            await client.get(queue_url(FULL_QUEUE)),
            await client.post(queue_url(ONE_QUEUED), json={"content": "x"}),
            await client.delete(queue_url(FULL_QUEUE, "anything")),
            await client.post(queue_url(FULL_QUEUE) + "clear/"),
        ]
        listed = await client.get(LIST)
    for response in responses:
        assert (response.status_code, response.json()) == (
            403,
            denied("This action does not support personal API key access"),
        )
    assert listed.status_code == 200


async def test_documented_accepts_keys_on_queue_actions(make_client: ClientFactory):
    async with make_client(key=ADA_READ_KEY) as client:
        response = await client.get(queue_url(FULL_QUEUE))
    assert response.status_code == 200


async def test_session_auth_in_actual(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        listed = await client.get(LIST, headers=session(csrf=False))
        enqueued = await client.post(
            queue_url(ONE_QUEUED), json={"content": "x"}, headers=session()
        )
        unknown = await client.get(LIST, headers={"Cookie": "sessionid=ses-nobody"})
    assert listed.status_code == 200
    assert enqueued.status_code == 200
    assert unknown.status_code == 401


async def test_cookies_split_over_several_headers_are_all_read(make_client: ClientFactory):
    """As Starlette reads them (HTTP/2 clients may send one Cookie header per cookie)."""
    async with make_client(profile="actual", key=None) as client:
        request = client.build_request("POST", queue_url(ONE_QUEUED), json={"content": "x"})
        request.headers = httpx.Headers(
            [
                ("Content-Type", "application/json"),
                ("Content-Length", request.headers["Content-Length"]),
                ("Cookie", f"posthog_csrftoken={CSRF}"),
                ("Cookie", "sessionid=ses-ada"),
                ("X-CSRFToken", CSRF),
            ]
        )
        response = await client.send(request)
    assert response.status_code == 200


async def test_documented_ignores_session_cookies(make_client: ClientFactory):
    async with make_client(key=None) as client:
        response = await client.get(LIST, headers=session())
    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"Cookie": "sessionid=ses-ada"}, "CSRF Failed: CSRF cookie not set."),
        (
            {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF}"},
            "CSRF Failed: CSRF token missing.",
        ),
        (
            {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF}", "X-CSRFToken": "b" * 32},
            "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
        ),
        (
            {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF}", "X-CSRFToken": "short"},
            "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
        ),
        (
            {"Cookie": f"sessionid=ses-ada; posthog_csrftoken={CSRF}", "X-CSRFToken": "!" * 32},
            "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
        ),
        (
            {"Cookie": "sessionid=ses-ada; posthog_csrftoken=x", "X-CSRFToken": CSRF},
            "CSRF Failed: CSRF cookie has incorrect length.",
        ),
    ],
)
async def test_csrf_failures(make_client: ClientFactory, headers, detail):
    async with make_client(profile="actual", key=None) as client:
        response = await client.post(queue_url(ONE_QUEUED), json={"content": "x"}, headers=headers)
        queue = await client.get(queue_url(ONE_QUEUED), headers={"Cookie": "sessionid=ses-ada"})
    assert (response.status_code, response.json()) == (403, denied(detail))
    assert len(queue.json()["messages"]) == 1


async def test_csrf_accepts_a_masked_token_and_djangos_cookie_name(make_client: ClientFactory):
    chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    mask = "b" * 32
    masked = mask + "".join(
        chars[(chars.index(c) + chars.index(m)) % 62] for c, m in zip(CSRF, mask, strict=True)
    )
    async with make_client(profile="actual", key=None) as client:
        response = await client.post(
            queue_url(ONE_QUEUED),
            json={"content": "x"},
            headers={"Cookie": f"sessionid=ses-ada; csrftoken={CSRF}", "X-CSRFToken": masked},
        )
    assert response.status_code == 200


async def test_key_wins_over_session(make_client: ClientFactory):
    """Key authenticators run before the session one: a bad key is 401 even with a session."""
    async with make_client(profile="actual", key=None) as client:
        response = await client.get(LIST, headers={**session(), **bearer("phx_nope")})
    assert response.status_code == 401


async def test_a_granted_request_grants_nothing_that_differs_from_it(make_client: ClientFactory):
    """Outcomes are remembered (`auth.Authorizer`): every input they depend on is still read."""
    async with make_client(profile="actual", key=None) as client:
        url = queue_url(ONE_QUEUED)
        granted = await client.post(url, json={"content": "x"}, headers=session())
        other_token = {**session(), "X-CSRFToken": "b" * 32}
        variants = {
            "other CSRF header": await client.post(url, json={}, headers=other_token),
            "no CSRF header": await client.post(url, json={}, headers=session(csrf=False)),
            "documented": await client.post(
                url, json={}, headers={**session(), "X-Fakeserver-Profile": "documented"}
            ),
            "other user": await client.post(url, json={}, headers=session("bob")),
            "other project": await client.post(
                conversation_url(ONE_QUEUED, "queue/", project="99"), json={}, headers=session()
            ),
        }
        safe = await client.get(url, headers=session(csrf=False))
    assert granted.status_code == safe.status_code == 200
    assert {name: response.status_code for name, response in variants.items()} == {
        "other CSRF header": 403,
        "no CSRF header": 403,
        "documented": 401,
        "other user": 403,
        "other project": 404,
    }


async def test_a_granted_key_is_refused_once_a_new_fixture_drops_it(make_client: ClientFactory):
    async with make_client() as client:
        before = await client.get(LIST)
        loaded = await client.post(
            "/_fakeserver/fixtures",
            json={"fixture": {"projects": [{"id": 1, "name": "Only"}]}, "replace": True},
        )
        after = await client.get(LIST)
    assert before.status_code == loaded.status_code == 200
    assert (after.status_code, after.json()) == (401, failed("Authorization header"))


async def _raw_delete(app: ASGIApp, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    """A DELETE through the bare ASGI interface (no client adds framing headers); its status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "DELETE",
        "scheme": "http",
        "path": queue_url(ONE_QUEUED, "00000000-0000-4000-8000-000000000000"),
        "raw_path": b"",
        "root_path": "",
        "query_string": b"",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"content-type", b"application/json"), *headers],
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def test_a_delete_body_counts_only_when_content_length_frames_it(server: FakeServer):
    """DRF parses a body only when Content-Length gives one: a key in an unframed DELETE body
    authenticates nothing (401), and the same body with its length does (404: no such item)."""
    body = b'{"personal_api_key": "phx_ada_all"}'
    assert await _raw_delete(server.app, [], body) == 401
    framed = [(b"content-length", str(len(body)).encode())]
    assert await _raw_delete(server.app, framed, body) == 404
