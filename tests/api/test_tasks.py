"""Task-backed (sandbox) conversations: `task` in list and retrieve, retrieve's visibility rule,
and open's task checks, first use, 204 warm answer and title, as PostHog's newest view does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ServerFactory

from fakeserver.fixture_files import default_fixture_path

pytestmark = pytest.mark.anyio

TASKS_FIXTURE = Path(__file__).parent / "data" / "tasks.yaml"
CSRF = "a" * 32
BASE = "/api/projects/1/conversations"

OWN = "5a5a0000-0000-4000-8000-000000000001"
PI = "5a5a0000-0000-4000-8000-000000000002"
DELETED_TASK = "5a5a0000-0000-4000-8000-000000000003"
BOBS_PRIVATE = "5a5a0000-0000-4000-8000-000000000004"
TEAM_TASK = "5a5a0000-0000-4000-8000-000000000005"
LANGGRAPH = "5a5a0000-0000-4000-8000-000000000006"
POOL_FULL = "5a5a0000-0000-4000-8000-000000000007"
OWN_TASK_ID = "7a5c0000-0000-4000-8000-000000000001"
PI_TASK_ID = "7a5c0000-0000-4000-8000-000000000002"
DELETED_TASK_ID = "7a5c0000-0000-4000-8000-000000000003"

SAM = {
    "id": 7,
    "uuid": "0190a1b2-0000-4000-8000-0000000005a7",
    "distinct_id": "sam-distinct-id",
    "first_name": "Sam",
    "last_name": "",
    "email": "sam@example.com",
    "is_email_verified": True,
    "hedgehog_config": None,
    "role_at_organization": None,
}
OWN_TASK = {
    "id": OWN_TASK_ID,
    "task_number": 12,
    "slug": "fix-login-redirect",
    "title": "Fix the login redirect",
    "title_manually_set": True,
    "description": "Users land on a 404 after logging in.",
    "origin_product": "posthog_ai",
    "runtime": "acp",
    "repository": "posthog/posthog",
    "github_integration": None,
    "github_user_integration": None,
    "signal_report": None,
    "json_schema": None,
    "internal": False,
    "archived": False,
    "archived_at": None,
    "latest_run": "7a5c0000-0000-4000-8000-0000000000a1",
    "created_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-21T10:00:00Z",
    "created_by": SAM,
    "ci_prompt": None,
}


def signed_in(user: str) -> dict[str, str]:
    return {"Cookie": f"sessionid=ses-{user}; posthog_csrftoken={CSRF}", "X-CSRFToken": CSRF}


SAM_SESSION = signed_in("sam")


def invalid(detail: str, attr: str | None = None) -> dict[str, Any]:
    return {"type": "validation_error", "code": "invalid_input", "detail": detail, "attr": attr}


NOT_FOUND = {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


@pytest.fixture
async def http(make_server: ServerFactory) -> AsyncIterator[httpx.AsyncClient]:
    server = make_server((default_fixture_path(), TASKS_FIXTURE), profile="actual", id_seed=3)
    async with server.async_client() as client:
        yield client


# task in list and retrieve ------------------------------------------------------------------


async def test_retrieve_renders_the_task(http: httpx.AsyncClient) -> None:
    body = (await http.get(f"{BASE}/{OWN}/", headers=SAM_SESSION)).json()
    assert body["task"] == OWN_TASK
    assert list(body)[-1] == "task"


async def test_list_renders_each_task_as_its_owner_sees_it(http: httpx.AsyncClient) -> None:
    page = (await http.get(f"{BASE}/", headers=SAM_SESSION)).json()
    tasks = {row["id"]: row["task"] for row in page["results"]}
    assert tasks[OWN] == OWN_TASK
    assert tasks[PI]["runtime"] == "pi"
    assert tasks[TEAM_TASK]["created_by"]["first_name"] == "Bob"
    assert tasks[DELETED_TASK] is None  # deleted: no task to show
    assert tasks[BOBS_PRIVATE] is None  # Sam may not see Bob's private task
    assert tasks[LANGGRAPH] is None


@pytest.mark.parametrize("conversation", [DELETED_TASK, BOBS_PRIVATE])
async def test_retrieve_hides_a_conversation_whose_task_is_gone_or_hidden(
    http: httpx.AsyncClient, conversation: str
) -> None:
    response = await http.get(f"{BASE}/{conversation}/", headers=SAM_SESSION)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


async def test_a_teammate_retrieves_only_what_the_task_lets_him_see(
    http: httpx.AsyncClient,
) -> None:
    bob = signed_in("bob")
    assert (await http.get(f"{BASE}/{OWN}/", headers=bob)).status_code == 404  # Sam's task
    shared = await http.get(f"{BASE}/{TEAM_TASK}/", headers=bob)
    assert shared.status_code == 200 and shared.json()["task"]["title"] == "Signal report follow-up"


async def test_documented_shows_no_task_but_hides_alike(http: httpx.AsyncClient) -> None:
    documented = {"Authorization": "Bearer phx_sam_all", "X-Fakeserver-Profile": "documented"}
    assert "task" not in (await http.get(f"{BASE}/{OWN}/", headers=documented)).json()
    hidden = await http.get(f"{BASE}/{DELETED_TASK}/", headers=documented)
    assert hidden.status_code == 404


# open: tasks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conversation", "body", "error"),
    [
        (
            OWN,
            {"task_id": PI_TASK_ID},
            invalid("Pi tasks cannot be opened in PostHog AI.", "task_id"),
        ),
        (
            OWN,
            {"task_id": DELETED_TASK_ID},
            invalid("Task not found or not accessible.", "task_id"),
        ),
        (PI, {}, invalid("Pi tasks cannot be opened in PostHog AI.")),
        (DELETED_TASK, {"content": "hi"}, invalid("Task not found or not accessible.")),
        (BOBS_PRIVATE, {}, invalid("Task not found or not accessible.")),
    ],
)
async def test_open_refuses_tasks_it_cannot_open(
    http: httpx.AsyncClient, conversation: str, body: dict[str, Any], error: dict[str, Any]
) -> None:
    response = await http.post(f"{BASE}/{conversation}/open/", headers=SAM_SESSION, json=body)
    assert (response.status_code, response.json()) == (400, error)


async def test_open_rejoins_the_task_and_retrieve_follows_its_run(http: httpx.AsyncClient) -> None:
    opened = await http.post(f"{BASE}/{OWN}/open/", headers=SAM_SESSION, json={"content": "go"})
    assert opened.status_code == 200
    answer = opened.json()
    assert (answer["task_id"], answer["just_created_run"]) == (OWN_TASK_ID, True)
    task = (await http.get(f"{BASE}/{OWN}/", headers=SAM_SESSION)).json()["task"]
    assert task == {**OWN_TASK, "latest_run": answer["run_id"]}


async def test_open_gives_a_fresh_sandbox_conversation_its_task(http: httpx.AsyncClient) -> None:
    sandbox = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a803"  # Ada's, in the default fixture
    ada = signed_in("ada")
    assert (await http.get(f"{BASE}/{sandbox}/", headers=ada)).json()["task"] is None
    answer = (await http.post(f"{BASE}/{sandbox}/open/", headers=ada, json={})).json()
    task = (await http.get(f"{BASE}/{sandbox}/", headers=ada)).json()["task"]
    assert (task["id"], task["latest_run"]) == (answer["task_id"], answer["run_id"])
    assert (task["title"], task["origin_product"], task["created_by"]["first_name"]) == (
        "Fix the flaky signup test",
        "posthog_ai",
        "Ada",
    )


# open: first use, conversion, title, 204 -----------------------------------------------------


async def test_first_use_creates_a_sandbox_conversation_bound_to_the_task(
    http: httpx.AsyncClient,
) -> None:
    new = "5a5a0000-0000-4000-8000-0000000000f1"
    body = {"content": "  Look at the login redirect again  ", "task_id": OWN_TASK_ID}
    opened = await http.post(f"{BASE}/{new}/open/", headers=SAM_SESSION, json=body)
    assert (opened.status_code, opened.json()["task_id"]) == (200, OWN_TASK_ID)
    created = (await http.get(f"{BASE}/{new}/", headers=SAM_SESSION)).json()
    assert (created["title"], created["agent_runtime"], created["task"]["id"]) == (
        "Look at the login redirect again",
        "sandbox",
        OWN_TASK_ID,
    )


async def test_first_use_needs_the_sandbox_flag(http: httpx.AsyncClient) -> None:
    new = "5a5a0000-0000-4000-8000-0000000000f2"
    response = await http.post(f"{BASE}/{new}/open/", headers=signed_in("ada"), json={})
    assert response.json() == invalid("This conversation is not on the sandbox runtime.")


async def test_a_first_message_turns_langgraph_into_sandbox(http: httpx.AsyncClient) -> None:
    warm = await http.post(f"{BASE}/{LANGGRAPH}/open/", headers=SAM_SESSION, json={})
    assert warm.json() == invalid("This conversation is not on the sandbox runtime.")
    opened = await http.post(
        f"{BASE}/{LANGGRAPH}/open/", headers=SAM_SESSION, json={"content": "hi"}
    )
    assert opened.status_code == 200
    converted = (await http.get(f"{BASE}/{LANGGRAPH}/", headers=SAM_SESSION)).json()
    assert (converted["agent_runtime"], converted["task"]["id"]) == (
        "sandbox",
        opened.json()["task_id"],
    )


async def test_open_titles_an_untitled_conversation_with_its_first_80_characters(
    http: httpx.AsyncClient,
) -> None:
    new = "5a5a0000-0000-4000-8000-0000000000f3"
    text = "x" * 100
    await http.post(f"{BASE}/{new}/open/", headers=SAM_SESSION, json={"content": text})
    assert (await http.get(f"{BASE}/{new}/", headers=SAM_SESSION)).json()["title"] == "x" * 80


async def test_a_warm_open_that_provisions_nothing_is_204_and_leaves_nothing(
    http: httpx.AsyncClient,
) -> None:
    base = "/api/projects/3/conversations"
    new = "5a5a0000-0000-4000-8000-0000000000f4"
    warm_new = await http.post(f"{base}/{new}/open/", headers=SAM_SESSION, json={})
    assert (warm_new.status_code, warm_new.content) == (204, b"")
    still_none = await http.post(
        f"{base}/{new}/open/", headers=signed_in("sam"), json={"content": None}
    )
    assert still_none.status_code == 204
    listed = (await http.get(f"{base}/", headers=SAM_SESSION)).json()
    assert [row["id"] for row in listed["results"]] == [POOL_FULL]
    warm_existing = await http.post(f"{base}/{POOL_FULL}/open/", headers=SAM_SESSION, json={})
    assert warm_existing.status_code == 204
    with_content = await http.post(
        f"{base}/{POOL_FULL}/open/", headers=SAM_SESSION, json={"content": "start"}
    )
    assert with_content.status_code == 200
    again_warm = await http.post(f"{base}/{POOL_FULL}/open/", headers=SAM_SESSION, json={})
    assert (again_warm.status_code, again_warm.json()["just_created_run"]) == (200, False)
