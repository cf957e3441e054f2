"""The request journal: what is recorded, what is redacted, unmatched diagnostics, assertions."""

from __future__ import annotations

import httpx
import pytest
from conftest import (
    ADA_KEY,
    FULL_QUEUE,
    FULL_QUEUE_ITEMS,
    ONE_QUEUED,
    ServerFactory,
    bearer,
    queue_url,
    session,
)

from fakeserver import FakeServer
from fakeserver.harness.journal import BODY_LIMIT

ENDPOINT_NOT_FOUND = {
    "type": "invalid_request",
    "code": "not_found",
    "detail": "Endpoint not found.",
    "attr": None,
}


def test_an_entry_records_the_request_and_its_answer(client: httpx.Client, server: FakeServer):
    client.post(
        queue_url(ONE_QUEUED),
        json={"content": "Next question"},
        headers={**bearer(), "X-Fakeserver-Profile": "actual"},
    )
    entry = server.journal.last()
    assert entry.method == "POST"
    assert entry.path == queue_url(ONE_QUEUED)
    assert entry.namespace == "default"
    assert entry.operation_id == "conversations_queue_create"
    assert entry.route == "/api/projects/{project_id}/conversations/{conversation:lookup}/queue"
    assert entry.matched and entry.diagnosis is None
    assert entry.json() == {"content": "Next question"}
    assert entry.status == 403  # the actual profile refuses personal API keys on queue actions
    assert entry.response_json()["code"] == "permission_denied"
    assert entry.profile == "actual"
    assert entry.request_headers["content-type"] == "application/json"
    assert entry.duration_ms >= 0
    assert entry.fault is None


def test_the_environments_prefix_has_its_own_operation_ids(
    client: httpx.Client, server: FakeServer
):
    client.get("/api/environments/1/conversations/", headers=bearer())
    client.head("/api/projects/1/conversations/", headers=bearer())
    assert [e.operation_id for e in server.journal.entries()] == [
        "environments_conversations_list",
        "conversations_list",
    ]


def test_secrets_are_redacted(client: httpx.Client, server: FakeServer):
    client.post(
        queue_url(ONE_QUEUED, "x") + "?personal_api_key=phx_secret&limit=1",
        json={"personal_api_key": "phx_in_body", "content": "hi"},
        headers={**bearer(), **session()},
    )
    entry = server.journal.last()
    assert entry.request_headers["authorization"] == "Bearer [redacted]"
    assert entry.request_headers["cookie"] == "[redacted]"
    assert entry.request_headers["x-csrftoken"] == "[redacted]"
    assert entry.query == "personal_api_key=[redacted]&limit=1"
    assert entry.json() == {"personal_api_key": "[redacted]", "content": "hi"}
    assert "phx_" not in str(entry.as_json())


def test_a_form_body_key_is_redacted(client: httpx.Client, server: FakeServer):
    client.post(queue_url(ONE_QUEUED), data={"personal_api_key": ADA_KEY, "content": "hi"})
    assert server.journal.last().request_body == b"personal_api_key=[redacted]&content=hi"


def test_a_body_the_endpoint_never_reads_is_recorded(client: httpx.Client, server: FakeServer):
    client.post(queue_url(FULL_QUEUE, "clear"), content=b"anything at all", headers=bearer())
    entry = server.journal.last("conversations_queue_clear_create")
    assert entry.request_body == b"anything at all"


def test_large_bodies_are_truncated(client: httpx.Client, server: FakeServer):
    content = "x" * 40000
    client.post(queue_url(ONE_QUEUED), json={"content": content}, headers=bearer())
    entry = server.journal.last()
    assert len(entry.request_body) == BODY_LIMIT
    assert "request_body" in entry.truncated


