"""The control API under /_fakeserver/: reset, fixtures, state, profile, journal, faults, token."""

from __future__ import annotations

import json

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
from fakeserver.cli.serve import serve_config
from fakeserver.domain.posthog_version import posthog_mirror

NEW_CONVERSATION = "11111111-2222-4333-8444-555555555555"
EXTRA_FIXTURE = {
    "conversations": [
        {
            "id": NEW_CONVERSATION,
            "project": 1,
            "user": 1,
            "title": "Loaded over HTTP",
            "created_at": "2026-11-20T10:00:00Z",
        },
    ],
}


def listed_ids(client: httpx.Client, prefix: str = "") -> list[str]:
    page = client.get(f"{prefix}/api/projects/1/conversations/", headers=bearer()).json()
    return [conversation["id"] for conversation in page["results"]]


def test_info_names_the_namespaces_and_counts(client: httpx.Client):
    client.get("/_ns/alpha/api/projects/1/conversations/", headers=bearer())
    answer = client.get("/_fakeserver/")
    assert answer.status_code == 200
    assert answer.json() == {
        "version": "0.1.0",
        "posthog": posthog_mirror().as_dict(),
        "profile": "documented",
        "namespaces": ["alpha", "default"],
        "journal": {"entries": 1, "size": 1000},
        "faults": 0,
        "faults_spent": 0,
    }


def test_reset_restores_every_namespace(client: httpx.Client, server: FakeServer):
    for prefix in ("", "/_ns/alpha"):
        client.delete(prefix + queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]), headers=bearer())

    answer = client.post("/_fakeserver/reset")

    assert answer.status_code == 200
    assert answer.json() == {"reset": ["default", "alpha"]}
    assert len(server.queue(FULL_QUEUE)) == 2
    assert len(server.queue(FULL_QUEUE, namespace="alpha")) == 2
    assert len(server.journal) == 0


def test_reset_of_one_namespace_by_query_or_body(client: httpx.Client, server: FakeServer):
    for prefix in ("", "/_ns/alpha", "/_ns/beta"):
        client.delete(prefix + queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0]), headers=bearer())

    assert client.post("/_fakeserver/reset?namespace=alpha").json() == {"reset": ["alpha"]}
    assert client.post("/_fakeserver/reset", json={"namespace": "beta"}).json() == {
        "reset": ["beta"]
    }

    assert len(server.queue(FULL_QUEUE, namespace="alpha")) == 2
    assert len(server.queue(FULL_QUEUE, namespace="beta")) == 2
    assert len(server.queue(FULL_QUEUE)) == 1
    assert [entry.namespace for entry in server.journal.entries()] == ["default"]


def test_reset_refuses_an_invalid_namespace_name(client: httpx.Client):
    answer = client.post("/_fakeserver/reset?namespace=no/slash")
    assert answer.status_code == 400
    assert answer.json() == {
        "type": "invalid_request",
        "code": "invalid_namespace",
        "detail": "'no/slash' is not a valid namespace name.",
        "attr": None,
    }


def test_loading_a_fixture_merges_it_over_the_current_ones(client: httpx.Client):
    answer = client.post("/_fakeserver/fixtures", json={"fixture": EXTRA_FIXTURE})
    assert answer.status_code == 200
    assert answer.json() == {
        "namespace": None,
        "replace": False,
        "projects": 2,
        "users": 3,
        "conversations": 11,
    }
    assert NEW_CONVERSATION in listed_ids(client)
    assert FULL_QUEUE in listed_ids(client)


def test_loading_a_fixture_into_one_namespace(client: httpx.Client, server: FakeServer):
    answer = client.post("/_ns/alpha/_fakeserver/fixtures", json={"fixture": EXTRA_FIXTURE})
    assert answer.json()["namespace"] == "alpha"
    assert NEW_CONVERSATION in listed_ids(client, "/_ns/alpha")
    assert NEW_CONVERSATION not in listed_ids(client)
    assert NEW_CONVERSATION not in listed_ids(client, "/_ns/beta")
    # A reset keeps the namespace's fixture: it is its starting state now.
    client.post("/_ns/alpha/_fakeserver/reset")
    assert NEW_CONVERSATION in listed_ids(client, "/_ns/alpha")
    assert server.conversation(NEW_CONVERSATION, "alpha").title == "Loaded over HTTP"


