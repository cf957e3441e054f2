"""`fakeserver openapi` and `fakeserver schemathesis-config`, and the links the documents carry."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from schemathesis.config import SchemathesisConfig

from fakeserver.api.profiles import profile_named
from fakeserver.cli import main
from fakeserver.fixture_files import default_fixture_path, load_seed

PROFILES = ("documented", "actual")


def printed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def links_of(document: dict[str, Any], operation_id: str, status: str) -> dict[str, str]:
    """link name -> target operationId of one response."""
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                links = operation["responses"][status].get("links", {})
                return {name: link["operationId"] for name, link in links.items()}
    raise AssertionError(f"no operation {operation_id}")


def every_link(profile: str) -> Iterator[dict[str, Any]]:
    """Every link of every response of the profile's served document."""
    document = json.loads(profile_named(profile).openapi_document)
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    yield from response.get("links", {}).values()


@pytest.mark.parametrize("profile", PROFILES)
def test_openapi_prints_the_served_document(profile: str, capsys: pytest.CaptureFixture[str]):
    served = json.loads(profile_named(profile).openapi_document)
    assert json.loads(printed(capsys, "openapi", "--profile", profile)) == served
    as_yaml = printed(capsys, "openapi", "--profile", profile, "--format", "yaml")
    assert as_yaml.startswith("# fakeserver: OpenAPI document")
    assert yaml.safe_load(as_yaml) == served


@pytest.mark.parametrize("prefix", ["", "environments_"])
def test_documented_create_links_to_the_actions_on_the_echoed_conversation(prefix: str):
    document = json.loads(profile_named("documented").openapi_document)
    targets = set(links_of(document, f"{prefix}conversations_create", "201").values())
    wanted = {
        "queue_retrieve",
        "queue_create",
        "cancel_partial_update",
        "append_message_create",
        "open_create",
    }
    assert {f"{prefix}conversations_{name}" for name in wanted} <= targets


@pytest.mark.parametrize("profile", PROFILES)
def test_no_link_reads_the_request_body(profile: str):
    """The body's `conversation` may be a UUID's integer form (DRF's UUIDField takes it), which
    PostHog's paths answer with 404: a link may only pass ids the server wrote."""
    links = list(every_link(profile))
    assert links
    for link in links:
        sources = link["parameters"].values()
        assert not any(source.startswith("$request.body") for source in sources)


@pytest.mark.parametrize("prefix", ["", "environments_"])
def test_actual_enqueue_links_to_edit_and_delete_by_the_returned_id(prefix: str):
    document = json.loads(profile_named("actual").openapi_document)
    links = links_of(document, f"{prefix}conversations_queue_create", "200")
    assert f"{prefix}conversations_queue_partial_update" in links.values()
    assert f"{prefix}conversations_queue_destroy" in links.values()


@pytest.mark.parametrize("profile", PROFILES)
def test_schemathesis_config_is_valid_and_explains_itself(
    profile: str, capsys: pytest.CaptureFixture[str]
):
    text = printed(capsys, "schemathesis-config", "--profile", profile, "--base-url", "http://h:1")
    config = tomllib.loads(text)
    SchemathesisConfig.from_dict(config)  # raises on anything schemathesis does not accept
    assert config["base-url"] == "http://h:1"
    assert "positive_data_acceptance" in text
    assert text.count("\n# ") >= len(config["operations"]) // 2  # reasons, as comments


def test_documented_config_signs_in_with_adas_key(capsys: pytest.CaptureFixture[str]):
    config = tomllib.loads(printed(capsys, "schemathesis-config", "--profile", "documented"))
    assert config["headers"] == {"Authorization": "Bearer phx_ada_all"}
    assert "auth" not in config


def test_actual_config_signs_in_with_adas_session_as_the_frontend_does(
    capsys: pytest.CaptureFixture[str],
):
    config = tomllib.loads(printed(capsys, "schemathesis-config", "--profile", "actual"))
    schemes = config["auth"]["openapi"]
    assert "headers" not in config  # a Cookie header would hide the session cookie
    seed = load_seed([default_fixture_path()])
    assert seed.users[seed.sessions[schemes["SessionAuth"]["api_key"]]].email == "ada@example.com"
    token = schemes["CsrfCookie"]["api_key"]
    assert schemes["CsrfHeader"] == {"api_key": token}
    assert len(token) == 32 and token.isalnum()  # a CSRF secret Django accepts
    document = json.loads(profile_named("actual").openapi_document)
    assert set(schemes) <= set(document["components"]["securitySchemes"])


def test_actual_document_asks_a_session_where_posthog_refuses_keys():
    document = json.loads(profile_named("actual").openapi_document)
    session = {"SessionAuth": [], "CsrfCookie": [], "CsrfHeader": []}
    for item in document["paths"].values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            security = operation.get("security", document["security"])
            name = operation["operationId"].removeprefix("environments_")
            keyed = name in {"conversations_list", "conversations_retrieve"}
            keyed |= name in {"conversations_create", "conversations_destroy"}
            assert ({"PersonalAPIKeyAuth": []} in security) == keyed, name
            expected = {"SessionAuth": []} if method == "get" else session
            assert expected in security, name


def test_schemathesis_config_default_base_url_follows_the_serve_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FAKESERVER_PORT", "8123")
    monkeypatch.setenv("FAKESERVER_PROFILE", "actual")
    config = tomllib.loads(printed(capsys, "schemathesis-config"))
    assert config["base-url"] == "http://127.0.0.1:8123"
    assert "SessionAuth" in config["auth"]["openapi"]  # the actual profile's settings


@pytest.mark.parametrize("profile", PROFILES)
def test_config_ids_are_default_fixture_records_in_the_state_the_reasons_give(
    profile: str, capsys: pytest.CaptureFixture[str]
):
    config = tomllib.loads(printed(capsys, "schemathesis-config", "--profile", profile))
    seed = load_seed([default_fixture_path()])
    assert config["dictionaries"].pop("default-project") == {"values": ["1", "@current"]}
    message = config["dictionaries"].pop("message-content")["values"][0]
    assert any(rule.pattern and rule.matches(message) for rule in seed.agent_script.rules)
    values = {name: entry["values"][0] for name, entry in config["dictionaries"].items()}
    conversations = seed.conversations
    for name, value in values.items():
        if name.endswith("queued-message"):
            assert any(
                item.id == value
                for conversation in conversations.values()
                for item in conversation.queue
            ), name
        else:
            conversation = conversations[value]
            assert conversation.project_id == 1 and conversation.user_id == 1, name
    assert conversations[values["sandbox-conversation"]].is_sandbox
    never_run = conversations[values["never-run-conversation"]]
    assert not never_run.queue
    for name in ("first-conversation-to-delete", "second-conversation-to-delete"):
        assert name not in values or conversations[values[name]].title is None  # not listed


@pytest.mark.parametrize("profile", PROFILES)
def test_no_link_deletes_a_conversation(profile: str):
    """schemathesis reuses ids it has seen, so one conversation is often created or listed through
    both path prefixes, `1` and `@current`, in one scenario; a linked delete through one of them
    is not known as a deletion on the others, and a later linked 404 reads as a lost resource."""
    links = list(every_link(profile))
    assert links
    for link in links:
        assert not link["operationId"].endswith("conversations_destroy")