@pytest.mark.parametrize(
    ("method", "path", "reason", "nearest", "detail"),
    [
        (
            "PUT",
            "/api/projects/1/conversations/",
            "wrong_method",
            "conversations_list",
            "PUT is not served on /api/projects/{project_id}/conversations; it allows GET, POST",
        ),
        (
            "GET",
            "/api/projects/1/",
            "missing_trailing_segment",
            "conversations_list",
            "the path stops short of /api/projects/{project_id}/conversations: "
            "missing 'conversations'",
        ),
        (
            "DELETE",
            f"/api/projects/1/conversations/{FULL_QUEUE}/queue/{FULL_QUEUE_ITEMS[0]}/x/",
            "extra_trailing_segment",
            "conversations_queue_destroy",
            "the path continues past /api/projects/{project_id}/conversations/"
            "{conversation:lookup}/queue/{queue_id:lookup}: extra 'x'",
        ),
        (
            "GET",
            "/api/v2/projects/1/conversations/",
            "unknown_prefix",
            "conversations_list",
            "unknown prefix '/api/v2'; /api/projects/{project_id}/conversations starts with '/api'",
        ),
        (
            "GET",
            "/conversations/",
            "unknown_prefix",
            "conversations_list",
            "no prefix; /api/projects/{project_id}/conversations starts with "
            "'/api/projects/{project_id}'",
        ),
        (
            "POST",
            f"/api/projects/1/conversations/{FULL_QUEUE}/queu/",
            "wrong_segment",
            "conversations_queue_create",
            "segment 'queu' does not fit 'queue' of /api/projects/{project_id}/conversations/"
            "{conversation:lookup}/queue",
        ),
        (
            "GET",
            "/api/feature_flags/",
            "no_similar_route",
            None,
            "no PostHog operation resembles /api/feature_flags/",
        ),
    ],
)
def test_an_unmatched_request_is_diagnosed(
    client: httpx.Client,
    server: FakeServer,
    method: str,
    path: str,
    reason: str,
    nearest: str | None,
    detail: str,
):
    answer = client.request(method, path, headers=bearer())
    entry = server.journal.last()
    assert not entry.matched
    assert entry.operation_id is None
    assert entry.diagnosis is not None
    assert entry.diagnosis.as_json() == {
        "reason": reason,
        "nearest_operation": nearest,
        "nearest_path": entry.diagnosis.nearest_path,
        "detail": detail,
    }
    assert server.journal.unmatched() == [entry]
    if reason == "wrong_method":
        assert answer.status_code == 405
    else:
        assert answer.status_code == 404
        expected = (
            ENDPOINT_NOT_FOUND
            if path.startswith("/api")
            else {**ENDPOINT_NOT_FOUND, "detail": "Not found."}
        )
        assert answer.json() == expected


def test_a_404_for_an_unknown_id_is_still_a_matched_operation(
    client: httpx.Client, server: FakeServer
):
    client.get(
        "/api/projects/1/conversations/00000000-0000-4000-8000-000000000000/", headers=bearer()
    )
    entry = server.journal.last()
    assert (entry.status, entry.operation_id, entry.matched) == (
        404,
        "conversations_retrieve",
        True,
    )


def test_filter_and_assert_called(client: httpx.Client, server: FakeServer):
    client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]), headers=bearer())
    client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]), headers=bearer())
    client.get("/_ns/alpha" + queue_url(FULL_QUEUE), headers=bearer())

    journal = server.journal
    deletes = journal.assert_called("conversations_queue_destroy", times=2)
    assert [entry.status for entry in deletes] == [204, 404]
    journal.assert_called("conversations_queue_destroy", times=1, status=204)
    journal.assert_called(method="DELETE", path=f"*/queue/{FULL_QUEUE_ITEMS[0]}/", times=2)
    journal.assert_called("conversations_queue_retrieve", namespace="alpha")
    journal.assert_called("*queue*", times=None)
    journal.assert_not_called("conversations_destroy")
    assert journal.filter(predicate=lambda entry: entry.status == 404) == [deletes[1]]


def test_assert_called_explains_a_miss(client: httpx.Client, server: FakeServer):
    client.get("/api/projects/1/conversations/", headers=bearer())
    with pytest.raises(AssertionError) as raised:
        server.journal.assert_called("conversations_destroy")
    assert str(raised.value) == (
        "expected 1 request(s), found 0 matching operation_id='conversations_destroy'; "
        "the journal holds:\n  #1 GET /api/projects/1/conversations/ -> 200 (conversations_list)"
    )
    with pytest.raises(AssertionError, match="no request matching method='DELETE'"):
        server.journal.last(method="DELETE")


def test_the_journal_is_bounded(make_server: ServerFactory):
    with make_server(journal_size=3) as server, server.client(api_key=ADA_KEY) as client:
        for offset in range(5):
            client.get(f"/api/projects/1/conversations/?offset={offset}")
        assert [entry.query for entry in server.journal.entries()] == [
            "offset=2",
            "offset=3",
            "offset=4",
        ]
        assert [entry.sequence for entry in server.journal.entries()] == [3, 4, 5]


def test_clearing_one_namespace_keeps_the_others(client: httpx.Client, server: FakeServer):
    client.get("/_ns/alpha/api/projects/1/conversations/", headers=bearer())
    client.get("/_ns/beta/api/projects/1/conversations/", headers=bearer())
    server.journal.clear("alpha")
    assert [entry.namespace for entry in server.journal.entries()] == ["beta"]


def test_entries_read_after_many_requests_are_whole(client: httpx.Client, server: FakeServer):
    answers = [
        client.post(
            queue_url(ONE_QUEUED),
            json={"content": f"question {index}"},
            headers={**bearer(), "X-POSTHOG-SESSION-ID": f"s{index}"},
        )
        for index in range(3)
    ]
    entries = server.journal.entries()
    assert [entry.json()["content"] for entry in entries] == [f"question {i}" for i in range(3)]
    assert [entry.request_headers["x-posthog-session-id"] for entry in entries] == [
        "s0",
        "s1",
        "s2",
    ]
    assert [entry.status for entry in entries] == [answer.status_code for answer in answers]
    assert [entry.response_body for entry in entries] == [answer.content for answer in answers]
    assert all(entry.complete for entry in entries)
    assert entries[0].sequence < entries[1].sequence < entries[2].sequence