def test_an_invalid_fixture_is_refused_with_every_problem_and_changes_nothing(client: httpx.Client):
    broken = {"conversations": [{"id": NEW_CONVERSATION, "project": 99, "user": 1, "title": 5}]}
    answer = client.post("/_fakeserver/fixtures", json={"fixture": broken})
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_fixture"
    assert body["problems"] == [
        "<fixture #1>: conversations[0].title: expected a string, got int 5",
        "<fixture #1>: conversations[0].project: no project with id 99",
    ]
    assert FULL_QUEUE in listed_ids(client)


@pytest.mark.parametrize("body", [None, [], {"fixture": []}, {"fixture": {}, "path": "x"}])
def test_loading_needs_a_fixture_or_a_path(client: httpx.Client, body: object):
    answer = client.post("/_fakeserver/fixtures", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_input"


def test_loading_a_fixture_file_by_path(client: httpx.Client, tmp_path):
    path = tmp_path / "extra.json"
    conversation = {"id": NEW_CONVERSATION, "project": 1, "user": 1, "title": "From a file"}
    path.write_text(json.dumps({"conversations": [conversation]}))
    answer = client.post("/_fakeserver/fixtures", json={"path": str(path), "replace": False})
    assert answer.status_code == 200
    assert NEW_CONVERSATION in listed_ids(client)


def test_state_dump_is_in_the_fixture_format_and_loads_back(
    client: httpx.Client, server: FakeServer
):
    client.delete(queue_url(ONE_QUEUED, server.queue(ONE_QUEUED)[0].id), headers=bearer())
    dump = client.get("/_fakeserver/state").json()
    assert dump["namespace"] == "default"
    assert dump["projects"] == [
        {"id": 1, "name": "Default project"},
        {"id": 2, "name": "Second project"},
    ]
    one_queued = next(c for c in dump["conversations"] if c["id"] == ONE_QUEUED)
    assert one_queued["project"] == 1 and one_queued["user"] == 1
    assert one_queued["queue"] == []

    client.post("/_fakeserver/reset")
    assert len(server.queue(ONE_QUEUED)) == 1
    reloaded = client.post(
        "/_ns/copy/_fakeserver/fixtures", json={"fixture": {"conversations": dump["conversations"]}}
    )
    assert reloaded.status_code == 200, reloaded.text
    assert server.queue(ONE_QUEUED, namespace="copy") == []


def test_the_profile_can_be_switched(client: httpx.Client, server: FakeServer):
    answer = client.put("/_fakeserver/profile", json={"profile": "actual"})
    assert answer.json() == {"profile": "actual"}
    assert server.profile.name == "actual"
    refused = client.put("/_fakeserver/profile", json={"profile": "nope"})
    assert refused.status_code == 400
    assert refused.json()["detail"] == "unknown profile 'nope'; choose one of: actual, documented"


def test_journal_read_filter_and_clear(client: httpx.Client):
    client.get("/api/projects/1/conversations/", headers=bearer())
    client.get("/_ns/alpha" + queue_url(FULL_QUEUE), headers=bearer())
    client.get("/api/nowhere/")

    everything = client.get("/_fakeserver/journal").json()["entries"]
    assert [e["operation_id"] for e in everything] == [
        "conversations_list",
        "conversations_queue_retrieve",
        None,
    ]
    assert [
        e["path"] for e in client.get("/_fakeserver/journal?namespace=alpha").json()["entries"]
    ] == [queue_url(FULL_QUEUE)]
    unmatched = client.get("/_fakeserver/journal?matched=false").json()["entries"]
    assert [e["path"] for e in unmatched] == ["/api/nowhere/"]
    by_operation = client.get("/_fakeserver/journal?operation_id=conversations_*&status=200")
    assert len(by_operation.json()["entries"]) == 2

    assert client.delete("/_fakeserver/journal").status_code == 204
    assert client.get("/_fakeserver/journal").json() == {"entries": []}


def test_journal_query_values_are_checked(client: httpx.Client):
    assert client.get("/_fakeserver/journal?matched=maybe").status_code == 400
    assert client.get("/_fakeserver/journal?status=abc").status_code == 400


def test_fault_rules_can_be_added_listed_and_removed(client: httpx.Client):
    rule = {"operation_id": "conversations_list", "times": 1, "action": {"status": 503}}
    added = client.post("/_fakeserver/faults", json=rule)
    assert added.status_code == 201
    assert added.json() == {
        "id": "fault-1",
        "operation_id": "conversations_list",
        "method": None,
        "path": None,
        "namespace": None,
        "times": 1,
        "probability": None,
        "seed": 0,
        "fired": 0,
        "remaining": 1,
        "spent": False,
        "action": {"status": 503, "body": None, "headers": {}},
    }
    faulted = client.get("/api/projects/1/conversations/", headers=bearer())
    assert (faulted.status_code, faulted.text) == (503, "503 Service Unavailable")
    assert client.get("/api/projects/1/conversations/", headers=bearer()).status_code == 200
    listed = client.get("/_fakeserver/faults").json()["rules"]
    assert [(r["id"], r["fired"], r["remaining"], r["spent"]) for r in listed] == [
        ("fault-1", 1, 0, True)
    ]
    info = client.get("/_fakeserver/").json()
    assert (info["faults"], info["faults_spent"]) == (0, 1)

    assert client.delete("/_fakeserver/faults/fault-1").status_code == 204
    assert client.delete("/_fakeserver/faults/fault-1").status_code == 404
    assert client.get("/_fakeserver/faults").json() == {"rules": []}


@pytest.mark.parametrize(
    "action",
    [b'{"status": 500, "body": "x\\ud800"}', b'{"status": 500, "body": {"a": ["\\udfff"]}}'],
    ids=["text", "json"],
)
def test_a_fault_body_that_could_not_be_sent_is_refused(client: httpx.Client, action: bytes):
    # Taken, it made the control call and every matching request a 500.
    answer = client.post(
        "/_fakeserver/faults",
        content=b'{"action": ' + action + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "type": "invalid_request",
            "code": "invalid_fault",
            "detail": "body must not hold half of a surrogate pair (U+D800-U+DFFF)",
            "attr": None,
        },
    )
    assert client.get("/_fakeserver/faults").json() == {"rules": []}
    assert client.get("/api/projects/1/conversations/", headers=bearer()).status_code == 200


