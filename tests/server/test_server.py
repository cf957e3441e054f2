"""`FakeServer`, the Python API: in-process and live, state accessors, fixtures, restore.

These tests build `FakeServer` themselves (not through conftest's `make_server`): its
constructor, context manager and lifecycle are what they test."""

from __future__ import annotations

import socket

import httpx
import pytest
from conftest import ADA_KEY, DELETED, FULL_QUEUE, FULL_QUEUE_ITEMS, ONE_QUEUED, queue_url

from fakeserver import FakeServer
from fakeserver.fixture_files import FixtureError

NEW_ID = "11111111-2222-4333-8444-555555555555"
NEW_CONVERSATION = {"id": NEW_ID, "project": 1, "user": 1, "title": "Added in a test"}


def test_in_process_clients_need_no_socket():
    with FakeServer() as server, server.client(api_key=ADA_KEY) as client:
        assert not server.is_live
        answer = client.get("/api/projects/1/conversations/")
    assert answer.status_code == 200
    assert answer.json()["count"] == 4


@pytest.mark.anyio
async def test_the_async_client_in_process():
    with FakeServer() as server:
        async with server.async_client("alpha", api_key=ADA_KEY) as client:
            deleted = await client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
    assert deleted.status_code == 204
    assert len(server.queue(FULL_QUEUE, namespace="alpha")) == 1


def test_live_start_and_stop():
    server = FakeServer()
    with pytest.raises(RuntimeError, match="not live"):
        _ = server.url
    assert server.start() is server.start()  # idempotent
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=url) as client:
        assert client.get("/_health").text == "ok"
    server.stop()
    assert not server.is_live
    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=url) as client:
        client.get("/_health")
    server.close()


def test_a_port_in_use_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = FakeServer(port=port)
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port} is in use"):
            server.start()
    assert not server.is_live
    server.close()


def test_live_context_manager_and_clients():
    with FakeServer(live=True) as server:
        with server.client(api_key=ADA_KEY) as client:
            assert str(client.base_url) == server.url
            assert client.get("/api/projects/1/conversations/").json()["count"] == 4
        server.journal.assert_called("conversations_list")
    assert not server.is_live


def test_two_servers_are_independent():
    with FakeServer() as one, FakeServer() as two, one.client(api_key=ADA_KEY) as client:
        client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        assert len(one.queue(FULL_QUEUE)) == 1
        assert len(two.queue(FULL_QUEUE)) == 2
        assert len(two.journal) == 0


def test_state_accessors():
    with FakeServer() as server:
        titles = [c.title for c in server.conversations()]
        assert "An old, deleted chat" not in titles
        assert len(server.conversations(include_deleted=True)) == len(titles) + 1
        assert server.conversation(DELETED).deleted
        assert [m.content for m in server.queue(ONE_QUEUED)] == ["Compare it with April."]
        with pytest.raises(KeyError, match="no conversation nope in namespace alpha"):
            server.conversation("nope", "alpha")


def test_built_from_fixture_documents_and_files(tmp_path):
    path = tmp_path / "extra.yaml"
    record = f"{{id: {NEW_ID}, project: 1, user: 1, title: From YAML}}"
    path.write_text(f"conversations:\n  - {record}\n")
    base = FakeServer().state.sources[0]
    with FakeServer([base, path]) as from_files:
        assert from_files.conversation(NEW_ID).title == "From YAML"
    with FakeServer({"projects": [{"id": 5, "name": "Only"}]}) as from_dict:
        assert from_dict.conversations() == []
        assert list(from_dict.state.seed.projects) == [5]


def test_load_fixture_merges_or_replaces(tmp_path):
    with FakeServer() as server:
        server.load_fixture({"conversations": [NEW_CONVERSATION]})
        assert server.conversation(NEW_ID).title == "Added in a test"
        assert len(server.queue(FULL_QUEUE)) == 2

        server.load_fixture({"projects": [{"id": 1, "name": "Alone"}]}, "alpha", replace=True)
        assert server.conversations("alpha") == []
        assert server.conversation(NEW_ID).title == "Added in a test"


def test_an_invalid_fixture_changes_nothing():
    with FakeServer() as server:
        with pytest.raises(FixtureError) as raised:
            server.load_fixture({"conversations": [{"id": NEW_ID, "project": 1, "user": 42}]})
        assert raised.value.problems == [
            "<fixture #1>: conversations[0].user: no user with id 42",
        ]
        with pytest.raises(KeyError):
            server.conversation(NEW_ID)


def test_reset_keeps_loaded_fixtures_and_restore_drops_them():
    with FakeServer() as server, server.client(api_key=ADA_KEY) as client:
        server.load_fixture({"conversations": [NEW_CONVERSATION]})
        client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        client.get("/_ns/alpha/api/projects/1/conversations/")
        server.set_profile("actual")
        server.add_fault("conversations_list", status=500)

        server.reset()
        assert len(server.queue(FULL_QUEUE)) == 2
        assert server.conversation(NEW_ID).title == "Added in a test"
        assert server.faults.rules() == [] and len(server.journal) == 0
        assert server.profile.name == "actual"

        server.restore()
        with pytest.raises(KeyError):
            server.conversation(NEW_ID)
        assert sorted(server.state.workspaces) == ["default"]
        assert server.profile.name == "documented"


def test_generated_ids_repeat_after_a_reset_when_seeded():
    def enqueue(server: FakeServer) -> str:
        with server.client(api_key=ADA_KEY) as client:
            client.post(queue_url(ONE_QUEUED), json={"content": "again"})
        return server.queue(ONE_QUEUED)[-1].id

    with FakeServer(id_seed=3) as server:
        first = enqueue(server)
        server.reset()
        assert enqueue(server) == first


def test_base_urls():
    with FakeServer() as server:
        assert server.base_url() == "http://fakeserver"
        assert server.base_url("alpha") == "http://fakeserver/_ns/alpha"
        with pytest.raises(ValueError, match="not a valid namespace name"):
            server.base_url("a/b")
