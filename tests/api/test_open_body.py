"""open's body as PostHog's `SandboxOpenSerializer` checks it: `attached_context` item by item,
with the nested `attr` drf-exceptions-hog builds (`attached_context__0__name`)."""

from __future__ import annotations

from typing import Any

import pytest
from runs_harness import ADA, ADA_SESSION, BASE, SANDBOX, asgi_client, create_app_for_tests

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
    profile: str, attached: Any, error: dict[str, Any]
) -> None:
    ada = ADA_SESSION if profile == "actual" else ADA  # the docs know personal API keys only
    async with asgi_client(create_app_for_tests(profile)) as http:
        url = f"{BASE}/{SANDBOX}/open/"
        response = await http.post(url, headers=ada, json={"attached_context": attached})
        assert (response.status_code, response.json()) == (400, error)
        retrieved = await http.get(f"{BASE}/{SANDBOX}/", headers=ada)
        assert retrieved.json()["updated_at"] == "2026-10-28T10:00:00Z"  # unchanged


async def test_attached_context_that_passes() -> None:
    """`id` is any JSON, names and values may be numbers (DRF's CharField), unknown keys and an
    empty list are ignored."""
    attached = [
        {"type": "dashboard", "id": 12, "name": "Growth"},
        {"type": "insight", "id": {"short_id": "abc"}, "name": 5, "extra": True},
        {"type": "text", "value": "a free note"},
    ]
    async with asgi_client(create_app_for_tests("actual")) as http:
        for body in ({"attached_context": attached}, {"attached_context": []}):
            response = await http.post(f"{BASE}/{SANDBOX}/open/", headers=ADA_SESSION, json=body)
            assert response.status_code == 200, response.text


async def test_first_bad_field_wins() -> None:
    """Serializer order: a bad `trace_id` is reported before a bad `attached_context`."""
    body = {"trace_id": "nope", "attached_context": [{"type": "event", "name": True}]}
    async with asgi_client(create_app_for_tests("actual")) as http:
        response = await http.post(f"{BASE}/{SANDBOX}/open/", headers=ADA_SESSION, json=body)
        assert response.json() == invalid("Must be a valid UUID.", "invalid_input", "trace_id")