def test_an_inline_fixture_with_a_lone_surrogate_is_refused_and_changes_nothing(
    client: httpx.Client,
):
    fixture = b'{"fixture": {"projects": [{"id": 1, "name": "P\\ud800"}]}, "replace": true}'
    answer = client.post(
        "/_fakeserver/fixtures", content=fixture, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["problems"] == [
        "<fixture #0>: projects[0].name: U+D800 is half of a surrogate pair, not a character"
    ]
    assert client.get("/api/projects/1/conversations/", headers=bearer()).json()["count"] == 4


def test_a_fault_added_through_a_namespace_prefix_is_scoped_to_it(client: httpx.Client):
    added = client.post("/_ns/alpha/_fakeserver/faults", json={"action": {"status": 500}})
    assert added.json()["namespace"] == "alpha"
    assert (
        client.get("/_ns/alpha/api/projects/1/conversations/", headers=bearer()).status_code == 500
    )
    assert (
        client.get("/_ns/beta/api/projects/1/conversations/", headers=bearer()).status_code == 200
    )
    assert client.get("/api/projects/1/conversations/", headers=bearer()).status_code == 200
    assert client.delete("/_fakeserver/faults?namespace=alpha").status_code == 204
    assert (
        client.get("/_ns/alpha/api/projects/1/conversations/", headers=bearer()).status_code == 200
    )


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ({}, "a fault rule needs an action"),
        ({"action": {"status": 700}}, "status must be an integer from 200 to 599, got 700"),
        (
            {"action": {"status": 500, "drop": True}},
            "choose one of status, drop, stream_capacity, end_after_frames, drop_after_frames, "
            "stall_after_frames; got ['status', 'drop']",
        ),
        ({"action": {}, "probability": 2}, "probability must be between 0 and 1, got 2"),
        ({"action": {}, "times": 0}, "times must be an integer >= 1, got 0"),
        ({"action": {"body": "x"}}, "body and headers need a status"),
        (
            {"action": {}, "when": "always"},
            "unknown rule key(s) ['when']; known: ['action', 'method', 'namespace', "
            "'operation_id', 'path', 'probability', 'seed', 'times']",
        ),
    ],
)
def test_an_invalid_fault_rule_is_refused(
    client: httpx.Client, rule: dict[str, object], detail: str
):
    answer = client.post("/_fakeserver/faults", json=rule)
    assert answer.status_code == 400
    assert answer.json() == {
        "type": "invalid_request",
        "code": "invalid_fault",
        "detail": detail,
        "attr": None,
    }
    assert client.get("/_fakeserver/faults").json() == {"rules": []}


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


