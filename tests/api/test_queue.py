"""The queue endpoints in both profiles: exact status codes and bodies."""

from __future__ import annotations

import re

import pytest
from conftest import (
    BOBS,
    DELETED,
    DRAIN_CLOSED,
    FULL_QUEUE,
    FULL_QUEUE_ITEMS,
    ONE_QUEUED,
    ONE_QUEUED_ITEM,
    UNTITLED,
    ClientFactory,
    bearer,
    conversation_url,
    queue_url,
    session,
)

from fakeserver.fixture_files import derived_id

pytestmark = pytest.mark.anyio

ADA = {
    "id": 1,
    "uuid": "0190a1b2-0000-4000-8000-00000000a1a1",
    "distinct_id": "ada-distinct-id",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "is_email_verified": True,
    "hedgehog_config": None,
    "role_at_organization": "engineering",
}
PYTHON_ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")


def queued(item_id: str, content: str, created_at: str, **extra: object) -> dict[str, object]:
    return {
        "id": item_id,
        "content": content,
        "created_at": created_at,
        "contextual_tools": None,
        "ui_context": None,
        "billing_context": None,
        "agent_mode": None,
        "session_id": None,
        **extra,
    }


FULL_QUEUE_MESSAGES = [
    queued(FULL_QUEUE_ITEMS[0], "And the week before?", "2026-11-02T09:04:00+00:00"),
    queued(FULL_QUEUE_ITEMS[1], "Break it down by country.", "2026-11-02T09:04:30+00:00"),
]
DOCUMENTED_FULL_QUEUE_CONVERSATION = {
    "id": FULL_QUEUE,
    "status": "idle",
    "title": "Signups last week",
    "topic": None,
    "user": ADA,
    "created_at": "2026-11-02T09:00:00Z",
    "updated_at": "2026-11-02T09:05:00Z",
    "type": "assistant",
    "is_internal": False,
    "slack_thread_key": None,
    "slack_workspace_domain": None,
    "messages": [
        {
            "id": derived_id("message", FULL_QUEUE, 0),
            "type": "human",
            "content": "How many signups last week?",
        },
        {
            "id": derived_id("message", FULL_QUEUE, 1),
            "type": "ai",
            "content": "42 signups, up 8% on the week before.",
        },
    ],
    "has_unsupported_content": False,
    "agent_mode": None,
    "is_sandbox": False,
    "pending_approvals": [],
}


def actual(**headers: str) -> dict[str, str]:
    """Ask for the actual profile with session auth (keys are refused on queue actions there).

    The empty Authorization header overrides the client's default key, so the session is used.
    """
    return {"X-Fakeserver-Profile": "actual", "Authorization": "", **session(), **headers}


# documented profile ------------------------------------------------------------------------


