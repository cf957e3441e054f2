"""A typo in an operation id is an error that names the nearest ids, never a silent no-match:
fault rules (Python, control API, header), journal filters and assertions."""

from __future__ import annotations

import httpx
import pytest
from conftest import ServerFactory, bearer

from fakeserver.harness.fault_rules import FaultError
from fakeserver.harness.operations import (
    OPERATION_IDS,
    UnknownOperationId,
    known_operation_id,
)

LIST = "/api/projects/1/conversations/"


def test_every_served_operation_is_known_under_both_prefixes():
    assert "conversations_list" in OPERATION_IDS
    assert "environments_conversations_queue_destroy" in OPERATION_IDS
    assert len(OPERATION_IDS) == 24


@pytest.mark.parametrize(
    "pattern", ["conversations_list", "conversations_queue_*", "*_destroy", "environments_*"]
)
def test_ids_and_globs_that_match_are_accepted(pattern: str):
    assert known_operation_id(pattern) == pattern


@pytest.mark.parametrize(
    ("typo", "named"),
    [
        ("conversation_list", "did you mean conversations_list?"),
        ("conversations_queue_delete", "conversations_queue_destroy"),
        ("conversation_queue_*", "conversations_queue_create"),
        ("list", "known ids: conversations_append_message_create, "),
    ],
)
def test_a_typo_names_the_nearest_ids(typo: str, named: str):
    with pytest.raises(UnknownOperationId) as raised:
        known_operation_id(typo)
    message = str(raised.value)
    assert message.startswith(f"unknown operation_id {typo!r}: ")
    assert named in message


def test_add_fault_refuses_a_typo_and_adds_nothing(make_server: ServerFactory):
    with make_server() as server, server.client() as client:
        with pytest.raises(FaultError, match="did you mean conversations_list"):
            server.add_fault("conversation_list", status=429)
        assert server.faults.rules() == []
        assert client.get(LIST, headers=bearer()).status_code == 200


def test_the_control_api_refuses_a_typo_in_a_rule_and_a_journal_filter(make_server: ServerFactory):
    with make_server() as server, server.client() as client:
        added = client.post(
            "/_fakeserver/faults",
            json={"operation_id": "conversation_list", "action": {"status": 429}},
        )
        assert added.status_code == 400
        assert added.json()["code"] == "invalid_fault"
        assert "did you mean conversations_list?" in added.json()["detail"]
        assert client.get("/_fakeserver/faults").json() == {"rules": []}
        read = client.get("/_fakeserver/journal", params={"operation_id": "conversations_lists"})
        assert read.status_code == 400
        assert read.json()["code"] == "invalid_operation_id"
        assert "did you mean conversations_list" in read.json()["detail"]


def test_journal_assertions_refuse_a_typo(make_server: ServerFactory):
    with make_server() as server, server.client() as client:
        client.delete(f"{LIST}3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10/", headers=bearer())
        with pytest.raises(UnknownOperationId, match="did you mean conversations_queue_destroy"):
            server.journal.assert_not_called("conversation_queue_destroy")
        with pytest.raises(UnknownOperationId):
            server.journal.assert_called("conversations_delete")
        with pytest.raises(UnknownOperationId):
            server.journal.last("conversation_destroy")
        server.journal.assert_called("conversations_destroy")
        server.journal.assert_not_called("conversations_queue_destroy")


def test_a_spent_rule_is_not_counted_as_active(make_server: ServerFactory):
    with make_server() as server, server.client() as client:
        rule = server.add_fault("conversations_list", status=503, times=1)
        assert client.get("/_fakeserver/").json()["faults"] == 1
        assert client.get(LIST, headers=bearer()).status_code == 503
        assert rule.spent
        info = client.get("/_fakeserver/").json()
        assert (info["faults"], info["faults_spent"]) == (0, 1)
        assert client.get(LIST, headers=bearer()).status_code == httpx.codes.OK
