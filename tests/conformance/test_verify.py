"""`fakeserver verify` against a target that is a second fakeserver, live on loopback.

The target plays PostHog: in the `actual` profile it answers as PostHog's server does, and fault
rules make it answer otherwise, as a PostHog that changed would. Signed in with a session, it is
reached through the stand-in proxy (`posthog_standin`), which serves PostHog's app page and so
the CSRF cookie.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ADA_KEY, FULL_QUEUE
from posthog_standin import proxy, serving

from fakeserver import FakeServer
from fakeserver.api.divergences import DIVERGENCES
from fakeserver.cli import main
from fakeserver.conformance import commands
from fakeserver.conformance.runner import HeldRuns
from fakeserver.fixture_files import default_fixture_path
from fakeserver.harness.operations import OPERATION_IDS

SECRET_KEY = "phx_s3cret_never_printed_4a7b"
"""A key with every scope, added to the target's default fixture, to grep the outputs for."""
SECRET_FIXTURE: dict[str, Any] = {
    "users": [
        {
            "id": 9,
            "email": "secret@example.com",
            "projects": [1],
            "personal_api_keys": [
                {"key": SECRET_KEY},
                {"key": "phx_dashboards_only", "scopes": ["dashboard:read"]},
            ],
        }
    ],
    "conversations": [
        {
            "id": "9a9a9a9a-1b1b-4c2c-8d3d-4e4e4e4e4e09",
            "project": 1,
            "user": 9,
            "title": "Funnel drop-off",
            "messages": [{"type": "human", "content": "Where do users drop off?"}],
        }
    ],
}


ADA_SESSION = "ses-ada"
READ_ONLY_STEPS = 36
SESSION_STEPS = 16
"""Of the read-only steps, those only a session may take: 8 actions under both prefixes."""
WRITING_STEPS = 23


@pytest.fixture
def target() -> Iterator[FakeServer]:
    """PostHog as its server behaves: a live fake in `actual`, whose agent runs wait for a
    cancel (as verify's own fakes do), so that the queue steps find the run going."""
    held = HeldRuns()
    with FakeServer(
        [default_fixture_path(), SECRET_FIXTURE], profile="actual", live=True, pacer=held
    ) as server:
        yield server
        held.release()


@pytest.fixture
def standin(target: FakeServer) -> Iterator[str]:
    """The target behind the proxy that serves PostHog's app page (and its CSRF cookie)."""
    with serving(proxy(target.url, [])) as url:
        yield url


def verify(
    capsys: pytest.CaptureFixture[str],
    url: str,
    *extra: str,
    key: str = ADA_KEY,
    session: str | None = None,
    sleep: Any = None,
) -> tuple[int, str, str]:
    argv = ["verify", "--target", url, "--personal-api-key", key, "--project", "1", *extra]
    if session is not None:
        argv += ["--session-cookie", session]
    code = commands.run(argv, sleep=sleep or _no_sleep)
    out, err = capsys.readouterr()
    return code, out, err


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"verify waited {seconds} s where no 429 came")


def report(out: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def verdicts(parsed: dict[str, Any]) -> dict[str, str]:
    return {step["step"]: step["verdict"] for step in parsed["steps"]}


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


def test_a_429_is_waited_out_as_retry_after_says(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=7, times=2)
    waits: list[float] = []
    code, out, err = verify(capsys, target.url, "--json", sleep=waits.append)
    assert (code, err) == (0, "")
    assert waits == [7, 7]
    assert set(verdicts(report(out)).values()) == {"same", "needs-session"}


def test_a_target_that_keeps_answering_429_gives_up_after_three_retries(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=2)
    waits: list[float] = []
    code, out, err = verify(capsys, target.url, sleep=waits.append)
    assert (code, out) == (2, "")
    assert waits == [2, 2, 2]
    assert err.count("\n") == 1
    assert "still answers 429 (throttled) after 3 retries; try again later" in err


def test_a_retry_after_longer_than_two_minutes_is_not_waited(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=3600)
    code, _, err = verify(capsys, target.url)
    assert code == 2
    assert "asks to wait 3600 s (Retry-After)" in err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_target_is_one_line_without_traceback(capsys: pytest.CaptureFixture[str]):
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, err = verify(capsys, url)
    assert (code, out) == (2, "")
    assert err.startswith(f"fakeserver verify: cannot reach {url} (")
    assert err.endswith("check --target and the network\n")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_tls_to_a_plain_http_server_is_a_tls_error(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    url = target.url.replace("http://", "https://")
    code, _, err = verify(capsys, url)
    assert code == 2
    assert err.startswith(f"fakeserver verify: TLS error talking to {url} (")
    assert err.count("\n") == 1


def test_a_slow_target_times_out_in_one_line(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", latency_ms=2000)
    code, _, err = verify(capsys, target.url, "--timeout", "0.2")
    assert code == 2
    assert err == (
        f"fakeserver verify: {target.url} did not answer within 0.2 s; "
        "check the target, or raise --timeout\n"
    )


def test_a_wrong_key_says_to_check_the_key(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, out, err = verify(capsys, target.url, key="phx_not_a_key")
    assert (code, out) == (2, "")
    assert err == (
        f"fakeserver verify: {target.url} refused the personal API key (401: Personal API key "
        "found in request Authorization header is invalid.); check --personal-api-key (a key "
        "from Settings > Personal API keys)\n"
    )


def test_a_missing_scope_names_the_scope(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, _, err = verify(capsys, target.url, key="phx_dashboards_only")
    assert code == 2
    assert err == (
        "fakeserver verify: the personal API key lacks the scope conversation:read; give it "
        "conversation:read (and conversation:write for --allow-writes)\n"
    )


def test_a_wrong_project_says_to_check_the_project(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    argv = ["verify", "--target", target.url, "--personal-api-key", ADA_KEY, "--project", "77"]
    assert commands.run(argv) == 2
    assert "project 77 not found on" in capsys.readouterr().err


def test_a_server_error_on_the_list_is_one_line(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=503)
    code, _, err = verify(capsys, target.url)
    assert code == 2
    assert err == (
        f"fakeserver verify: {target.url} answered 503 (503 Service Unavailable) to "
        "GET /api/projects/1/conversations/; the target has a problem, try later\n"
    )


def test_a_target_that_is_not_posthog_is_named(capsys: pytest.CaptureFixture[str]):
    with FakeServer(live=True) as other:
        code, _, err = verify(capsys, other.url + "/_fakeserver")
    assert code == 2
    assert "not PostHog's conversation list; check --target" in err


def test_with_no_conversation_the_steps_that_need_one_are_skipped(
    capsys: pytest.CaptureFixture[str],
):
    empty = {
        "projects": [{"id": 1}],
        "users": [{"id": 1, "email": "a@example.com", "personal_api_keys": [{"key": "phx_e"}]}],
    }
    with FakeServer(empty, profile="actual", live=True) as bare:
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
