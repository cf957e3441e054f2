"""open's body as PostHog's `SandboxOpenSerializer` checks it: `attached_context` item by item,
with the nested `attr` drf-exceptions-hog builds (`attached_context__0__name`)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ServerFactory
from runs_harness import ADA, ADA_SESSION, BASE, SANDBOX

pytestmark = pytest.mark.anyio


def invalid(detail: str, code: str, attr: str | None) -> dict[str, Any]:
    return {"type": "validation_error", "code": code, "detail": detail, "attr": attr}


@pytest.mark.parametrize("profile", ["actual", "documented"])
@pytest.mark.parametrize(
    ("attached", "error"),
    [
        (
            [{"type": "event", "name": True}],
            invalid("Not a valid string.", "invalid_input", "attached_context__0__name"),
        ),
        (
            [{"type": "text", "value": "ok"}, {"type": "event", "value": ["x"]}],
            invalid("Not a valid string.", "invalid_input", "attached_context__1__value"),
        ),
        (
            [{"type": "cohort", "id": 1}],
            invalid(
                '"cohort" is not a valid choice.', "invalid_choice", "attached_context__0__type"
            ),
        ),
        (
            [{"id": 7}],
            invalid("This field is required.", "required", "attached_context__0__type"),
        ),
        (
            [{"type": "insight", "id": None}],
            invalid("This field may not be null.", "null", "attached_context__0__id"),
        ),
        (
            [{"type": "text", "value": "   "}],
            invalid("This field may not be blank.", "blank", "attached_context__0__value"),
        ),
        ([None], invalid("This field may not be null.", "null", "attached_context__0")),
        (
            ["dashboard"],
            invalid(
                "Invalid data. Expected a dictionary, but got str.",
                "invalid_input",
                "attached_context__0__non_field_errors",
            ),
        ),
        (
            {"type": "event"},
            invalid(
                'Expected a list of items but got type "dict".', "not_a_list", "attached_context"
            ),
        ),
        (None, invalid("This field may not be null.", "null", "attached_context")),
    ],
)
async def test_attached_context_refusals(
    make_server: ServerFactory, profile: str, attached: Any, error: dict[str, Any]
) -> None:
    ada = ADA_SESSION if profile == "actual" else ADA  # the docs know personal API keys only
    async with make_server(profile=profile).async_client() as http:
        url = f"{BASE}/{SANDBOX}/open/"
        response = await http.post(url, headers=ada, json={"attached_context": attached})
        assert (response.status_code, response.json()) == (400, error)
        retrieved = await http.get(f"{BASE}/{SANDBOX}/", headers=ada)
        assert retrieved.json()["updated_at"] == "2026-10-28T10:00:00Z"  # unchanged


async def test_attached_context_that_passes(make_server: ServerFactory) -> None:
    """`id` is any JSON, names and values may be numbers (DRF's CharField), unknown keys and an
    empty list are ignored."""
    attached = [
        {"type": "dashboard", "id": 12, "name": "Growth"},
        {"type": "insight", "id": {"short_id": "abc"}, "name": 5, "extra": True},
        {"type": "text", "value": "a free note"},
    ]
    async with make_server(profile="actual").async_client() as http:
        for body in ({"attached_context": attached}, {"attached_context": []}):
            response = await http.post(f"{BASE}/{SANDBOX}/open/", headers=ADA_SESSION, json=body)
            assert response.status_code == 200, response.text


async def test_first_bad_field_wins(make_server: ServerFactory) -> None:
    """Serializer order: a bad `trace_id` is reported before a bad `attached_context`."""
    body = {"trace_id": "nope", "attached_context": [{"type": "event", "name": True}]}
    async with make_server(profile="actual").async_client() as http:
        response = await http.post(f"{BASE}/{SANDBOX}/open/", headers=ADA_SESSION, json=body)
        assert response.json() == invalid("Must be a valid UUID.", "invalid_input", "trace_id")


@pytest.mark.parametrize(
    ("suffix", "body", "error"),
    [
        (
            "queue/",
            {"content": "x", "ui_context": None},
            invalid("This field may not be null.", "null", "ui_context"),
        ),
        (
            "queue/",
            {"content": "x", "billing_context": None},
            invalid("This field may not be null.", "null", "billing_context"),
        ),
        (
            "queue/",
            {"content": "x", "ui_context": ["a list"]},
            invalid("Invalid message content.", "invalid_input", None),
        ),
    ],
)
async def test_queue_json_fields_refuse_null_and_ui_context_must_be_an_object(
    make_server: ServerFactory, suffix: str, body: dict[str, Any], error: dict[str, Any]
) -> None:
    conversation = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
    async with make_server(profile="actual").async_client() as http:
        url = f"{BASE}/{conversation}/{suffix}"
        response = await http.post(url, headers=ADA_SESSION, json=body)
        assert (response.status_code, response.json()) == (400, error)


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"ui_context": None}, invalid("This field may not be null.", "null", "ui_context")),
        (
            {"billing_context": None},
            invalid("This field may not be null.", "null", "billing_context"),
        ),
        ({"ui_context": "page"}, invalid("Invalid message content.", "invalid_input", None)),
    ],
)
async def test_create_json_fields_refuse_null_and_ui_context_must_be_an_object(
    make_server: ServerFactory, extra: dict[str, Any], error: dict[str, Any]
) -> None:
    body = {
        "content": "hi",
        "conversation": "0b0b0b0b-1111-4222-8333-444455556699",
        "trace_id": "4f8c1e2b-1b7a-4c39-9d5e-6a4f8c1e2b10",
        **extra,
    }
    async with make_server(profile="actual").async_client() as http:
        response = await http.post(f"{BASE}/", headers=ADA, json=body)
        assert (response.status_code, response.json()) == (400, error)
        assert (await http.get(f"{BASE}/{body['conversation']}/", headers=ADA)).status_code == 404


async def test_a_resume_without_a_message_skips_the_message_check(
    make_server: ServerFactory,
) -> None:
    """`content: null` builds no HumanMessage: a non-object `ui_context` passes (PostHog's
    `validate` runs the check only for a message)."""
    body = {
        "content": None,
        "conversation": "0b0b0b0b-1111-4222-8333-444455556698",
        "trace_id": "4f8c1e2b-1b7a-4c39-9d5e-6a4f8c1e2b10",
        "ui_context": "page",
    }
    async with make_server(profile="actual").async_client() as http:
        response = await http.post(f"{BASE}/", headers=ADA, json=body)
        assert response.json() == {"error": "Cannot stream from non-existent conversation"}


async def test_contextual_tools_values_may_not_be_null(make_server: ServerFactory) -> None:
    """DRF's DictField runs its JSONField child on each value: null is refused, under its key."""
    conversation = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
    body = {"content": "x", "contextual_tools": {"search": {"q": None}, "create_insight": None}}
    async with make_server(profile="actual").async_client() as http:
        url = f"{BASE}/{conversation}/queue/"
        response = await http.post(url, headers=ADA_SESSION, json=body)
        expected = invalid(
            "This field may not be null.", "null", "contextual_tools__create_insight"
        )
        assert (response.status_code, response.json()) == (400, expected)
