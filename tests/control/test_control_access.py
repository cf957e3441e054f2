"""The control API refuses what a web page could send through the developer's browser: calls
from another origin, calls to a foreign Host (DNS rebinding), and non-JSON bodies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from conftest import ADA_KEY, ServerFactory, bearer

from fakeserver import FakeServer
from fakeserver.cli.serve import _exposure_warning, serve_config
from fakeserver.control.access import ControlAccess

EVIL = "http://evil.example"
EVIL_FIXTURE = json.dumps(
    {
        "fixture": {
            "conversations": [
                {
                    "id": "11111111-2222-4333-8444-555555555555",
                    "project": 1,
                    "user": 1,
                    "title": "evil",
                }
            ]
        }
    }
)
CONVERSATIONS = "/api/projects/1/conversations/"
FIRST = "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"


@pytest.fixture(scope="module")
def live() -> Iterator[FakeServer]:
    # One live server for the module (restored around each test, namespaces and profile too): a
    # module-scoped fixture cannot use the per-test `make_server`.
    with FakeServer(live=True) as server:
        yield server


@pytest.fixture
def server(live: FakeServer) -> Iterator[FakeServer]:
    live.restore()
    yield live
    live.restore()


def titles(server: FakeServer) -> list[str]:
    return sorted(conversation.title or "" for conversation in server.conversations())


def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert (body["type"], body["code"], body["attr"]) == ("invalid_request", code, None)


# The three commands of the issue, over a socket ---------------------------------------------


def test_a_text_plain_fixture_post_from_another_origin_is_refused(server: FakeServer):
    before = titles(server)
    answer = httpx.post(
        f"{server.url}/_fakeserver/fixtures",
        headers={"Origin": EVIL, "Content-Type": "text/plain"},
        content=EVIL_FIXTURE,
    )
    refused(answer, 403, "cross_origin")
    assert "evil.example" in answer.json()["detail"]
    assert titles(server) == before and "evil" not in before


def test_a_reset_from_another_origin_is_refused_and_changes_nothing(server: FakeServer):
    with server.client(api_key=ADA_KEY) as client:
        assert client.delete(f"{CONVERSATIONS}{FIRST}/").status_code == 204
    answer = httpx.post(
        f"{server.url}/_fakeserver/reset", headers={"Origin": EVIL, "Content-Type": "text/plain"}
    )
    refused(answer, 403, "cross_origin")
    assert FIRST not in [conversation.id for conversation in server.conversations()]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/_fakeserver/reset"),
        ("GET", "/_fakeserver/state"),
        ("GET", "/_fakeserver/journal"),
        ("GET", "/_fakeserver/"),
        ("GET", "/_ns/alpha/_fakeserver/state"),
    ],
)
def test_a_foreign_host_is_refused_for_reads_and_writes(server: FakeServer, method: str, path: str):
    server.journal.clear()
    answer = httpx.request(method, server.url + path, headers={"Host": "evil.example"})
    refused(answer, 403, "host_not_allowed")
    assert "evil.example" in answer.json()["detail"]


def test_a_foreign_host_reset_changes_nothing(server: FakeServer):
    with server.client(api_key=ADA_KEY) as client:
        client.delete(f"{CONVERSATIONS}{FIRST}/")
    answer = httpx.post(f"{server.url}/_fakeserver/reset", headers={"Host": "evil.example:8010"})
    refused(answer, 403, "host_not_allowed")
    assert FIRST not in [conversation.id for conversation in server.conversations()]


# What keeps working ------------------------------------------------------------------------


def test_the_readme_calls_work_over_a_socket(server: FakeServer):
    url = server.url
    loaded = httpx.post(
        f"{url}/_fakeserver/fixtures", headers={"Content-Type": "application/json"}, content="{}"
    )
    assert loaded.status_code == 400  # reaches the handler: neither fixture nor path
    assert httpx.post(f"{url}/_fakeserver/reset").json() == {"reset": ["default"]}
    assert httpx.get(f"{url}/_fakeserver/state").status_code == 200
    assert httpx.put(f"{url}/_fakeserver/profile", json={"profile": "actual"}).status_code == 200
    assert (
        httpx.put(f"{url}/_fakeserver/profile", json={"profile": "documented"}).status_code == 200
    )
    assert httpx.delete(f"{url}/_fakeserver/journal").status_code == 204


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST:1234", "127.0.0.1", "127.0.0.2:80", "[::1]:8010", "app.localhost"],
)
def test_loopback_host_names_are_allowed(server: FakeServer, host: str):
    answer = httpx.get(f"{server.url}/_fakeserver/", headers={"Host": host})
    assert answer.status_code == 200, answer.text


def test_a_page_of_the_servers_own_origin_may_call(server: FakeServer):
    own = server.url  # http://127.0.0.1:PORT
    headers = {"Origin": own, "Sec-Fetch-Site": "same-origin"}
    assert httpx.post(f"{own}/_fakeserver/reset", headers=headers, json={}).status_code == 200
    # The same page under localhost: the origin follows the Host it was sent to.
    port = own.rsplit(":", 1)[1]
    localhost = {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}
    assert httpx.post(f"{own}/_fakeserver/reset", headers=localhost).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},  # another port is another origin
        {"Origin": "https://127.0.0.1"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_other_origins_are_refused(server: FakeServer, headers: dict[str, str]):
    refused(httpx.post(f"{server.url}/_fakeserver/reset", headers=headers), 403, "cross_origin")


def test_the_posthog_api_answers_any_host_and_origin(server: FakeServer):
    foreign = {"Host": "evil.example", "Origin": EVIL, "Sec-Fetch-Site": "cross-site", **bearer()}
    assert httpx.get(server.url + CONVERSATIONS, headers=foreign).status_code == 200
    namespaced = httpx.get(f"{server.url}/_ns/alpha{CONVERSATIONS}", headers=foreign)
    assert namespaced.status_code == 200
    queue = f"{server.url}{CONVERSATIONS}{FIRST}/queue/"
    assert httpx.get(queue, headers=foreign).status_code == 200


def test_in_process_clients_keep_any_host_name(make_server: ServerFactory):
    server = make_server()
    with server.client() as client:
        assert client.post("/_fakeserver/reset").json() == {"reset": ["default"]}
    transport = httpx.ASGITransport(app=server.app)

    async def call() -> int:
        async with httpx.AsyncClient(transport=transport, base_url="http://fake.internal") as c:
            return (await c.post("/_fakeserver/reset", json={})).status_code

    assert asyncio.run(call()) == 200
    server.close()


def test_in_process_calls_still_check_the_origin(make_server: ServerFactory):
    with make_server() as server, server.client() as client:
        refused(client.post("/_fakeserver/reset", headers={"Origin": EVIL}), 403, "cross_origin")


# Allowances --------------------------------------------------------------------------------


def test_an_allowed_origin_may_call_with_json_only(make_server: ServerFactory):
    with make_server(live=True, allow_origins=[EVIL + "/"]) as server:
        post = httpx.post(
            f"{server.url}/_fakeserver/fixtures",
            headers={"Origin": EVIL, "Content-Type": "application/json"},
            content=EVIL_FIXTURE,
        )
        assert post.status_code == 200, post.text
        assert "evil" in titles(server)
        plain = httpx.post(
            f"{server.url}/_fakeserver/reset",
            headers={"Origin": EVIL, "Content-Type": "text/plain"},
        )
        refused(plain, 415, "unsupported_media_type")
        assert "evil" in titles(server)
        other = httpx.post(
            f"{server.url}/_fakeserver/reset", headers={"Origin": "http://other.example"}
        )
        refused(other, 403, "cross_origin")


def test_an_allowed_host_may_call_and_others_may_not(make_server: ServerFactory):
    with make_server(live=True, allow_hosts=["fakeserver.test"]) as server:
        allowed = httpx.get(f"{server.url}/_fakeserver/", headers={"Host": "fakeserver.test:8010"})
        assert allowed.status_code == 200
        refused(
            httpx.get(f"{server.url}/_fakeserver/", headers={"Host": "evil.example"}),
            403,
            "host_not_allowed",
        )


def test_star_allows_any_host_and_origin(make_server: ServerFactory):
    with make_server(live=True, allow_hosts=["*"], allow_origins=["*"]) as server:
        headers = {"Host": "evil.example", "Origin": EVIL}
        assert httpx.get(f"{server.url}/_fakeserver/", headers=headers).status_code == 200


def test_the_host_is_checked_before_the_token(make_server: ServerFactory):
    with make_server(live=True, control_token="s3cret") as server:
        foreign = httpx.get(f"{server.url}/_fakeserver/", headers={"Host": "evil.example"})
        refused(foreign, 403, "host_not_allowed")
        refused(httpx.get(f"{server.url}/_fakeserver/"), 401, "invalid_control_token")
        token = {"X-Fakeserver-Control-Token": "s3cret"}
        assert httpx.get(f"{server.url}/_fakeserver/", headers=token).status_code == 200


# Bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"namespace": "default"}'),
        ("application/x-www-form-urlencoded", b"namespace=default"),
        ("multipart/form-data; boundary=x", b"--x--"),
        (None, b'{"namespace": "default"}'),
        ("text/plain", b""),
    ],
)
def test_state_changes_take_json_bodies_only(
    server: FakeServer, content_type: str | None, body: bytes
):
    with server.client(api_key=ADA_KEY) as client:
        client.delete(f"{CONVERSATIONS}{FIRST}/")
        headers = {"Content-Type": content_type} if content_type else {}
        answer = client.post("/_fakeserver/reset", headers=headers, content=body)
        if content_type is None:  # httpx sends none: a body without a declared type
            assert "content-type" not in answer.request.headers
        refused(answer, 415, "unsupported_media_type")
        assert FIRST not in [conversation.id for conversation in server.conversations()]
        profile = client.put(
            "/_fakeserver/profile",
            headers={"Content-Type": "text/plain"},
            content=b'{"profile": "actual"}',
        )
        refused(profile, 415, "unsupported_media_type")
        assert server.profile.name == "documented"


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=utf-8"])
def test_json_bodies_and_empty_bodies_are_accepted(server: FakeServer, content_type: str):
    with server.client() as client:
        answer = client.post(
            "/_fakeserver/reset", headers={"Content-Type": content_type}, content=b"{}"
        )
        assert answer.status_code == 200, answer.text
        assert client.post("/_fakeserver/reset").status_code == 200
        assert client.delete("/_fakeserver/faults").status_code == 204


# Configuration -----------------------------------------------------------------------------


def test_serve_takes_repeatable_allow_options(monkeypatch: pytest.MonkeyPatch):
    args = serve_config(
        ["--allow-origin", "http://a", "--allow-origin", "http://b", "--allow-host", "h"]
    )
    assert args.allow_origins == ("http://a", "http://b")
    assert args.allow_hosts == ("h",)
    monkeypatch.setenv("FAKESERVER_ALLOW_ORIGIN", "http://c, http://d")
    defaults = serve_config([])
    assert defaults.allow_origins == ("http://c", "http://d")
    assert defaults.allow_hosts == ()


def test_a_network_bind_is_announced_with_the_token_advice():
    assert _exposure_warning("127.0.0.1", token=False) == []
    assert _exposure_warning("localhost", token=False) == []
    (line,) = _exposure_warning("0.0.0.0", token=False)
    assert "reachable from the network" in line and "--control-token" in line
    (protected,) = _exposure_warning("192.168.1.5", token=True)
    assert "needs the control token" in protected


def test_allowed_values_are_normalised():
    access = ControlAccess.of(None, ("HTTP://Evil.Example/",), ("Fake.Test:8010", "*"))
    assert access.allowed_origins == frozenset({"http://evil.example"})
    assert access.allowed_hosts == frozenset({"fake.test", "*"})
