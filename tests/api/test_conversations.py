"""List, retrieve and destroy: PostHog's filters, ordering, pagination and soft delete."""

from __future__ import annotations

import pytest
from conftest import (
    ADA_KEY,
    ADA_PROJECT2,
    ADA_PROJECT2_KEY,
    BASE,
    BOBS,
    DELETED,
    DRAIN_CLOSED,
    FULL_QUEUE,
    ONE_QUEUED,
    SANDBOX,
    UNTITLED,
    ClientFactory,
    conversation_url,
)

from fakeserver import FakeServer

pytestmark = pytest.mark.anyio

LIST = "/api/projects/1/conversations/"
ADA_LISTED = [FULL_QUEUE, ONE_QUEUED, DRAIN_CLOSED, SANDBOX]
NOT_FOUND = {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


async def test_list_is_the_users_titled_conversations_newest_first(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.get(LIST)
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["count", "next", "previous", "results"]
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    assert [c["id"] for c in body["results"]] == ADA_LISTED


async def test_documented_list_fields(make_client: ClientFactory):
    async with make_client() as client:
        first = (await client.get(LIST)).json()["results"][0]
    assert first == {
        "id": FULL_QUEUE,
        "status": "idle",
        "title": "Signups last week",
        "topic": None,
        "user": first["user"],
        "created_at": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-02T09:05:00Z",
        "type": "assistant",
        "is_internal": False,
        "slack_thread_key": None,
        "slack_workspace_domain": None,
    }


async def test_actual_list_fields_add_task(make_client: ClientFactory):
    async with make_client(profile="actual") as client:
        first = (await client.get(LIST)).json()["results"][0]
    assert list(first)[-1] == "task"
    assert first["task"] is None


@pytest.mark.parametrize(
    ("query", "expected_ids", "next_link", "previous_link"),
    [
        ("?limit=2", ADA_LISTED[:2], "?limit=2&offset=2", None),
        ("?limit=2&offset=1", ADA_LISTED[1:3], "?limit=2&offset=3", "?limit=2"),
        ("?offset=3&limit=1", ADA_LISTED[3:], None, "?limit=1&offset=2"),
        ("?limit=0", ADA_LISTED, None, None),
        ("?limit=abc&offset=-4", ADA_LISTED, None, None),
        ("?limit=1&offset=9", [], None, "?limit=1&offset=8"),
        ("?zeta=1&limit=1", ADA_LISTED[:1], "?limit=1&offset=1&zeta=1", None),
        # Past sys.maxsize: DRF has no maximum, and the fake must not crash on it.
        ("?limit=467794045484688998400", ADA_LISTED, None, None),
        (
            "?limit=1&offset=467794045484688998400",
            [],
            None,
            "?limit=1&offset=467794045484688998399",
        ),
    ],
)
async def test_pagination(
    make_client: ClientFactory, query, expected_ids, next_link, previous_link
):
    async with make_client() as client:
        body = (await client.get(LIST + query)).json()
    base = BASE + LIST
    assert [c["id"] for c in body["results"]] == expected_ids
    assert body["count"] == 4
    assert body["next"] == (base + next_link if next_link else None)
    assert body["previous"] == (base + previous_link if previous_link else None)


async def test_list_is_per_project_and_per_user(make_client: ClientFactory):
    async with make_client(key=ADA_PROJECT2_KEY) as client:
        project2 = (await client.get("/api/projects/2/conversations/")).json()
    async with make_client(key="phx_bob_all") as client:
        bob = (await client.get(LIST)).json()
    assert [c["id"] for c in project2["results"]] == [ADA_PROJECT2]
    assert [c["id"] for c in bob["results"]] == [BOBS]


async def test_retrieve_shows_same_team_conversations_of_other_users(make_client: ClientFactory):
    async with make_client() as client:
        bobs = await client.get(conversation_url(BOBS))
    assert bobs.status_code == 200
    assert bobs.json()["user"]["email"] == "bob@example.com"


@pytest.mark.parametrize(
    "conversation_id",
    [UNTITLED, DELETED, "nope", ADA_PROJECT2, "00000000-0000-4000-8000-000000000000"],
)
async def test_retrieve_not_found(make_client: ClientFactory, conversation_id: str):
    async with make_client() as client:
        response = await client.get(conversation_url(conversation_id))
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_actual_retrieve_fields(make_client: ClientFactory):
    async with make_client(profile="actual") as client:
        body = (await client.get(conversation_url(SANDBOX))).json()
    assert list(body)[11:] == [
        "messages",
        "has_unsupported_content",
        "agent_mode",
        "agent_runtime",
        "is_sandbox",
        "pending_approvals",
        "task",
    ]
    assert (body["agent_runtime"], body["is_sandbox"], body["task"]) == ("sandbox", True, None)


async def test_destroy_soft_deletes(server: FakeServer):
    async with server.async_client(api_key=ADA_KEY) as client:
        deleted = await client.delete(conversation_url(ONE_QUEUED))
        again = await client.delete(conversation_url(ONE_QUEUED))
        retrieve = await client.get(conversation_url(ONE_QUEUED))
        listed = (await client.get(LIST)).json()
        queue = await client.get(conversation_url(ONE_QUEUED, "queue/"))
        stored = server.conversation(ONE_QUEUED)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (again.status_code, again.json()) == (404, NOT_FOUND)
    assert retrieve.status_code == 404
    assert ONE_QUEUED not in [c["id"] for c in listed["results"]]
    assert listed["count"] == 3
    assert queue.json() == {"error": "Conversation not found"}
    assert stored.deleted and stored.deleted_at is not None


async def test_destroy_of_another_users_conversation_is_404(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.delete(conversation_url(BOBS))
        still_there = await client.get(conversation_url(BOBS))
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert still_there.status_code == 200


async def test_destroy_untitled_conversation_works(make_client: ClientFactory):
    """destroy's lookup has no title filter, unlike retrieve's."""
    async with make_client() as client:
        response = await client.delete(conversation_url(UNTITLED))
    assert response.status_code == 204


async def test_no_update_on_a_conversation(make_client: ClientFactory):
    async with make_client() as client:
        for method in ("PUT", "PATCH", "POST"):
            response = await client.request(method, conversation_url(FULL_QUEUE), json={})
            assert response.status_code == 405
            assert response.json()["detail"] == f'Method "{method}" not allowed.'
            assert response.headers["allow"] == "GET, HEAD, DELETE"


async def test_unauthenticated_405_is_401_first(make_client: ClientFactory):
    async with make_client(key=None) as client:
        response = await client.put(conversation_url(FULL_QUEUE))
    assert response.status_code == 401


async def test_environments_prefix_lists_the_same(make_client: ClientFactory):
    async with make_client() as client:
        projects = (await client.get(LIST)).json()
        environments = (await client.get(LIST.replace("projects", "environments"))).json()
    assert projects["results"] == environments["results"]
    assert environments["next"] is None
