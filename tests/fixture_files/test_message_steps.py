"""The `messages:` and `replay:` forms of a script rule: what loads, and every problem named by
its path and message kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeserver.domain.scripts import EventStep, MessageStep, UpdateStep
from fakeserver.fixture_files import FixtureError, load_seed


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    with pytest.raises(FixtureError) as raised:
        load_seed([path])
    prefix = f"{path}: "
    return [problem.removeprefix(prefix) for problem in raised.value.problems]


def turn_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "f.yaml"
    path.write_text(text)
    turn = load_seed([path]).agent_script.turn_for("x")
    assert turn is not None
    return turn


def test_messages_load_in_order_with_their_streaming(tmp_path: Path) -> None:
    turn = turn_of(
        tmp_path,
        """
agent:
  rules:
    - messages:
        - {update: "Working"}
        - type: ai
          chunks: ["a", "b"]
          tool_calls: [{id: c1, name: search, args: {}, type: tool_call}]
        - {type: tool, tool_call_id: c1, content: "found", ui_payload: {search: 1}}
        - {event: notebook, data: {any: thing}}
""",
    )
    assert turn.ending == "none"
    update, ai, tool, event = turn.steps
    assert update == UpdateStep("Working")
    assert isinstance(ai, MessageStep) and ai.chunks == ("a", "b")
    assert ai.message["content"] == "ab" and list(ai.message) == sorted(ai.message)
    assert isinstance(tool, MessageStep) and tool.message["tool_call_id"] == "c1"
    assert event == EventStep("notebook", {"any": "thing"})


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "{messages: [{type: ai, content: hi}, {type: ai/viz, answer: {kind: TrendsQuery}}]}",
            "agent.rules[0].messages[1].query: is required (message kind 'ai/viz')",
        ),
        (
            "{messages: [{type: ai/viz, query: q, answer: {kind: Nope}}]}",
            "agent.rules[0].messages[0].answer.kind: 'Nope' is not one of: TrendsQuery, "
            "FunnelsQuery, RetentionQuery, HogQLQuery, RevenueAnalyticsGrossRevenueQuery, "
            "RevenueAnalyticsMetricsQuery, RevenueAnalyticsMRRQuery, "
            "RevenueAnalyticsTopCustomersQuery (message kind 'ai/viz')",
        ),
        (
            "{messages: [{type: tool, content: done}]}",
            "agent.rules[0].messages[0].tool_call_id: is required (message kind 'tool')",
        ),
        (
            "{messages: [{type: ai/planning, steps: [{description: d, status: later}]}]}",
            "agent.rules[0].messages[0].steps[0].status: 'later' is not one of: pending, "
            "in_progress, completed (message kind 'ai/planning')",
        ),
        (
            "{messages: [{type: ai/brand_new}]}",
            "agent.rules[0].messages[0].type: unknown message kind 'ai/brand_new' (known: human, "
            "ai, ai/failure, ai/viz, ai/multi_viz, ai/reasoning, ai/planning, ai/notebook, "
            "ai/artifact, ai/task_execution, tool); `unchecked: true` streams it as given "
            "(message kind 'ai/brand_new')",
        ),
        (
            "{messages: [{type: tool, tool_call_id: t, content: c, chunks: [a]}]}",
            "agent.rules[0].messages[0].chunks: only an `ai` message streams chunks",
        ),
        (
            "{messages: [{say: hi}]}",
            "agent.rules[0].messages[0]: expected a message (`type: ...`), "
            "`{update: text}` or `{event: name, data: ...}`",
        ),
        (
            "{reply: hi, messages: [{type: ai, content: x}]}",
            "agent.rules[0].reply: cannot be combined with messages: write the ai message in "
            "messages",
        ),
        (
            "{approval: {tool_name: t}, messages: [{type: ai/reasoning, content: x}]}",
            "agent.rules[0].approval: needs an `ai` message in messages to ask",
        ),
        (
            "{replay: {frames: [{event: message,"
            " data: {type: ai/viz, answer: {kind: HogQLQuery}}}]}}",
            "agent.rules[0].replay.frames[0].data.query: is required (message kind 'ai/viz')",
        ),
        (
            "{replay: {frames: [{after: -1, raw: x}]}}",
            "agent.rules[0].replay.frames[0].after: expected a number of seconds, 0 or more",
        ),
        (
            "{reply: x, replay: {frames: []}}",
            "agent.rules[0].reply: cannot be combined with replay",
        ),
    ],
)
def test_problems_name_the_path_and_the_kind(tmp_path: Path, rule: str, expected: str) -> None:
    assert problems(tmp_path, f"agent: {{rules: [{rule}]}}\n") == [expected]


def test_the_escape_hatch_streams_an_unknown_kind_as_given(tmp_path: Path) -> None:
    turn = turn_of(
        tmp_path, "agent: {rules: [{messages: [{type: ai/x, unchecked: true, n: 1}]}]}\n"
    )
    (step,) = turn.steps
    assert isinstance(step, MessageStep) and step.message == {"n": 1, "type": "ai/x"}


def test_a_recorded_kind_fakeserver_does_not_know_loads_as_recorded(tmp_path: Path) -> None:
    turn = turn_of(
        tmp_path,
        "agent: {rules: [{replay: {conversation: c, frames: "
        '[{after: 0.5, event: message, data: {type: ai/x}}, {raw: "data: oops\\n\\n"}, '
        "{dropped: true}]}}]}\n",
    )
    assert turn.recorded is not None and turn.recorded_conversation == "c"
    assert [f.after for f in turn.recorded] == [0.5, 0.0, 0.0]
    assert turn.recorded[1].raw == "data: oops\n\n" and turn.recorded[2].dropped
