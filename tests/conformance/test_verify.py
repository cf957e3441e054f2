"""`fakeserver verify` against a target that is a second fakeserver, live on loopback.

The target plays PostHog: in the `actual` profile it answers as PostHog's server does, and fault
rules make it answer otherwise, as a PostHog that changed would. Signed in with a session, it is
reached through the stand-in proxy (`posthog_standin`), which serves PostHog's app page and so
the CSRF cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ADA_KEY, FULL_QUEUE, ServerFactory
from verify_harness import (
    ADA_SESSION,
    READ_ONLY_STEPS,
    SECRET_KEY,
    SESSION_STEPS,
    WRITING_STEPS,
    report,
    standin,
    target,
    verdicts,
    verify,
)

from fakeserver import FakeServer
from fakeserver.api.divergences import DIVERGENCES
from fakeserver.cli import main
from fakeserver.conformance import commands
from fakeserver.harness.operations import OPERATION_IDS

__all__ = ["standin", "target"]  # fixtures


def test_with_a_key_only_the_session_steps_say_they_need_one(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, err = verify(capsys, target.url, "--json")
    assert (code, err) == (0, "")
    parsed = report(out)
    steps = parsed["steps"]
    assert len(steps) == READ_ONLY_STEPS
    needs = [s for s in steps if s["verdict"] == "needs-session"]
    assert len(needs) == SESSION_STEPS
    assert all(s["auth"] == "session" and s["target"] is None for s in needs)
    assert {s["verdict"] for s in steps if s["auth"] == "key"} == {"same"}
    assert parsed["new_differences"] == 0 and parsed["session"] is False
    assert parsed["key_scopes"] == ["conversation:read", "conversation:write"]
    # Nothing a key may not do was sent: the target saw no session step.
    target.journal.assert_not_called("*conversations_queue_destroy")


def test_with_a_session_every_operation_is_compared_under_both_prefixes(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, err = verify(capsys, standin, "--json", session=ADA_SESSION)
    assert (code, err) == (0, "")
    parsed = report(out)
    assert parsed["session"] is True
    assert len(parsed["steps"]) == READ_ONLY_STEPS
    assert set(verdicts(parsed).values()) == {"same"}
    compared = {s["operation"] for s in parsed["steps"] if s["target"] is not None}
    assert compared >= set(OPERATION_IDS)
    assert len(OPERATION_IDS) == 24


def test_the_table_shows_each_step_with_both_answers(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(capsys, standin)
    assert code == 0
    assert "retrieve a missing conversation" in out
    assert "404 json  404 json  same" in out
    assert "needs a session (--session-cookie)" in out
    assert out.rstrip().endswith(
        f"{READ_ONLY_STEPS} steps: 20 same, 0 known divergences, 0 new differences, "
        f"{SESSION_STEPS} need a session"
    )
    code, out, _ = verify(capsys, standin, session=ADA_SESSION)
    assert out.rstrip().endswith(
        f"{READ_ONLY_STEPS} steps: {READ_ONLY_STEPS} same, 0 known divergences, 0 new differences"
    )
    assert "signed in with a session and a key" in out


def _queue_lines(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = parsed["queue_delete_and_clear"]
    return lines


def test_writes_with_a_session_reach_the_queue_s_whole_life(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(capsys, standin, "--json", "--allow-writes", "--yes", session=ADA_SESSION)
    assert code == 0
    parsed = report(out)
    by_step = verdicts(parsed)
    assert set(by_step.values()) == {"same"}
    assert len(by_step) == READ_ONLY_STEPS + WRITING_STEPS
    statuses = {s["step"]: s["target_status"] for s in parsed["steps"]}
    assert statuses["queue a third message: the queue is full"] == 409
    assert statuses["delete the second queued message (environments/)"] == 200
    assert statuses["append a message"] == 201
    assert statuses["cancel the run"] == 204


def test_the_queue_s_delete_and_clear_have_lines_of_their_own(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(capsys, standin, "--json", "--allow-writes", "--yes", session=ADA_SESSION)
    assert code == 0
    lines = {line["step"]: line for line in _queue_lines(report(out))}
    deleted = lines["delete the first queued message"]
    assert deleted["operation"] == "conversations_queue_destroy"
    assert deleted["documented"] == "204, no body"
    assert (
        deleted["fake_actual"]
        == deleted["target"]
        == {"status": 200, "content_type": "application/json"}
    )
    cleared = lines["clear the queue (environments/)"]
    assert cleared["operation"] == "environments_conversations_queue_clear_create"
    assert cleared["documented"] == "200 with the full Conversation"
    assert cleared["target"]["status"] == 200
    assert {line["operation"] for line in lines.values()} == {
        "conversations_queue_destroy",
        "environments_conversations_queue_destroy",
        "conversations_queue_clear_create",
        "environments_conversations_queue_clear_create",
    }
    code, table, _ = verify(capsys, standin, session=ADA_SESSION)
    assert "The queue's delete and clear: the docs' answer on success" in table
    assert "DELETE projects/.../queue/{queue_id}/: delete a queued message that does" in table


def _known_ids(parsed: dict[str, Any]) -> set[str]:
    return {name for step in parsed["steps"] for name in step["divergences"]}


def test_documented_fake_against_actual_target_shows_exactly_the_known_divergences(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(capsys, target.url, "--json", "--profile", "documented")
    assert code == 0
    parsed = report(out)
    assert _known_ids(parsed) == {
        "minimal-fields",
        "conversation-fields",
        "personal-api-key-actions",
    }
    by_step = verdicts(parsed)
    assert "new" not in by_step.values()
    assert by_step["list conversations"] == "known"
    assert by_step["a personal API key on the queue (refused)"] == "known"
    assert by_step["retrieve a missing conversation"] == "same"
    assert by_step["a wrong personal API key"] == "same"
    assert _known_ids(parsed) <= {divergence.id for divergence in DIVERGENCES}


def test_documented_with_a_session_and_writes_knows_the_create_and_queue_divergences(
    standin: str, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(
        capsys,
        standin,
        "--json",
        "--profile",
        "documented",
        "--allow-writes",
        "--yes",
        session=ADA_SESSION,
    )
    assert code == 0, out
    parsed = report(out)
    assert "new" not in verdicts(parsed).values()
    assert _known_ids(parsed) == {
        "minimal-fields",
        "conversation-fields",
        "personal-api-key-actions",
        "create-response",
        "queue-envelope",
        "queue-delete-response",
        "append-message-response",
    }
    create = next(s for s in parsed["steps"] if s["step"].startswith("create"))
    assert create["target"]["content_type"] == "text/event-stream"
    assert create["fake"] == {"status": 201, "content_type": "application/json"}
    # The documented fake answered the delete as the docs say; the actual one as PostHog does.
    deleted = next(s for s in parsed["steps"] if s["step"] == "delete the first queued message")
    assert (deleted["fake_status"], deleted["target_status"]) == (204, 200)


def _new(parsed: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    return {s["step"]: s["differences"] for s in parsed["steps"] if s["verdict"] == "new"}


def test_another_status_is_a_new_difference(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    target.add_fault(
        "conversations_queue_retrieve", status=404, body={"error": "Conversation not found"}
    )
    code, out, _ = verify(capsys, target.url, "--json")
    assert code == 1
    new = _new(report(out))
    assert list(new) == ["a personal API key on the queue (refused)"]
    differences = new["a personal API key on the queue (refused)"]
    assert differences[0] == {"path": "status", "target": "404", "fake": "403"}
    assert {"path": "$.error", "target": "present", "fake": "missing"} in differences
    assert "NEW difference: status: target 404, fake 403 (+" in verify(capsys, target.url)[1]


def test_another_error_string_is_a_new_difference_named_in_the_table(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    changed = {"type": "invalid_request", "code": "not_found", "detail": "Gone.", "attr": None}
    target.add_fault("conversations_destroy", status=404, body=changed)
    code, out, _ = verify(capsys, target.url)
    assert code == 1
    assert 'NEW difference: $.detail: target "Gone.", fake "Not found."' in out
    assert "1 new differences" in out


def test_a_missing_field_is_a_new_difference_with_its_json_path(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    with target.client(api_key=ADA_KEY) as http:
        body = http.get(f"/api/projects/1/conversations/{FULL_QUEUE}/").json()
    del body["title"]
    # Only the scenario's retrieve without a trailing slash (the snapshot reads with one).
    target.add_fault(path=f"*/conversations/{FULL_QUEUE}", status=200, body=body)
    code, out, _ = verify(capsys, target.url, "--json")
    assert code == 1
    assert _new(report(out)) == {
        "retrieve without the trailing slash": [
            {"path": "$.title", "target": "missing", "fake": "present"}
        ]
    }


def test_with_no_conversation_the_steps_that_need_one_are_skipped(
    make_server: ServerFactory,
    capsys: pytest.CaptureFixture[str],
):
    empty = {
        "projects": [{"id": 1}],
        "users": [{"id": 1, "email": "a@example.com", "personal_api_keys": [{"key": "phx_e"}]}],
    }
    with make_server(empty, profile="actual", live=True) as bare:
        code, out, _ = verify(capsys, bare.url, key="phx_e")
    assert code == 0
    assert "skipped (the target lists no conversation)" in out
    assert out.rstrip().endswith(
        f"{READ_ONLY_STEPS} steps: 16 same, 0 known divergences, 0 new differences, 4 skipped, "
        f"{SESSION_STEPS} need a session"
    )


def test_a_read_only_key_is_seeded_as_read_only(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = verify(capsys, target.url, "--json", key="phx_ada_read")
    assert code == 0
    parsed = report(out)
    assert parsed["key_scopes"] == ["conversation:read"]
    delete = next(s for s in parsed["steps"] if s["step"] == "delete a missing conversation")
    assert delete["target"]["status"] == delete["fake"]["status"] == 403


def test_allow_writes_refuses_without_a_terminal_or_yes(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, err = verify(capsys, target.url, "--allow-writes", session=ADA_SESSION)
    assert (code, out) == (2, "")
    assert "the agent run is billed to your organization" in err
    assert "not a terminal to ask on; add --yes" in err
    assert len(target.journal) == 0


def test_the_key_appears_in_no_output_or_report(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    # A target that echoes the key back must not get it printed either.
    echoed = {"type": "invalid_request", "code": "not_found", "detail": SECRET_KEY, "attr": None}
    target.add_fault("conversations_destroy", status=404, body=echoed)
    outputs = []
    for extra in ([], ["--json"], ["--profile", "documented"]):
        code, out, err = verify(capsys, target.url, *extra, key=SECRET_KEY)
        assert code == 1
        outputs += [out, err]
    for key in (SECRET_KEY, "phx_not_a_key"):
        outputs += verify(capsys, target.url, key=key + "x")[1:]
    assert "[redacted]" in outputs[0]
    assert all(SECRET_KEY not in output for output in outputs)


def test_the_cli_runs_verify(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    argv = ["verify", "--target", target.url, "--personal-api-key", ADA_KEY, "--project", "1"]
    assert main(argv) == 0
    assert "20 same" in capsys.readouterr().out


def test_the_key_can_come_from_the_environment(
    target: FakeServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", ADA_KEY)
    assert commands.run(["verify", "--target", target.url, "--project", "1"]) == 0
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY")
    assert commands.run(["verify", "--target", target.url, "--project", "1"]) == 2
    assert "give --personal-api-key or set POSTHOG_PERSONAL_API_KEY" in capsys.readouterr().err


def test_allow_writes_needs_a_session(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, out, err = verify(capsys, target.url, "--allow-writes", "--yes")
    assert (code, out) == (2, "")
    assert err == (
        "fakeserver verify: --allow-writes needs a session (--session-cookie or "
        "POSTHOG_SESSION_COOKIE): the queue, cancel and append steps refuse personal API keys\n"
    )
    assert len(target.journal) == 0


def test_verify_retrieves_only_the_conversation_it_asks_about(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    assert verify(capsys, target.url)[0] == 0
    # One retrieve to seed the fake, then the scenario's three (two of it, one missing); the
    # other listed conversations are seeded from the list.
    target.journal.assert_called("conversations_retrieve", times=4)
