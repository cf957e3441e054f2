"""Namespaces: `/_ns/{name}/api/...` serves a separate state, seeded from the fixture."""

from __future__ import annotations

from collections.abc import Iterator

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
)

from fakeserver import FakeServer


@pytest.fixture
def client(server: FakeServer) -> Iterator[httpx.Client]:
    with server.client(api_key=ADA_KEY) as client:
        yield client


def test_a_namespace_has_its_own_state(client: httpx.Client, server: FakeServer):
    deleted = client.delete("/_ns/alpha" + queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
    assert deleted.status_code == 204

    assert [m.id for m in server.queue(FULL_QUEUE, namespace="alpha")] == [FULL_QUEUE_ITEMS[1]]
    assert [m.id for m in server.queue(FULL_QUEUE, namespace="beta")] == list(FULL_QUEUE_ITEMS)
    assert [m.id for m in server.queue(FULL_QUEUE)] == list(FULL_QUEUE_ITEMS)


def test_namespaces_answer_from_their_own_state(client: httpx.Client):
    client.delete("/_ns/alpha/api/projects/1/conversations/" + FULL_QUEUE + "/")
    assert (
        client.get("/_ns/alpha/api/projects/1/conversations/" + FULL_QUEUE + "/").status_code == 404
    )
    assert (
        client.get("/_ns/beta/api/projects/1/conversations/" + FULL_QUEUE + "/").status_code == 200
    )
    assert client.get("/api/projects/1/conversations/" + FULL_QUEUE + "/").status_code == 200


def test_the_default_namespace_is_also_reachable_by_name(client: httpx.Client, server: FakeServer):
    client.delete("/_ns/default" + queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
    assert [m.id for m in server.queue(FULL_QUEUE)] == [FULL_QUEUE_ITEMS[1]]


def test_pagination_links_keep_the_namespace_prefix(client: httpx.Client):
    first = client.get("/_ns/alpha/api/projects/1/conversations/?limit=1").json()
    assert (
        first["next"]
        == "http://fakeserver/_ns/alpha/api/projects/1/conversations/?limit=1&offset=1"
    )
    second = client.get(first["next"]).json()
    assert second["previous"] == "http://fakeserver/_ns/alpha/api/projects/1/conversations/?limit=1"
    assert second["results"][0]["id"] != first["results"][0]["id"]


def test_a_namespace_is_created_on_first_use_only(client: httpx.Client, server: FakeServer):
    assert sorted(server.state.workspaces) == ["default"]
    client.get("/_ns/gamma/api/projects/1/conversations/")
    assert sorted(server.state.workspaces) == ["default", "gamma"]


def test_refused_requests_create_no_namespace(client: httpx.Client):
    client.get("/_ns/junk1/api/projects/1/conversations/", headers={"Authorization": ""})
    client.put("/_ns/junk2/api/projects/1/conversations/", headers={"Authorization": ""})
    client.get("/_fakeserver/state?namespace=junk3")
    assert client.get("/_fakeserver/").json()["namespaces"] == ["default"]
    client.get("/_ns/used/api/projects/1/conversations/", headers=bearer())
    assert client.get("/_fakeserver/").json()["namespaces"] == ["default", "used"]


def test_resetting_one_namespace_leaves_the_others(client: httpx.Client, server: FakeServer):
    for name in ("alpha", "beta"):
        client.delete(f"/_ns/{name}" + queue_url(ONE_QUEUED, server.queue(ONE_QUEUED)[0].id))

    server.reset("alpha")

    assert len(server.queue(ONE_QUEUED, namespace="alpha")) == 1
    assert server.queue(ONE_QUEUED, namespace="beta") == []


def test_resetting_through_the_prefix_resets_that_namespace(
    client: httpx.Client, server: FakeServer
):
    for name in ("alpha", "beta"):
        client.delete(f"/_ns/{name}" + queue_url(ONE_QUEUED, server.queue(ONE_QUEUED)[0].id))

    answer = client.post("/_ns/alpha/_fakeserver/reset")

    assert answer.status_code == 200
    assert answer.json() == {"reset": ["alpha"]}
    assert len(server.queue(ONE_QUEUED, namespace="alpha")) == 1
    assert server.queue(ONE_QUEUED, namespace="beta") == []


def test_an_invalid_namespace_name_is_an_unknown_path(client: httpx.Client):
    answer = client.get("/_ns/bad!name/api/projects/1/conversations/")
    assert answer.status_code == 404
    assert answer.json() == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


def test_an_unknown_api_path_inside_a_namespace_is_posthogs_api_404(client: httpx.Client):
    answer = client.get("/_ns/alpha/api/nothing/here/")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Endpoint not found."


def test_the_live_server_serves_namespaces_too(make_server: ServerFactory):
    with make_server(live=True) as server, server.client("alpha", api_key=ADA_KEY) as client:
        client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]))
        page = client.get("/api/projects/1/conversations/?limit=1").json()
        base_url = server.base_url("alpha")
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/_ns/alpha")
    assert page["next"] == f"{base_url}/api/projects/1/conversations/?limit=1&offset=1"
    assert len(server.queue(FULL_QUEUE, namespace="alpha")) == 1
    assert len(server.queue(FULL_QUEUE)) == 2
