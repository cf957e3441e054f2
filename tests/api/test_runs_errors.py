"""create, append_message and open: every refusal with its exact body, and the answers of
append_message and open (the stream a create answers: test_runs_stream.py)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ClientFactory
from runs_harness import (
    ADA,
    ADA_SESSION,
    BASE,
    BOBS,
    DELETED,
    ERROR_SPIKES,
    SANDBOX,
    message_body,
    new_id,
)

from fakeserver.domain.tasks import opened_task_id

pytestmark = pytest.mark.anyio

VALID = {
    "content": "hi",
    "conversation": ERROR_SPIKES,
    "trace_id": "4f8c1e2b-1b7a-4c39-9d5e-6a4f8c1e2b10",
}
NO_KEYS = {
    "type": "authentication_error",
    "code": "permission_denied",
    "detail": "This action does not support personal API key access",
    "attr": None,
}


def invalid(detail: str, code: str = "invalid_input", attr: str | None = None) -> dict[str, Any]:
    return {"type": "validation_error", "code": code, "detail": detail, "attr": attr}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, invalid("This field is required.", "required", "content")),
        ({**VALID, "content": "  "}, invalid("This field may not be blank.", "blank", "content")),
        (
            {**VALID, "content": "x" * 40001},
            invalid(
                "Ensure this field has no more than 40000 characters.", "max_length", "content"
            ),
        ),
        ({"content": "hi"}, invalid("This field is required.", "required", "conversation")),
        (
            {**VALID, "content": "", "conversation": "x"},
            invalid("This field may not be blank.", "blank", "content"),
        ),
        ({**VALID, "conversation": "x"}, invalid("Must be a valid UUID.", attr="conversation")),
        (
            {"content": "hi", "conversation": ERROR_SPIKES},
            invalid("This field is required.", "required", "trace_id"),
        ),
        ({**VALID, "trace_id": 5.5}, invalid("Must be a valid UUID.", attr="trace_id")),
        (
            {**VALID, "contextual_tools": "x"},
            invalid(
                'Expected a dictionary of items but got type "str".',
                "not_a_dict",
                "contextual_tools",
            ),
        ),
        ({**VALID, "session_id": []}, invalid("Not a valid string.", attr="session_id")),
        (
            {**VALID, "agent_mode": "bogus"},
            invalid('"bogus" is not a valid choice.', "invalid_choice", "agent_mode"),
        ),
        ({**VALID, "is_sandbox": "maybe"}, invalid("Must be a valid boolean.", attr="is_sandbox")),
        ([VALID], invalid("Invalid data. Expected a dictionary, but got list.")),
    ],
)
async def test_create_validation_errors_in_serializer_order(
    make_client: ClientFactory, body: Any, error: dict[str, Any]
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(BASE + "/", headers=ADA, json=body)
        assert (response.status_code, response.json()) == (400, error)
        queue = await http.get(f"{BASE}/{ERROR_SPIKES}/queue/", headers=ADA_SESSION)
        assert queue.json()["messages"] == []  # nothing ran


@pytest.mark.parametrize(
    ("conversation", "content", "extra", "status", "error"),
    [
        (BOBS, "hi", {}, 400, {"error": "Cannot access other users' conversations"}),
        # Ada's conversation in project 2, through project 1: the lookup is not team-scoped.
        (
            "2a2a2a2a-3b3b-4c4c-8d5d-6e6e6e6e6e06",
            "hi",
            {},
            400,
            {"error": "Cannot access other users' conversations"},
        ),
        (DELETED, "hi", {}, 404, {"error": "Conversation does not exist"}),
        (
            "00000000-0000-4000-8000-000000000001",
            None,
            {},
            400,
            {"error": "Cannot stream from non-existent conversation"},
        ),
        (
            SANDBOX,
            "hi",
            {},
            400,
            invalid("Sandbox conversations must be opened via the open endpoint."),
        ),
        (
            "00000000-0000-4000-8000-000000000002",
            "hi",
            {"is_sandbox": True},
            400,
            invalid("Sandbox conversations must be opened via the open endpoint."),
        ),
        (
            "00000000-0000-4000-8000-000000000003",
            "hi",
            {"agent_mode": "sandbox"},
            400,
            invalid("Sandbox conversations must be opened via the open endpoint."),
        ),
        (
            ERROR_SPIKES,
            None,
            {"resume_payload": None},
            400,
            invalid("Cannot continue streaming from an idle conversation"),
        ),
    ],
)
async def test_create_refusals(
    make_client: ClientFactory,
    conversation: str,
    content: str | None,
    extra: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(
            BASE + "/", headers=ADA, json=message_body(conversation, content, **extra)
        )
        assert (response.status_code, response.json()) == (status, error)
        # Nothing was created or started.
        queue = await http.get(f"{BASE}/{conversation}/queue/", headers=ADA_SESSION)
        assert queue.status_code in (403, 404) or queue.json()["messages"] == []
        if conversation.startswith("00000000"):
            assert queue.json() == {"error": "Conversation not found"}


async def test_create_needs_the_write_scope(make_client: ClientFactory) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(
            BASE + "/", json=VALID, headers={"Authorization": "Bearer phx_ada_read"}
        )
        assert (response.status_code, response.json()) == (
            403,
            {
                "type": "authentication_error",
                "code": "permission_denied",
                "detail": "API key missing required scope 'conversation:write'",
                "attr": None,
            },
        )


async def test_research_mode_makes_a_deep_research_conversation(make_client: ClientFactory) -> None:
    async with make_client("actual", key=None) as http:
        conversation = new_id()
        response = await http.post(
            BASE + "/",
            headers=ADA,
            json=message_body(conversation, "Research our churn", agent_mode="research"),
        )
        assert response.status_code == 200
        retrieved = (await http.get(f"{BASE}/{conversation}/", headers=ADA)).json()
        assert (retrieved["type"], retrieved["agent_mode"]) == ("deep_research", "research")


# append_message ----------------------------------------------------------------------------


async def test_append_message_actual_201_id_and_the_message_is_stored(
    make_client: ClientFactory,
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(
            f"{BASE}/{ERROR_SPIKES}/append_message/",
            headers=ADA_SESSION,
            json={"content": "Note from a tool"},
        )
        assert response.status_code == 201
        appended = response.json()
        assert list(appended) == ["id"]
        messages = (await http.get(f"{BASE}/{ERROR_SPIKES}/", headers=ADA)).json()["messages"]
        assert messages[-1] == {"content": "Note from a tool", "id": appended["id"], "type": "ai"}


async def test_append_message_documented_200_content_with_a_key(make_client: ClientFactory) -> None:
    async with make_client(key=None) as http:
        response = await http.post(
            f"{BASE}/{ERROR_SPIKES}/append_message/", headers=ADA, json={"content": "Note"}
        )
        assert (response.status_code, response.json()) == (200, {"content": "Note"})


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (f"{BASE}/{ERROR_SPIKES}/append_message/", "POST"),
        (f"{BASE}/{ERROR_SPIKES}/cancel/", "PATCH"),
        (f"{BASE}/{SANDBOX}/open/", "POST"),
    ],
)
async def test_actual_refuses_personal_api_keys(
    make_client: ClientFactory, path: str, method: str
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.request(method, path, headers=ADA, json={"content": "x"})
        assert (response.status_code, response.json()) == (403, NO_KEYS)


@pytest.mark.parametrize(
    ("conversation", "body", "status", "error"),
    [
        (
            BOBS,
            {"content": "x"},
            404,
            {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None},
        ),
        (
            DELETED,
            {"content": "x"},
            404,
            {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None},
        ),
        (ERROR_SPIKES, {}, 400, invalid("This field is required.", "required", "content")),
        (
            ERROR_SPIKES,
            {"content": "x" * 10001},
            400,
            invalid(
                "Ensure this field has no more than 10000 characters.", "max_length", "content"
            ),
        ),
    ],
)
async def test_append_message_refusals(
    make_client: ClientFactory,
    conversation: str,
    body: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(
            f"{BASE}/{conversation}/append_message/", headers=ADA_SESSION, json=body
        )
        assert (response.status_code, response.json()) == (status, error)


# open --------------------------------------------------------------------------------------


async def test_open_a_sandbox_conversation(make_client: ClientFactory) -> None:
    async with make_client("actual", key=None) as http:
        trace = new_id()
        url = f"{BASE}/{SANDBOX}/open/"
        first = await http.post(url, headers=ADA_SESSION, json={"content": "go", "trace_id": trace})
        assert first.status_code == 200
        body = first.json()
        assert body == {
            "task_id": opened_task_id(SANDBOX),
            "run_id": body["run_id"],
            "trace_id": trace,
            "run_status": "in_progress",
            "just_created_run": True,
        }
        again = await http.post(url, headers=ADA_SESSION, json={"task_id": opened_task_id(SANDBOX)})
        assert again.json() == {**body, "trace_id": None, "just_created_run": False}


@pytest.mark.parametrize(
    ("conversation", "body", "status", "error"),
    [
        (ERROR_SPIKES, {}, 400, invalid("This conversation is not on the sandbox runtime.")),
        (
            "00000000-0000-4000-8000-000000000004",
            {},
            400,
            invalid("This conversation is not on the sandbox runtime."),
        ),
        (
            DELETED,
            {},
            404,
            {
                "type": "invalid_request",
                "code": "not_found",
                "detail": "Conversation does not exist",
                "attr": None,
            },
        ),
        (
            BOBS,
            {},
            403,
            {
                "type": "authentication_error",
                "code": "permission_denied",
                "detail": "Cannot access other users' conversations",
                "attr": None,
            },
        ),
        (
            SANDBOX,
            {"task_id": "00000000-0000-4000-8000-000000000005"},
            400,
            invalid("Task not found or not accessible.", attr="task_id"),
        ),
        (
            SANDBOX,
            {"initial_permission_mode": "yolo"},
            400,
            invalid('"yolo" is not a valid choice.', "invalid_choice", "initial_permission_mode"),
        ),
    ],
)
async def test_open_refusals(
    make_client: ClientFactory,
    conversation: str,
    body: dict[str, Any],
    status: int,
    error: dict[str, Any],
) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.post(f"{BASE}/{conversation}/open/", headers=ADA_SESSION, json=body)
        assert (response.status_code, response.json()) == (status, error)


async def test_documented_accepts_keys_on_open_and_cancel(make_client: ClientFactory) -> None:
    async with make_client(key=None) as http:
        opened = await http.post(f"{BASE}/{SANDBOX}/open/", headers=ADA, json={})
        assert opened.status_code == 200
        canceled = await http.patch(f"{BASE}/{ERROR_SPIKES}/cancel/", headers=ADA)
        assert (canceled.status_code, canceled.content) == (204, b"")


async def test_wrong_method_on_the_new_paths_is_405(make_client: ClientFactory) -> None:
    async with make_client("actual", key=None) as http:
        response = await http.get(f"{BASE}/{ERROR_SPIKES}/cancel/", headers=ADA_SESSION)
        assert response.status_code == 405
        assert response.headers["allow"] == "PATCH"
        assert response.json()["detail"] == 'Method "GET" not allowed.'
