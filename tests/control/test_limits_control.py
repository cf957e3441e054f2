"""Turning PostHog's limits on and watching them from outside the API: fixtures, namespaces,
the control API, the journal, the state dump, the CLI and the pytest plugin (the rules
themselves: tests/domain/test_limits_domain.py; PostHog's answers: tests/api/test_limits.py;
mistakes in a fixture's `limits:` and organizations: tests/fixture_files/test_fixture_files.py;
the back-off example of docs/limits.md: tests/docs/test_docs_examples.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import click
import httpx
import pytest
from conftest import ADA_KEY, ServerFactory, bearer

from fakeserver import FakeServer
from fakeserver.cli.serve import banner, serve_config
from fakeserver.fixture_files import default_fixture_path, load_seed

pytest_plugins = ["pytester"]

LIST = "/api/projects/1/conversations/"


def message() -> dict[str, Any]:
    return {"content": "Hi", "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}


def fill_burst(http: httpx.Client, prefix: str = "") -> list[int]:
    return [http.post(prefix + LIST, json=message()).status_code for _ in range(11)]


@pytest.fixture
def control(make_server: ServerFactory) -> Iterator[tuple[FakeServer, httpx.Client]]:
    with make_server() as server, server.client(headers=bearer()) as http:
        yield server, http


# Where limits are turned on ----------------------------------------------------------------


def test_a_fixture_turns_them_on_and_a_server_setting_wins_over_it(make_server: ServerFactory):
    on = {"limits": "posthog"}
    with make_server([default_fixture_path(), on]) as server, server.client(headers=bearer()) as h:
        assert fill_burst(h)[-1] == 429
    explicit_off = make_server([default_fixture_path(), on], limits="off")
    with explicit_off as server, server.client(headers=bearer()) as http:
        assert fill_burst(http)[-1] == 201


def test_a_namespace_turns_them_on_for_itself_only(control: tuple[FakeServer, httpx.Client]):
    _, http = control
    answer = http.put("/_ns/alice/_fakeserver/limits", json={"mode": "posthog"})
    assert answer.json() == {"namespace": "alice", "mode": "posthog"}
    assert fill_burst(http, "/_ns/alice")[-1] == 429
    assert fill_burst(http)[-1] == 201
    assert fill_burst(http, "/_ns/bob")[-1] == 201
    assert http.get("/_fakeserver/limits?namespace=alice").json()["mode"] == "posthog"


def test_the_server_mode_reaches_every_namespace_and_null_hands_back_to_the_fixture(
    control: tuple[FakeServer, httpx.Client],
):
    server, http = control
    assert http.put("/_fakeserver/limits", json={"mode": "posthog"}).status_code == 200
    assert fill_burst(http, "/_ns/carol")[-1] == 429
    assert http.put("/_fakeserver/limits", json={"mode": None}).json()["mode"] == "off"
    assert server.workspace("carol").limits is None


def test_counters_quota_and_clock_reset_with_the_namespace_but_the_mode_stays(
    control: tuple[FakeServer, httpx.Client],
):
    server, http = control
    server.set_limits("posthog", namespace="alice")
    server.freeze_clock("alice")
    server.set_ai_credit_quota(True, namespace="alice")
    assert fill_burst(http, "/_ns/alice")[-1] == 429
    assert http.post("/_ns/alice/_fakeserver/reset").status_code == 200
    assert server.workspace("alice").limits is not None
    assert not server.workspace("alice").clock.frozen
    assert fill_burst(http, "/_ns/alice")[-1] == 429  # on again, counted from zero
    assert server.limits("alice")["users"][0]["windows"][0]["used"] == 10


def test_restore_puts_back_the_modes_the_server_was_built_with(make_server: ServerFactory):
    with make_server(limits="posthog") as server:
        server.set_limits("off")
        server.set_limits("off", namespace="alice")
        server.restore()
        assert server.limits()["mode"] == "posthog"
        assert server.state.limit_mode("alice") == "posthog"


# The control API -------------------------------------------------------------------------


def test_the_clock_moves_over_http(control: tuple[FakeServer, httpx.Client]):
    server, http = control
    server.set_limits("posthog")
    frozen = http.post("/_fakeserver/clock", json={"freeze": True}).json()
    assert frozen["frozen"] is True and frozen["namespace"] == "default"
    fill_burst(http)
    moved = http.post("/_fakeserver/clock", json={"advance": 60}).json()
    assert moved["now"] > frozen["now"]
    assert http.get("/_fakeserver/clock").json() == moved
    assert http.post(LIST, json=message()).status_code == 201


def test_the_quota_flips_over_http(control: tuple[FakeServer, httpx.Client]):
    server, http = control
    server.set_limits("posthog")
    answer = http.put("/_fakeserver/limits/quota", json={"project": 1, "exceeded": True})
    assert answer.json() == {
        "namespace": "default",
        "organization": "default",
        "ai_credit_quota_exceeded": True,
    }
    assert http.post(LIST, json={}).status_code == 402
    http.put("/_fakeserver/limits/quota", json={"organization": "default", "exceeded": False})
    assert http.post(LIST, json=message()).status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "detail"),
    [
        ("PUT", "limits", {"mode": "fast"}, 400, "invalid_limits", "mode must be one of"),
        ("PUT", "limits", {}, 400, "invalid_input", 'Send {"mode": "posthog"}'),
        ("PUT", "limits", {"mode": "off", "x": 1}, 400, "invalid_input", "Unknown key 'x'"),
        ("PUT", "limits", [1], 400, "invalid_input", "Send a JSON object."),
        ("PUT", "limits/quota", {"project": 1}, 400, "invalid_input", "exceeded must be"),
        ("PUT", "limits/quota", {"exceeded": True}, 400, "invalid_input", "Name either"),
        ("PUT", "limits/quota", {"project": 9, "exceeded": True}, 404, "not_found", "No project"),
        (
            "PUT",
            "limits/quota",
            {"organization": "acme", "exceeded": True},
            404,
            "not_found",
            "No organization with id 'acme'.",
        ),
        ("POST", "clock", {}, 400, "invalid_input", 'Send {"advance": seconds}'),
        ("POST", "clock", {"advance": -1}, 400, "invalid_input", "only moves forward"),
        ("POST", "clock", {"advance": "60"}, 400, "invalid_input", "a number of seconds"),
        ("POST", "clock", {"advance": True}, 400, "invalid_input", "a number of seconds"),
        ("POST", "clock", {"freeze": "yes"}, 400, "invalid_input", "freeze must be"),
    ],
)
def test_bad_control_calls_are_refused_and_change_nothing(
    control: tuple[FakeServer, httpx.Client],
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    detail: str,
):
    server, http = control
    server.freeze_clock()
    before = server.limits()
    answer = http.request(method, f"/_fakeserver/{path}", json=body)
    assert answer.status_code == status
    assert answer.json()["code"] == code and answer.json()["attr"] is None
    assert answer.json()["type"] == "invalid_request"
    assert detail in answer.json()["detail"]
    assert server.limits() == before


def test_malformed_json_to_the_clock_is_a_parse_error(control: tuple[FakeServer, httpx.Client]):
    _, http = control
    answer = http.post(
        "/_fakeserver/clock", content=b"{", headers={"content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "parse_error")


# What is left, and what was refused --------------------------------------------------------


def test_the_state_dump_and_the_limits_endpoint_show_each_windows_budget(
    make_server: ServerFactory,
):
    fixture = {"organizations": [{"id": "default", "customer_id": "cus_9"}]}
    with make_server([default_fixture_path(), fixture], limits="posthog") as server:
        server.freeze_clock()
        with server.client(headers=bearer()) as http:
            for _ in range(3):
                http.get(LIST)
            server.advance_clock(10)
            report = http.get("/_fakeserver/limits").json()
            dumped = http.get("/_fakeserver/state").json()["limits"]
    assert dumped == {key: value for key, value in report.items() if key != "namespace"}
    assert report["organizations"] == [
        {
            "id": "default",
            "name": "Organization default",
            "customer_id": "cus_9",
            "paying": True,
            "ai_credit_quota_exceeded": False,
        }
    ]
    ada_key = next(entry for entry in report["keys"] if entry["key"] == ADA_KEY)
    assert ada_key["user"] == 1
    assert ada_key["windows"] == [
        {
            "throttle": "burst",
            "rate": "480/minute",
            "limit": 480,
            "used": 3,
            "remaining": 477,
            "resets_in_seconds": 50.0,
        },
        {
            "throttle": "sustained",
            "rate": "4800/hour",
            "limit": 4800,
            "used": 3,
            "remaining": 4797,
            "resets_in_seconds": 3590.0,
        },
    ]
    ada = report["users"][0]
    assert [window["throttle"] for window in ada["windows"]] == [
        "ai_burst",
        "ai_sustained",
        "ai_research_burst",
        "ai_research_sustained",
    ]
    assert report["projects"][0] == {"id": 1, "organization": "default", "research_exempt": False}


def test_the_journal_marks_a_request_a_limit_refused(make_server: ServerFactory):
    with make_server(limits="posthog") as server, server.client(headers=bearer()) as http:
        server.freeze_clock()
        server.set_ai_credit_quota(True)
        http.post(LIST, json={})
        journaled = http.get("/_fakeserver/journal", params={"status": 402}).json()["entries"]
        server.set_ai_credit_quota(False)
        fill_burst(http)
    assert journaled[0]["limit"] == {"limit": "ai_credit_quota", "throttle": None, "rate": None}
    refused = server.journal.last("conversations_create", status=429)
    assert refused.limit == {
        "limit": "ai",
        "throttle": "ai_burst",
        "rate": "10/minute",
        "wait_seconds": 60.0,
        "retry_after": 60,
    }
    assert server.journal.last("conversations_create", status=201).limit is None


def test_a_fault_injected_429_is_not_a_limits_refusal(control: tuple[FakeServer, httpx.Client]):
    server, http = control
    server.add_fault("conversations_list", status=429, times=1)
    assert http.get(LIST).status_code == 429
    entry = server.journal.last("conversations_list")
    assert entry.fault is not None and entry.limit is None


# Command line, pytest plugin ----------------------------------------------------


def test_serve_takes_limits_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch):
    assert serve_config([]).limits is None
    assert serve_config(["--limits", "posthog"]).limits == "posthog"
    monkeypatch.setenv("FAKESERVER_LIMITS", "posthog-debug")
    assert serve_config([]).limits == "posthog-debug"
    with pytest.raises(click.UsageError):
        serve_config(["--limits", "fast"])
    seed = load_seed([default_fixture_path()])
    text = banner("http://x", "documented", [default_fixture_path()], seed, limits="posthog")
    assert "  limits     posthog (" in text


MARKED = """
import uuid
import pytest

def create(http):
    body = {"content": "Hi", "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}
    return http.post("/api/projects/1/conversations/", json=body).status_code

@pytest.mark.fakeserver(limits="posthog")
def test_on(fakeserver):
    with fakeserver.client(api_key="phx_ada_all") as http:
        assert [create(http) for _ in range(11)][-1] == 429

def test_off_by_default(fakeserver):
    with fakeserver.client(api_key="phx_ada_all") as http:
        assert [create(http) for _ in range(11)][-1] == 201

@pytest.mark.fakeserver(limits="posthog")
def test_each_test_starts_with_fresh_counters(fakeserver):
    with fakeserver.client(api_key="phx_ada_all") as http:
        assert [create(http) for _ in range(10)] == [201] * 10
"""


def test_the_pytest_marker_and_ini_option_turn_them_on(pytester: pytest.Pytester):
    pytester.makepyfile(MARKED)
    pytester.runpytest().assert_outcomes(passed=3)
    pytester.makeini("[pytest]\nfakeserver_limits = posthog\n")
    pytester.makepyfile(test_ini=MARKED.replace("201", "429", 1))
    pytester.runpytest("test_ini.py").assert_outcomes(passed=3)