@pytest.mark.parametrize("depth", [101, 100_000])
def test_a_deeply_nested_control_body_is_a_400(client: httpx.Client, depth: int):
    nested = client.post(
        "/_fakeserver/faults", content="[" * depth, headers={"Content-Type": "application/json"}
    )
    assert nested.status_code == 400
    assert client.get("/_fakeserver/faults").json() == {"rules": []}


def test_control_calls_are_not_journaled_or_faulted(client: httpx.Client):
    client.post("/_fakeserver/faults", json={"action": {"status": 500}})
    assert client.get("/_fakeserver/").status_code == 200
    assert client.get("/_fakeserver/journal").json() == {"entries": []}


def test_malformed_json_is_a_parse_error(client: httpx.Client):
    answer = client.post(
        "/_fakeserver/faults", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


def test_an_unknown_control_path_or_method(client: httpx.Client):
    assert client.get("/_fakeserver/nothing").status_code == 404
    wrong = client.patch("/_fakeserver/faults")
    assert wrong.status_code == 405
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "DELETE"}


def test_a_control_token_is_required_when_configured(make_server: ServerFactory):
    with make_server(control_token="s3cret") as server, server.client() as client:
        refused = client.post("/_fakeserver/reset")
        wrong = client.post("/_fakeserver/reset", headers={"X-Fakeserver-Control-Token": "nope"})
        accepted = client.post(
            "/_fakeserver/reset", headers={"X-Fakeserver-Control-Token": "s3cret"}
        )
        api = client.get("/api/projects/1/conversations/", headers=bearer(ADA_KEY))
    assert refused.status_code == wrong.status_code == 401
    assert refused.json() == {
        "type": "invalid_request",
        "code": "invalid_control_token",
        "detail": "The control API needs the header x-fakeserver-control-token with the server's "
        "token.",
        "attr": None,
    }
    assert accepted.status_code == 200
    assert api.status_code == 200


def test_without_control_the_paths_are_plain_404s(make_server: ServerFactory):
    with make_server(control=False) as server, server.client() as client:
        answer = client.post("/_fakeserver/reset")
    assert answer.status_code == 404
    assert answer.json() == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "Not found.",
        "attr": None,
    }


def test_the_cli_flags_reach_the_config():
    args = serve_config(["--no-control", "--control-token", "t"])
    assert (args.control, args.control_token) == (False, "t")
    defaults = serve_config([])
    assert (defaults.control, defaults.control_token) == (True, None)
