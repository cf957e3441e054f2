"""Drift is reported, never a reason to stop: a target that changed, played by a fakeserver
behind a proxy that rewrites its answers (`posthog_standin`).

Each change is a NEW difference naming the field (exit 1), and every other step is still
compared; a value the fake cannot be seeded with is reported with the read, the field and both
values. The same target without the rewriting exits 0 (test_verify.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ADA_KEY, FULL_QUEUE
from posthog_standin import (
    Mutation,
    field_added,
    is_internal_as_string,
    max_queue_messages_as_string,
    not_found_renamed,
    proxy,
    serving,
    title_dropped,
)
from verify_harness import READ_ONLY_STEPS, target

from fakeserver import FakeServer
from fakeserver.conformance import commands

__all__ = ["target"]  # a fixture


def verify_through(
    target: FakeServer, mutations: list[Mutation], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    with serving(proxy(target.url, mutations)) as url:
        argv = ["verify", "--target", url, "--personal-api-key", ADA_KEY, "--project", "1"]
        code = commands.run([*argv, "--session-cookie", "ses-ada", "--json"])
    out, err = capsys.readouterr()
    assert err == ""
    parsed: dict[str, Any] = json.loads(out)
    return code, parsed


def new_paths(parsed: dict[str, Any]) -> dict[str, list[str]]:
    return {s["step"]: s["differing_paths"] for s in parsed["steps"] if s["verdict"] == "new"}


def the_rest_is_the_same(parsed: dict[str, Any]) -> None:
    """Every step of the scenario was compared, and those the change does not touch agree."""
    scenario = [s for s in parsed["steps"] if not s["step"].startswith("seed the fake")]
    assert len(scenario) == READ_ONLY_STEPS
    assert {s["verdict"] for s in scenario} <= {"same", "new"}
    assert all(s["target"] is not None and s["fake"] is not None for s in scenario)


def step(parsed: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in parsed["steps"] if s["step"] == name)


def test_another_json_type_on_conversation_reads_is_reported_not_fatal(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, parsed = verify_through(target, [is_internal_as_string], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    new = new_paths(parsed)
    assert new["list conversations"][0] == "$.results[0].is_internal"
    assert new["retrieve a conversation"] == ["$.is_internal"]
    assert new["retrieve a conversation (environments/)"] == ["$.is_internal"]
    assert step(parsed, "retrieve a missing conversation")["verdict"] == "same"
    assert step(parsed, "read a conversation's queue")["verdict"] == "same"
    # The seed: each value named with the read that brought it and both values.
    seeded = step(parsed, "seed the fake: the target's conversation")["differences"]
    assert seeded == [
        {
            "path": "$.is_internal",
            "target": '"false" (a string)',
            "fake": "false (a boolean)",
            "note": f"conversation {FULL_QUEUE}: expected true or false, got a string",
        }
    ]
    listed = step(parsed, "seed the fake: the target's list")
    assert listed["operation"] == "conversations_list"
    assert {d["path"] for d in listed["differences"]} == {"$.is_internal"}
    assert len(listed["differences"]) == parsed["conversations"] - 1


def test_another_json_type_on_queue_reads_is_reported(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, parsed = verify_through(target, [max_queue_messages_as_string], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    assert new_paths(parsed) == {
        "read a conversation's queue": ["$.max_queue_messages"],
        "read a conversation's queue (environments/)": ["$.max_queue_messages"],
    }
    difference = step(parsed, "read a conversation's queue")["differences"][0]
    assert (difference["target"], difference["fake"]) == ("string", "integer")


def test_a_renamed_error_string_is_reported_on_every_step_that_gets_it(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, parsed = verify_through(target, [not_found_renamed], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    new = new_paths(parsed)
    assert new["retrieve a missing conversation"] == ["$.detail"]
    assert new["cancel a missing conversation (environments/)"] == ["$.detail"]
    difference = step(parsed, "delete a missing conversation")["differences"][0]
    assert difference == {"path": "$.detail", "target": '"Not Found"', "fake": '"Not found."'}
    assert step(parsed, "delete a queued message that does not exist")["verdict"] == "same"


def test_a_dropped_field_is_reported_and_the_fake_keeps_the_listed_title(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, parsed = verify_through(target, [title_dropped], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    assert new_paths(parsed) == {
        "retrieve a conversation": ["$.title"],
        "retrieve without the trailing slash": ["$.title"],
        "retrieve a conversation (environments/)": ["$.title"],
    }
    difference = step(parsed, "retrieve a conversation")["differences"][0]
    assert (difference["target"], difference["fake"]) == ("missing", "present")


def test_an_added_field_is_reported(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, parsed = verify_through(target, [field_added], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    assert set(new_paths(parsed)) == {
        "retrieve a conversation",
        "retrieve without the trailing slash",
        "retrieve a conversation (environments/)",
    }
    assert new_paths(parsed)["retrieve a conversation"] == ["$.sentiment"]


def unknown_topic(method: str, path: str, body: Any) -> Any:
    """A topic PostHog added after the fake was written."""
    results = body.get("results") if isinstance(body, dict) else None
    for item in results if isinstance(results, list) else [body]:
        if isinstance(item, dict) and "topic" in item:
            item["topic"] = "quantum_analytics"
    return body


def test_an_unknown_choice_is_seeded_as_the_default_and_reported(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, parsed = verify_through(target, [unknown_topic], capsys)
    assert code == 1
    the_rest_is_the_same(parsed)
    seeded = step(parsed, "seed the fake: the target's conversation")["differences"][0]
    assert seeded["path"] == "$.topic"
    assert seeded["target"] == '"quantum_analytics" (a string)'
    assert seeded["fake"] == "null"
    assert seeded["note"].startswith(
        f"conversation {FULL_QUEUE}: 'quantum_analytics' is not one of 'web_analytics', "
    )
    assert new_paths(parsed)["retrieve a conversation"] == ["$.topic"]


def test_seed_lines_read_well_in_the_table(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    with serving(proxy(target.url, [is_internal_as_string])) as url:
        argv = ["verify", "--target", url, "--personal-api-key", ADA_KEY, "--project", "1"]
        assert commands.run(argv) == 1
    out = capsys.readouterr().out
    assert "seed the fake: the target's conversation" in out
    assert (
        f'$.is_internal: target "false" (a string), fake false (a boolean) (conversation '
        f"{FULL_QUEUE}: expected true or false, got a string)"
    ) in out
