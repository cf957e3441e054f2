"""FakeServer's clients for code that is not written against httpx with API keys:
session sign-in for the `actual` profile's queue actions, and `requests` in-process."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from conftest import ADA_KEY, FULL_QUEUE, FULL_QUEUE_ITEMS, ONE_QUEUED, ServerFactory, queue_url

pytest_plugins = ["pytester"]
CONVERSATIONS = "/api/projects/1/conversations/"
KEY_REFUSED = "This action does not support personal API key access"


def test_a_session_client_may_use_the_queue_where_actual_refuses_keys(make_server: ServerFactory):
    with make_server(profile="actual") as server:
        with server.client(api_key=ADA_KEY) as keyed:
            refused = keyed.post(queue_url(ONE_QUEUED), json={"content": "more"})
        assert (refused.status_code, refused.json()["detail"]) == (403, KEY_REFUSED)
        with server.client(as_user="ada@example.com") as browser:
            added = browser.post(queue_url(ONE_QUEUED), json={"content": "more"})
            assert added.status_code == 200, added.text
            queued = added.json()["messages"][-1]
            assert queued["content"] == "more"
            removed = browser.delete(queue_url(ONE_QUEUED, queued["id"]))
            assert removed.status_code == 200
            assert queued["id"] not in [m["id"] for m in removed.json()["messages"]]
        server.journal.assert_called("conversations_queue_destroy", status=200)


def test_a_session_client_takes_a_user_id_and_works_live(make_server: ServerFactory):
    with make_server(profile="actual", live=True) as server, server.client(as_user=1) as browser:
        answer = browser.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        assert answer.status_code == 200, answer.text


@pytest.mark.anyio
async def test_an_async_session_client_signs_in_too(make_server: ServerFactory):
    server = make_server(profile="actual")
    async with server.async_client(as_user="bob@example.com") as browser:
        answer = await browser.get(CONVERSATIONS)
    assert answer.status_code == 200
    assert all(c["id"] != FULL_QUEUE for c in answer.json()["results"])  # Ada's, not Bob's
    server.close()


def test_session_credentials_are_what_django_expects(make_server: ServerFactory):
    server = make_server(profile="actual")
    cookies, headers = server.session_credentials("ada@example.com")
    assert cookies["sessionid"] == "ses-ada"
    assert cookies["posthog_csrftoken"] == headers["X-CSRFToken"]
    assert len(headers["X-CSRFToken"]) == 32 and headers["X-CSRFToken"].isalnum()
    with pytest.raises(ValueError, match=re.escape("no user 'nobody@example.com'")):
        server.session_credentials("nobody@example.com")
    with pytest.raises(ValueError, match=re.escape("eve@example.com has no session")):
        server.session_credentials("eve@example.com")


def test_documented_knows_no_sessions(make_server: ServerFactory):
    with make_server() as server, server.client(as_user="ada@example.com") as browser:
        assert browser.get(CONVERSATIONS).status_code == 401


# requests ---------------------------------------------------------------------------------


def test_a_requests_session_is_served_in_process(make_server: ServerFactory):
    with make_server() as server, server.requests_session(api_key=ADA_KEY) as session:
        listed = session.get(CONVERSATIONS, params={"limit": 2})
        assert listed.status_code == 200
        assert listed.headers["Content-Type"] == "application/json"
        assert len(listed.json()["results"]) == 2
        assert listed.url.startswith("http://fakeserver/api/projects/1/conversations/?limit=2")
        deleted = session.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        assert (deleted.status_code, deleted.content) == (204, b"")
        bad = session.post(
            queue_url(ONE_QUEUED), data="{", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400 and bad.json()["code"] == "parse_error"
    server.journal.assert_called("conversations_queue_destroy", status=204)


def test_a_requests_session_streams_a_run_as_server_sent_events(make_server: ServerFactory):
    body = {
        "content": "How many signups last week?",
        "conversation": str(uuid.uuid4()),
        "trace_id": str(uuid.uuid4()),
    }
    server = make_server(profile="actual")
    with (
        server.requests_session(api_key=ADA_KEY) as s,
        s.post(CONVERSATIONS, json=body, stream=True) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/event-stream"
        events = [
            line for line in answer.iter_lines(decode_unicode=True) if line.startswith("event:")
        ]
    server.close()
    assert events[:2] == ["event: conversation", "event: message"]
    assert len(events) >= 4


def test_a_requests_session_signs_in_and_follows_namespaces(make_server: ServerFactory):
    with make_server(profile="actual") as server:
        with server.requests_session("alice", as_user="ada@example.com") as session:
            assert session.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0])).status_code == 200
        assert len(server.queue(FULL_QUEUE, namespace="alice")) == 1
        assert len(server.queue(FULL_QUEUE)) == 2


def test_a_dropped_connection_is_requests_connection_error(make_server: ServerFactory):
    with make_server() as server, server.requests_session(api_key=ADA_KEY) as session:
        server.add_fault("conversations_list", drop=True)
        with pytest.raises(requests.ConnectionError):
            session.get(CONVERSATIONS)


def test_a_requests_session_reaches_a_live_server(make_server: ServerFactory):
    with make_server(live=True) as server, server.requests_session(api_key=ADA_KEY) as session:
        assert session.get(CONVERSATIONS).status_code == 200
        assert session.get(server.url + "/_health").text == "ok"


def test_the_plugin_fixture(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        def test_it(fakeserver, fakeserver_requests):
            answer = fakeserver_requests.get(
                "/api/projects/1/conversations/", headers={"Authorization": "Bearer phx_ada_all"}
            )
            assert answer.status_code == 200
            fakeserver.journal.assert_called("conversations_list")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
