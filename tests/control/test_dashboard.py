"""The dashboard's page and data endpoints (/_fakeserver/ui...), in process, and the control
API's fixture upload form that the page uses."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADA_KEY, DELETED, ONE_QUEUED, UNTITLED, ServerFactory, queue_url

from fakeserver import FakeServer
from fakeserver.control.dashboard import listing
from fakeserver.control.dashboard.listing import ConversationFilter, conversation_page
from fakeserver.domain.models import Conversation, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed, Store, listing_key
from fakeserver.domain.workspace import Workspace

UI = "/_fakeserver/ui"
DATA = f"{UI}/api"
DEFAULT_TITLES = [
    "Web vitals in project two",
    "Feature flag rollout plan",
    "Signups last week",
    "Retention of the March cohort",
    "Error spikes on checkout",
    None,
    "Fix the flaky signup test",
    None,  # the two untitled ones that contract runs delete
    None,
    "An old, deleted chat",
]
"""The default fixture's conversations, newest change first."""


def rows(client: httpx.Client, **query: Any) -> dict[str, Any]:
    response = client.get(f"{DATA}/conversations", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def version(client: httpx.Client) -> str:
    found: str = client.get(f"{DATA}/version").json()["version"]
    return found


# The page ----------------------------------------------------------------------------------


def test_page_is_one_self_contained_document(client: httpx.Client) -> None:
    response = client.get(UI)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "/*script*/" not in page and "/*style*/" not in page
    # Nothing is loaded from another place: no src/href to a URL, no import.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "connect-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert client.get(f"{UI}/").status_code == 200
    assert client.head(UI).status_code == 200


def test_the_page_and_its_data_obey_the_control_token(make_server: ServerFactory) -> None:
    with make_server(control_token="s3cret") as server, server.client() as client:
        assert client.get(UI).status_code == 401
        assert client.get(UI, params={"token": "wrong"}).status_code == 401
        assert client.get(UI, params={"token": "s3cret"}).status_code == 200
        # Only the page takes the token from its address; the data wants the header.
        assert client.get(f"{DATA}/overview", params={"token": "s3cret"}).status_code == 401
        token = {"X-Fakeserver-Control-Token": "s3cret"}
        assert client.get(f"{DATA}/overview", headers=token).status_code == 200


def test_no_control_api_no_dashboard(make_server: ServerFactory) -> None:
    with make_server(control=False) as server, server.client() as client:
        assert client.get(UI).status_code == 404
        assert client.get(f"{DATA}/version").status_code == 404


# Overview ----------------------------------------------------------------------------------


def test_overview_shows_profile_fixtures_counts_projects_and_redacted_keys(
    client: httpx.Client,
) -> None:
    response = client.get(f"{DATA}/overview")
    body = response.json()
    assert body["namespace"] == "default" and body["namespaces"] == ["default"]
    assert body["profile"] == "documented" and body["profiles"] == ["actual", "documented"]
    assert body["fixtures"][0].endswith("default.yaml")
    assert body["counts"] == {
        "conversations": 10,
        "listed": 6,
        "hidden": 4,
        "running": 0,
        "journal": 0,
        "faults": 0,
    }
    assert {"id": 1, "name": "Default project"} in body["projects"]
    ada = next(user for user in body["users"] if user["email"] == "ada@example.com")
    assert {"key": "phx_ad…", "scopes": ["*"], "projects": None} in ada["keys"]
    assert {"key": "phx_ad…", "scopes": ["conversation:read"], "projects": None} in ada["keys"]
    assert ADA_KEY not in response.text and "phx_bob_all" not in response.text
    assert "conversations_list" in body["operations"]


def test_namespaces_are_listed_default_first_and_read_without_being_created(
    server: FakeServer, client: httpx.Client
) -> None:
    with server.client(api_key=ADA_KEY, namespace="zeta") as zeta:
        zeta.get("/api/projects/1/conversations/")
    with server.client(api_key=ADA_KEY, namespace="alpha") as alpha:
        alpha.get("/api/projects/1/conversations/")
    assert client.get(f"{DATA}/overview").json()["namespaces"] == ["default", "alpha", "zeta"]
    never_used = client.get(f"{DATA}/overview", params={"namespace": "new"}).json()
    assert never_used["counts"]["conversations"] == 10
    assert never_used["namespaces"] == ["default", "alpha", "new", "zeta"]  # it is shown
    assert "new" not in client.get(f"{DATA}/overview").json()["namespaces"]
    assert "new" not in server.state.workspaces
    bad = client.get(f"{DATA}/overview", params={"namespace": "no/slash"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_namespace"


# Conversations -----------------------------------------------------------------------------


def test_conversations_come_newest_first_with_hidden_ones_marked(client: httpx.Client) -> None:
    body = rows(client)
    assert body["count"] == 10 and body["next"] is None
    assert [row["title"] for row in body["conversations"]] == DEFAULT_TITLES
    by_id = {row["id"]: row for row in body["conversations"]}
    assert by_id[DELETED]["hidden"] == "deleted" and by_id[UNTITLED]["hidden"] == "untitled"
    one_queued = by_id[ONE_QUEUED]
    assert one_queued["queue"] == 1 and one_queued["messages"] == 2
    assert one_queued["status"] == "idle" and one_queued["run"] is None


def test_conversation_pages_follow_their_cursor(client: httpx.Client) -> None:
    titles, cursor = [], None
    for _page in range(4):
        body = rows(client, limit=3, **({"cursor": cursor} if cursor else {}))
        assert body["count"] == 10
        titles += [row["title"] for row in body["conversations"]]
        cursor = body["next"]
    assert cursor is None and titles == DEFAULT_TITLES


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({"visibility": "listed"}, [t for t in DEFAULT_TITLES[:-1] if t]),
        ({"visibility": "hidden"}, [None, None, None, "An old, deleted chat"]),
        ({"project": "2"}, ["Web vitals in project two"]),
        ({"user": "2"}, ["Feature flag rollout plan"]),
        ({"q": "SIGNUP"}, ["Signups last week", "Fix the flaky signup test"]),
        ({"q": UNTITLED[:8]}, [None]),
        ({"status": "in_progress"}, []),
        (
            {"project": "1", "user": "1", "visibility": "listed", "q": "e"},
            [
                "Signups last week",
                "Retention of the March cohort",
                "Error spikes on checkout",
                "Fix the flaky signup test",
            ],
        ),
    ],
)
def test_conversation_filters(
    client: httpx.Client, query: dict[str, str], titles: list[str | None]
) -> None:
    body = rows(client, **query)
    assert [row["title"] for row in body["conversations"]] == titles
    assert body["count"] == len(titles)


@pytest.mark.parametrize(
    "query",
    [
        {"status": "asleep"},
        {"visibility": "some"},
        {"project": "one"},
        {"user": "9" * 40},
        {"cursor": "not-a-cursor"},
        {"cursor": "abc~def"},
    ],
)
def test_bad_conversation_queries_are_400s(client: httpx.Client, query: dict[str, str]) -> None:
    response = client.get(f"{DATA}/conversations", params=query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_query"


def test_the_table_follows_changes_made_through_the_api(
    server: FakeServer, client: httpx.Client
) -> None:
    with server.client(api_key=ADA_KEY) as api:
        assert api.post(queue_url(ONE_QUEUED), json={"content": "and churn?"}).status_code == 200
        assert api.delete("/api/projects/1/conversations/" + ONE_QUEUED + "/").status_code == 204
    body = rows(client)
    row = next(row for row in body["conversations"] if row["id"] == ONE_QUEUED)
    assert row["hidden"] == "deleted" and row["queue"] == 2
    assert body["conversations"][0]["id"] == ONE_QUEUED  # deleting it changed it last
    assert rows(client, visibility="listed")["count"] == 5
    assert rows(client, visibility="hidden")["count"] == 5


def _owner_seed(rng: random.Random, size: int) -> tuple[Seed, list[str]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    users = [
        User(
            i,
            str(uuid.UUID(int=i)),
            f"u{i}@x",
            "U",
            str(i),
            None,
            True,
            None,
            None,
            frozenset({1, 2}),
            1,
        )
        for i in (1, 2, 3)
    ]
    conversations = []
    for index in range(size):
        moment = start + timedelta(seconds=rng.randrange(size // 2))  # ties: the id decides
        conversations.append(
            Conversation(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                project_id=rng.choice((1, 2)),
                user_id=rng.choice((1, 2, 3)),
                created_at=moment,
                updated_at=moment,
                title=None if index % 11 == 0 else f"Conversation {index}",
                deleted=index % 13 == 0,
                type="tool_call" if index % 17 == 0 else "assistant",
            )
        )
    seed = Seed.build(
        projects=[Project(1, "One"), Project(2, "Two")],
        users=users,
        api_keys=[PersonalApiKey("phx_x", 1, frozenset({"*"}))],
        conversations=conversations,
    )
    return seed, [c.id for c in conversations]


def _walk(store: Store, wanted: ConversationFilter, limit: int) -> list[str]:
    seen, cursor = [], None
    while True:
        page = conversation_page(store, wanted, cursor, limit)
        seen += [c.id for c in page.conversations]
        assert page.count >= len(seen)
        if page.next_cursor is None:
            return seen
        order, _tilde, conversation_id = page.next_cursor.partition("~")
        cursor = (int(order), conversation_id)


@pytest.mark.parametrize("sorted_matches", [0, 5_000])
@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_pages_equal_a_full_sort_after_random_changes(
    seed_value: int, sorted_matches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page walk shows each matching conversation once, in the order a sort of all of
    them gives, whatever the overlay changed (moved, deleted, named, added); by either path
    of a scanning filter (its matches sorted, or the ordered indexes walked)."""
    monkeypatch.setattr(listing, "SORTED_MATCHES", sorted_matches)
    rng = random.Random(seed_value)
    seed, ids = _owner_seed(rng, 400)
    workspace = Workspace(seed)
    store = workspace.store
    later = datetime(2027, 1, 1, tzinfo=UTC)
    for step, conversation_id in enumerate(rng.sample(ids, 120)):
        with store.update(conversation_id) as writable:
            change = step % 4
            if change == 0:
                writable.updated_at = later + timedelta(seconds=rng.randrange(50))
            elif change == 1:
                writable.deleted = not writable.deleted
            elif change == 2:
                writable.title = None if writable.title else "Named later"
            else:
                writable.status = "in_progress"
    for index in range(20):
        store.add(
            Conversation(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                project_id=1,
                user_id=rng.choice((1, 2)),
                created_at=later,
                updated_at=later + timedelta(seconds=index % 5),
                title=None if index % 3 == 0 else "Added",
            )
        )
    everything = sorted(store.conversations(), key=listing_key)
    for wanted in [
        ConversationFilter(),
        ConversationFilter(visibility="listed"),
        ConversationFilter(visibility="hidden"),
        ConversationFilter(project=2, user=3),
        ConversationFilter(status="in_progress"),
        ConversationFilter(text="named", visibility="listed"),
    ]:
        expected = [c.id for c in everything if wanted.matches(c)]
        assert _walk(store, wanted, 7) == expected, wanted
        assert conversation_page(store, wanted, None, 1).count == len(expected)


def test_conversation_detail_has_messages_queue_and_run(client: httpx.Client) -> None:
    body = client.get(f"{DATA}/conversations/{ONE_QUEUED}").json()
    assert body["row"]["title"] == "Retention of the March cohort"
    conversation = body["conversation"]
    assert [m["type"] for m in conversation["messages"]] == ["human", "ai"]
    assert [q["content"] for q in conversation["queue"]] == ["Compare it with April."]
    assert body["run"] is None
    missing = client.get(f"{DATA}/conversations/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_activity_shows_a_running_run_and_its_open_stream(make_server: ServerFactory) -> None:
    conversation = str(uuid.uuid4())
    with make_server(live=True, reply_delay=30) as server, server.client() as control:
        assert control.get(f"{DATA}/activity").json() == {"runs": [], "streams": []}
        idle = control.get(f"{DATA}/version").json()["version"]
        with (
            server.client(api_key=ADA_KEY) as api,
            api.stream(
                "POST",
                "/api/environments/1/conversations/",
                json={"content": "Hi", "conversation": conversation, "trace_id": str(uuid.uuid4())},
                headers={"Accept": "text/event-stream"},
            ) as stream,
        ):
            assert stream.status_code == 200
            activity = control.get(f"{DATA}/activity").json()
            [run] = activity["runs"]
            assert run["conversation"] == conversation and run["status"] == "in_progress"
            [open_stream] = activity["streams"]
            assert open_stream["conversation"] == conversation
            assert open_stream["operation_id"] == "environments_conversations_create"
            detail = control.get(f"{DATA}/conversations/{conversation}").json()
            assert detail["row"]["run"] == "running" and detail["row"]["hidden"] == "untitled"
            assert detail["run"]["conversation"] == conversation
            assert control.get(f"{DATA}/version").json()["version"] != idle


# Journal -----------------------------------------------------------------------------------


def test_journal_rows_newest_first_with_filters_and_diagnosis(
    server: FakeServer, client: httpx.Client
) -> None:
    with server.client(api_key=ADA_KEY) as api:
        api.get("/api/projects/1/conversations/")
        api.get("/api/projects/1/conversationz/")
        api.get(f"/api/projects/1/conversations/{ONE_QUEUED}/")
    body = client.get(f"{DATA}/journal").json()
    assert body["count"] == 3
    assert [row["sequence"] for row in body["entries"]] == [3, 2, 1]
    unmatched = body["entries"][1]
    assert unmatched["matched"] is False and unmatched["status"] == 404
    assert unmatched["diagnosis"]["reason"] == "wrong_segment"
    assert unmatched["diagnosis"]["nearest_operation"] == "conversations_list"

    def sequences(**query: str) -> list[int]:
        found = client.get(f"{DATA}/journal", params=query).json()["entries"]
        return [row["sequence"] for row in found]

    assert sequences(status_class="4xx") == [2]
    assert sequences(status_class="2xx") == [3, 1]
    assert sequences(operation="conversations_list") == [1]
    assert sequences(operation="unmatched") == [2]
    assert sequences(q=ONE_QUEUED[:8]) == [3]
    assert sequences(q="does not fit") == [2]
    assert sequences(namespace="other") == []
    bad = client.get(f"{DATA}/journal", params={"status_class": "6xx"})
    assert bad.status_code == 400


def test_a_journal_entry_in_full_is_redacted(server: FakeServer, client: httpx.Client) -> None:
    with server.client(api_key=ADA_KEY) as api:
        api.get("/api/projects/1/conversations/")
    entry = client.get(f"{DATA}/journal/1").json()
    assert entry["request_headers"]["authorization"] == "Bearer [redacted]"
    assert entry["response_body"].startswith('{"count":')
    assert client.get(f"{DATA}/journal/99").status_code == 404
    assert client.get(f"{DATA}/journal/abc").status_code == 404


# Changes -----------------------------------------------------------------------------------


def test_the_version_changes_with_what_the_page_shows_and_only_then(
    server: FakeServer, client: httpx.Client
) -> None:
    first = version(client)
    assert version(client) == first  # reading changes nothing
    client.get(f"{DATA}/conversations")
    assert version(client) == first
    with server.client(api_key=ADA_KEY) as api:
        api.get("/api/projects/1/conversations/")
    after_request = version(client)
    assert after_request != first
    rule = client.post("/_fakeserver/faults", json={"action": {"status": 503}}).json()
    after_fault = version(client)
    assert after_fault != after_request
    client.delete(f"/_fakeserver/faults/{rule['id']}")
    after_removal = version(client)
    assert after_removal != after_fault
    client.delete("/_fakeserver/journal")
    after_clear = version(client)
    assert after_clear != after_removal
    client.post("/_fakeserver/reset", json={})
    assert version(client) != after_clear
    before_profile = version(client)
    client.put("/_fakeserver/profile", json={"profile": "actual"})
    assert version(client) != before_profile


# Fixture upload (the control API's `fixture_text` form) ----------------------------------


GOOD_UPLOAD = """
conversations:
  - id: 11111111-2222-4333-8444-555555555555
    project: 1
    user: 1
    title: Uploaded from a browser
"""


def test_a_fixture_file_text_loads_into_one_namespace(client: httpx.Client) -> None:
    response = client.post(
        "/_fakeserver/fixtures",
        json={"fixture_text": GOOD_UPLOAD, "filename": "extra.yaml", "namespace": "default"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["conversations"] == 11
    assert rows(client)["count"] == 11
    fixtures = client.get(f"{DATA}/overview").json()["fixtures"]
    assert fixtures[-1] == "extra.yaml (uploaded)"


def test_a_bad_fixture_file_names_its_file_and_path_and_changes_nothing(
    server: FakeServer, client: httpx.Client
) -> None:
    with server.client(api_key=ADA_KEY) as api:
        api.post(queue_url(ONE_QUEUED), json={"content": "kept"})
    before = (version(client), rows(client), client.get(f"{DATA}/overview").json())
    bad = "conversations:\n  - id: 11111111-2222-4333-8444-555555555555\n    project: 1\n"
    response = client.post(
        "/_fakeserver/fixtures", json={"fixture_text": bad, "filename": "/home/me/broken.yaml"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_fixture"
    assert "broken.yaml: conversations[0].user: is required" in body["problems"]
    assert "/home/me" not in response.text
    syntax = client.post(
        "/_fakeserver/fixtures", json={"fixture_text": "{", "filename": "broken.json"}
    )
    assert syntax.status_code == 400
    assert syntax.json()["problems"][0].startswith("broken.json: not valid JSON")
    after = (version(client), rows(client), client.get(f"{DATA}/overview").json())
    assert after == before


@pytest.mark.parametrize(
    "body",
    [
        {"fixture_text": 3, "filename": "x.yaml"},
        {"fixture_text": "", "filename": ["x"]},
        {"fixture_text": "", "path": "x.yaml"},
    ],
)
def test_malformed_uploads_are_400s(client: httpx.Client, body: dict[str, Any]) -> None:
    response = client.post("/_fakeserver/fixtures", json=body)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"


# Cross-site and foreign-Host calls (the control API's gate) -------------------------------------


def test_a_foreign_host_cannot_read_the_dashboard(make_server: ServerFactory) -> None:
    """DNS rebinding: a page served under another name that resolves to 127.0.0.1."""
    with make_server(live=True) as server, httpx.Client(base_url=server.url) as raw:
        for path in (UI, f"{DATA}/overview", f"{DATA}/journal"):
            assert raw.get(path, headers={"Host": "evil.example"}).status_code == 403
        assert raw.get(UI).status_code == 200


def test_a_cross_site_page_cannot_reset_through_the_dashboards_api(
    make_server: ServerFactory,
) -> None:
    with make_server(live=True) as server, httpx.Client(base_url=server.url) as raw:
        with server.client(api_key=ADA_KEY) as api:
            api.get("/api/projects/1/conversations/")
        refused = raw.post(
            "/_fakeserver/reset",
            content=b"{}",
            headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
        )
        assert refused.status_code in (403, 415)
        assert len(server.journal.entries()) == 1


def test_serve_prints_the_dashboard_url() -> None:
    from fakeserver.cli.serve import banner
    from fakeserver.fixture_files import default_fixture_path, load_seed

    seed = load_seed([default_fixture_path()])
    shown = banner("http://127.0.0.1:8010", "documented", [default_fixture_path()], seed)
    assert "  dashboard  http://127.0.0.1:8010/_fakeserver/ui\n" in shown
    hidden = banner("http://127.0.0.1:8010", "documented", [], seed, control=False)
    assert "/_fakeserver/ui" not in hidden