async def test_documented_get_queue_is_the_documented_conversation(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.get(queue_url(FULL_QUEUE))
    assert response.status_code == 200
    body = response.json()
    assert body == DOCUMENTED_FULL_QUEUE_CONVERSATION
    assert list(body) == list(DOCUMENTED_FULL_QUEUE_CONVERSATION)


async def test_documented_delete_item_is_204_without_body(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        assert (response.status_code, response.content) == (204, b"")
        assert "content-type" not in response.headers
        remaining = await client.get(queue_url(FULL_QUEUE), headers=actual())
    assert remaining.json()["messages"] == FULL_QUEUE_MESSAGES[1:]


async def test_documented_clear_accepts_the_docs_curl_body(make_client: ClientFactory):
    async with make_client() as client:
        response = await client.post(
            queue_url(FULL_QUEUE) + "clear",
            content=b"status=undefined",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200
        assert response.json()["id"] == FULL_QUEUE
        after = await client.get(queue_url(FULL_QUEUE), headers=actual())
    assert after.json() == {"messages": [], "max_queue_messages": 2}


async def test_documented_enqueue_and_patch_return_the_conversation(make_client: ClientFactory):
    async with make_client() as client:
        created = await client.post(queue_url(ONE_QUEUED), json={"content": "Second"})
        assert created.status_code == 200
        assert created.json()["title"] == "Retention of the March cohort"
        patched = await client.patch(
            queue_url(ONE_QUEUED, ONE_QUEUED_ITEM), json={"content": "New"}
        )
        assert patched.status_code == 200
        assert patched.json()["id"] == ONE_QUEUED
        queue = (await client.get(queue_url(ONE_QUEUED), headers=actual())).json()
    assert [m["content"] for m in queue["messages"]] == ["New", "Second"]


# actual profile ----------------------------------------------------------------------------


async def test_actual_get_queue_envelope(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        response = await client.get(queue_url(FULL_QUEUE), headers=session())
    assert response.status_code == 200
    assert response.json() == {"messages": FULL_QUEUE_MESSAGES, "max_queue_messages": 2}
    assert response.text.startswith('{"messages":[{"id":"5d5f')  # compact, in PostHog's order


async def test_actual_enqueue_records_every_field(make_client: ClientFactory):
    async with make_client(profile="actual", key=None, id_seed=7) as client:
        response = await client.post(
            queue_url(ONE_QUEUED),
            json={
                "content": "  Compare it with May.  ",
                "contextual_tools": {"insight": {"id": 3}},
                "ui_context": {"dashboards": []},
                "billing_context": {"plan": "free"},
                "agent_mode": "sql",
                "session_id": "ignored: the header is what counts",
                "unknown": "ignored",
            },
            headers={**session(), "X-POSTHOG-SESSION-ID": "sess-123"},
        )
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert len(messages) == 2
    new = messages[1]
    assert PYTHON_ISO_UTC.match(new["created_at"])
    assert re.fullmatch(r"[0-9a-f-]{36}", new["id"])
    assert new == queued(
        new["id"],
        "Compare it with May.",
        new["created_at"],
        contextual_tools={"insight": {"id": 3}},
        ui_context={"dashboards": []},
        billing_context={"plan": "free"},
        agent_mode="sql",
        session_id="sess-123",
    )


async def test_actual_queue_full_then_accepted_after_a_run(make_client: ClientFactory):
    """PostHog's newest queue refuses only a full queue: a conversation whose last run has
    ended takes the message, which waits for its next run (no `not_running`)."""
    async with make_client(profile="actual", key=None) as client:
        full = await client.post(queue_url(FULL_QUEUE), json={"content": "3rd"}, headers=session())
        ended = await client.post(queue_url(DRAIN_CLOSED), json={"content": "x"}, headers=session())
    assert (full.status_code, full.json()) == (
        409,
        {"error": "queue_full", "detail": "Only two messages can be queued at a time."},
    )
    assert ended.status_code == 200
    assert [message["content"] for message in ended.json()["messages"]] == ["x"]


async def test_actual_patch_keeps_id_and_created_at(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        response = await client.patch(
            queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[1]),
            json={"content": "By region instead.", "agent_mode": "ignored-key"},
            headers=session(),
        )
    assert response.status_code == 200
    assert response.json()["messages"] == [
        FULL_QUEUE_MESSAGES[0],
        {**FULL_QUEUE_MESSAGES[1], "content": "By region instead."},
    ]


async def test_actual_delete_returns_the_remaining_items(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        response = await client.delete(
            queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]), headers=session()
        )
    assert response.status_code == 200
    assert response.json() == {"messages": FULL_QUEUE_MESSAGES[1:], "max_queue_messages": 2}


async def test_actual_clear_empties_but_keeps_the_drain_open(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        cleared = await client.post(queue_url(FULL_QUEUE) + "clear/", json={}, headers=session())
        again = await client.post(queue_url(FULL_QUEUE), json={"content": "x"}, headers=session())
    assert cleared.json() == {"messages": [], "max_queue_messages": 2}
    assert again.status_code == 200
    assert [m["content"] for m in again.json()["messages"]] == ["x"]


async def test_fifo_order_and_limit(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        await client.post(queue_url(UNTITLED), json={"content": "one"}, headers=session())
        await client.post(queue_url(UNTITLED), json={"content": "two"}, headers=session())
        third = await client.post(queue_url(UNTITLED), json={"content": "three"}, headers=session())
        queue = await client.get(queue_url(UNTITLED), headers=session())
    assert third.status_code == 409
    assert [m["content"] for m in queue.json()["messages"]] == ["one", "two"]


# errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["documented", "actual"])
async def test_queue_lookup_errors(make_client: ClientFactory, profile: str):
    async with make_client(profile=profile, key=None) as client:
        headers = {**session(), "X-Fakeserver-Profile": profile}
        if profile == "documented":
            headers = bearer()
        deleted = await client.get(queue_url(DELETED), headers=headers)
        missing = await client.get(
            queue_url("00000000-0000-4000-8000-000000000000"), headers=headers
        )
        not_uuid = await client.get(queue_url("not-a-uuid"), headers=headers)
        others = await client.post(queue_url(BOBS), json={"content": "x"}, headers=headers)
        no_item = await client.patch(queue_url(FULL_QUEUE, "nope"), json={}, headers=headers)
        no_item_delete = await client.delete(queue_url(FULL_QUEUE, "nope"), headers=headers)
    for response in (deleted, missing, not_uuid):
        assert (response.status_code, response.json()) == (404, {"error": "Conversation not found"})
    assert (others.status_code, others.json()) == (
        403,
        {"error": "Cannot access other users' conversations"},
    )
    for response in (no_item, no_item_delete):
        assert (response.status_code, response.json()) == (
            404,
            {"detail": "Queue message not found."},
        )


@pytest.mark.parametrize(
    ("body", "detail", "code", "attr"),
    [
        ({}, "This field is required.", "required", "content"),
        ({"content": ""}, "This field may not be blank.", "blank", "content"),
        ({"content": "   "}, "This field may not be blank.", "blank", "content"),
        ({"content": None}, "This field may not be null.", "null", "content"),
        ({"content": ["x"]}, "Not a valid string.", "invalid_input", "content"),
        (
            {"content": "x" * 40001},
            "Ensure this field has no more than 40000 characters.",
            "max_length",
            "content",
        ),
        (
            {"content": "x", "contextual_tools": [1]},
            'Expected a dictionary of items but got type "list".',
            "not_a_dict",
            "contextual_tools",
        ),
        (
            {"content": "x", "agent_mode": "nope"},
            '"nope" is not a valid choice.',
            "invalid_choice",
            "agent_mode",
        ),
        (["content"], "Invalid data. Expected a dictionary, but got list.", "invalid_input", None),
        (
            {"content": "a\x00b"},
            "Null characters are not allowed.",
            "null_characters_not_allowed",
            "content",
        ),
    ],
)
async def test_enqueue_validation(make_client: ClientFactory, body, detail, code, attr):
    async with make_client() as client:
        response = await client.post(queue_url(ONE_QUEUED), json=body)
        queue = await client.get(queue_url(ONE_QUEUED), headers=actual())
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": code,
        "detail": detail,
        "attr": attr,
    }
    assert [m["id"] for m in queue.json()["messages"]] == [ONE_QUEUED_ITEM]


async def test_enqueue_refuses_the_first_surrogate_and_keeps_other_non_ascii(
    make_client: ClientFactory,
):
    json_headers = {"Content-Type": "application/json"}
    async with make_client() as client:
        refused = await client.post(
            queue_url(ONE_QUEUED),
            content=b'{"content": "h\\u00e9llo \\udc80 and \\ud800"}',
            headers=json_headers,
        )
        accepted = await client.post(queue_url(ONE_QUEUED), json={"content": "h\u00e9llo \u2603"})
        queue = await client.get(queue_url(ONE_QUEUED), headers=actual())
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "validation_error",
        "code": "surrogate_characters_not_allowed",
        "detail": "Surrogate characters are not allowed: U+DC80.",
        "attr": "content",
    }
    assert accepted.status_code == 200
    assert [m["content"] for m in queue.json()["messages"]][1:] == ["h\u00e9llo \u2603"]


async def test_patch_checks_the_item_before_the_body(make_client: ClientFactory):
    async with make_client() as client:
        missing = await client.patch(
            queue_url(ONE_QUEUED, "nope"),
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        bad = await client.patch(queue_url(ONE_QUEUED, ONE_QUEUED_ITEM), json={"content": ""})
    assert missing.status_code == 404
    assert bad.json()["code"] == "blank"


async def test_clear_rejects_patch_and_delete_with_405(make_client: ClientFactory):
    async with make_client() as client:
        for method in ("PATCH", "DELETE"):
            response = await client.request(method, queue_url(FULL_QUEUE) + "clear/")
            assert response.status_code == 405
            assert response.headers["allow"] == "POST"
            assert response.json() == {
                "type": "invalid_request",
                "code": "method_not_allowed",
                "detail": f'Method "{method}" not allowed.',
                "attr": None,
            }


@pytest.mark.parametrize("prefix", ["projects", "environments"])
@pytest.mark.parametrize("slash", ["/", ""])
async def test_both_prefixes_and_optional_slash(make_client: ClientFactory, prefix, slash):
    async with make_client(profile="actual", key=None) as client:
        url = queue_url(FULL_QUEUE, prefix=prefix).rstrip("/") + slash
        response = await client.get(url, headers=session())
        current = await client.get(url.replace("/1/", "/@current/"), headers=session())
    assert response.json()["messages"] == FULL_QUEUE_MESSAGES
    assert current.json() == response.json()


async def test_uppercase_conversation_id_is_the_same_conversation(make_client: ClientFactory):
    async with make_client(profile="actual", key=None) as client:
        response = await client.get(queue_url(FULL_QUEUE.upper()), headers=session())
    assert response.json()["messages"] == FULL_QUEUE_MESSAGES


async def test_conversation_detail_is_not_a_queue(make_client: ClientFactory):
    """Sanity: the queue is not part of the retrieve body in either profile."""
    async with make_client() as client:
        response = await client.get(conversation_url(FULL_QUEUE))
    assert "queue" not in response.json()
