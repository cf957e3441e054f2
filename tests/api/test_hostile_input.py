"""Inputs meant to break the server: it answers 4xx, never 5xx, and keeps its state intact."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from conftest import FULL_QUEUE, ONE_QUEUED, UNTITLED, bearer, queue_url, session

from fakeserver import FakeServer

ACTUAL = {"X-Fakeserver-Profile": "actual", "Authorization": "", **session(csrf=False)}


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(id_seed=7) as server:
        yield server


@pytest.fixture
def client(server: FakeServer) -> Iterator[httpx.Client]:
    with server.client(api_key="phx_ada_all") as client:
        yield client


def post_json(client: httpx.Client, url: str, raw: str, **headers: str) -> httpx.Response:
    return client.post(url, content=raw, headers={"Content-Type": "application/json", **headers})


def test_numbers_too_large_for_a_float_are_stored_as_null(client: httpx.Client):
    body = '{"content": "hi", "ui_context": {"y": 1e400}, "contextual_tools": {"x": [-1e999]}}'
    response = post_json(client, queue_url(ONE_QUEUED), body)
    assert response.status_code == 200
    queue = client.get(queue_url(ONE_QUEUED), headers=ACTUAL)
    assert queue.status_code == 200
    added = queue.json()["messages"][1]
    assert (added["ui_context"], added["contextual_tools"]) == ({"y": None}, {"x": [None]})
    assert client.get("/_fakeserver/state").status_code == 200


@pytest.mark.parametrize("depth", [101, 100_000])
def test_deep_nesting_is_a_parse_error_that_changes_nothing(client: httpx.Client, depth: int):
    raw = '{"content": "x", "ui_context": {"deep": ' + "[" * depth + "]" * depth + "}}"
    response = post_json(client, queue_url(ONE_QUEUED), raw)
    assert response.status_code == 400
    assert response.json() == {
        "type": "invalid_request",
        "code": "parse_error",
        "detail": "JSON parse error - arrays and objects nest deeper than 100 levels",
        "attr": None,
    }
    assert len(client.get(queue_url(ONE_QUEUED), headers=ACTUAL).json()["messages"]) == 1
    faults = post_json(client, "/_fakeserver/faults", "[" * depth)
    assert faults.status_code == 400


def test_a_deep_fault_header_is_a_400(client: httpx.Client):
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": "[" * 3000})
    assert response.status_code == 400


def test_a_project_id_of_thousands_of_digits_is_not_found(client: httpx.Client):
    response = client.get(f"/api/projects/{'1' * 5000}/conversations/")
    assert (response.status_code, response.json()["detail"]) == (404, "Project not found.")


@pytest.mark.parametrize(
    "action",
    [
        '{"latency_ms": 700000}',
        '{"latency_ms": -1}',
        '{"status": 418, "headers": {"x-a": "\\u20ac"}}',
        '{"status": 418, "headers": {"x a": "b"}}',
        '{"status": 418, "headers": {"x-a": "b\\r\\nx-b: c"}}',
        '{"status": 101}',
        '{"status": 204, "body": "text"}',
        '{"stall_ms": 10}',
    ],
)
def test_fault_actions_that_no_server_could_apply_are_refused(client: httpx.Client, action: str):
    by_header = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": action})
    rule = f'{{"path": "/nothing", "action": {action}}}'
    by_rule = post_json(client, "/_fakeserver/faults", rule)
    assert (by_header.status_code, by_rule.status_code) == (400, 400)
    assert client.get("/_fakeserver/faults").json() == {"rules": []}


@pytest.mark.parametrize("number", ["1e400", "Infinity", "NaN"])
def test_non_finite_numbers_in_a_fault_read_as_null(client: httpx.Client, number: str):
    """As in every JSON body the fake reads: no latency at all, rather than a request that hangs."""
    action = f'{{"latency_ms": {number}}}'
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": action})
    assert response.status_code == 200


def test_a_429_fault_can_say_retry_after_zero(client: httpx.Client):
    action = json.dumps({"status": 429, "retry_after": 0})
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": action})
    assert (response.status_code, response.headers["retry-after"]) == (429, "0")


def test_a_204_fault_sends_no_body(client: httpx.Client):
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": '{"status":204}'})
    assert (response.status_code, response.content) == (204, b"")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/_fakeserver/journal?status=%C2%B2", None),
        ("POST", "/_fakeserver/reset", {"namespace": ["a"]}),
        ("POST", "/_fakeserver/fixtures", {"fixture": {}, "namespace": 5}),
        ("POST", "/_fakeserver/fixtures", {"fixture": {}, "namespace": "bad name/../"}),
        ("POST", "/_fakeserver/fixtures", {"path": "/bin/ls"}),
        ("POST", "/_fakeserver/fixtures", {"path": "/"}),
    ],
)
def test_control_api_refuses_bad_input(client: httpx.Client, method: str, url: str, body: object):
    response = client.request(method, url, json=body)
    assert response.status_code == 400
    assert client.get("/_fakeserver/").json()["namespaces"] == ["default"]


def test_a_refused_enqueue_draws_no_id(server: FakeServer):
    def first_new_id(refuse_first: bool) -> str:
        server.restore()
        with server.client(api_key="phx_ada_all") as client:
            if refuse_first:
                assert client.post(queue_url(FULL_QUEUE), json={"content": "x"}).status_code == 409
            queue = client.post(
                queue_url(UNTITLED), json={"content": "y"}, headers=ACTUAL | session()
            )
            return str(queue.json()["messages"][0]["id"])

    assert first_new_id(refuse_first=True) == first_new_id(refuse_first=False)


def test_refused_requests_create_no_namespace(client: httpx.Client):
    client.get("/_ns/junk1/api/projects/1/conversations/", headers={"Authorization": ""})
    client.put("/_ns/junk2/api/projects/1/conversations/", headers={"Authorization": ""})
    client.get("/_fakeserver/state?namespace=junk3")
    assert client.get("/_fakeserver/").json()["namespaces"] == ["default"]
    client.get("/_ns/used/api/projects/1/conversations/", headers=bearer())
    assert client.get("/_fakeserver/").json()["namespaces"] == ["default", "used"]


@pytest.mark.parametrize("path", ["/api/schema", "/api/schema/"])
def test_the_schema_path_takes_an_optional_slash(client: httpx.Client, path: str):
    assert client.get(path).status_code == 200
    assert client.get(path + "/x").status_code == 404


@pytest.mark.parametrize(
    ("length", "status"),
    [(b"9" * 5000, 413), (b"\xb2", 400), (b"-1", 400)],  # "²" is a digit to str.isdigit
)
def test_content_lengths_no_int_can_hold_are_answered(
    server: FakeServer, length: bytes, status: int
) -> None:
    with server.client(api_key="phx_ada_all") as client:
        request = client.build_request("POST", queue_url(ONE_QUEUED), content=b"")
        request.headers["Content-Length"] = length.decode("latin-1")
        response = client.send(request)
        queue = client.get(queue_url(ONE_QUEUED), headers=ACTUAL)
    assert response.status_code == status
    assert len(queue.json()["messages"]) == 1
