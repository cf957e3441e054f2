"""The fixture's `agent:` sections: how they load, merge, and how their mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeserver.fixture_files import FixtureError, default_fixture_path, load_seed

BASE_FIXTURE = """
projects: [{id: 1}]
users: [{id: 1, email: a@example.com}]
"""
CONVERSATION = "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(BASE_FIXTURE + text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(FixtureError) as raised:
        load_seed([path])
    return raised.value.problems


def test_rules_load_in_order_with_conversation_rules_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "f.yaml",
        f"""
agent:
  rules:
    - {{match: "(?i)hello", reply: ["Hi", " there"]}}
    - {{updates: [Working], final: Done}}
conversations:
  - id: {CONVERSATION}
    project: 1
    user: 1
    agent:
      rules: [{{match: hello, status: generation_error}}]
""",
    )
    seed = load_seed([path])
    hello = seed.agent_script.turn_for("HELLO")
    assert hello is not None and hello.chunks == ("Hi", " there") and hello.final_text == "Hi there"
    anything = seed.agent_script.turn_for("other")
    assert anything is not None and (anything.updates, anything.final) == (("Working",), "Done")
    own = seed.script_for(CONVERSATION).turn_for("hello")
    assert own is not None and own.ending == "generation_error"
    assert seed.script_for(CONVERSATION).turn_for("x") == anything


def test_a_later_file_rules_come_first(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "agent: {rules: [{match: x, reply: first}]}\n")
    second = write(tmp_path, "b.yaml", "agent: {rules: [{match: x, reply: second}]}\n")
    turn = load_seed([first, second]).agent_script.turn_for("x")
    assert turn is not None and turn.chunks == ("second",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("agent: [1]\n", "agent: expected a mapping, got list"),
        ("agent: {rules: {}}\n", "agent.rules: expected a list"),
        (
            "agent: {rules: [{match: '('}]}\n",
            "agent.rules[0].match: not a valid regular expression: missing ), "
            "unterminated subpattern at position 0",
        ),
        (
            "agent: {rules: [{say: hi}]}\n",
            "agent.rules[0].say: unknown key (expected one of: answer, approval, failure, final, "
            "match, messages, replay, reply, status, updates)",
        ),
        (
            "agent: {rules: [{reply: [1]}]}\n",
            "agent.rules[0].reply: item 0: expected a string, got int 1",
        ),
        (
            "agent: {rules: [{status: broken}]}\n",
            "agent.rules[0].status: 'broken' is not one of 'generation_error'",
        ),
        (
            "agent: {rules: [{approval: {preview: x}}]}\n",
            "agent.rules[0].approval: tool_name is required",
        ),
        (
            "agent: {rules: [{approval: {tool_name: t, bogus: 1}}]}\n",
            "agent.rules[0].approval: unknown key 'bogus' "
            "(expected one of: tool_name, preview, payload)",
        ),
        (
            "agent: {rules: [{failure: true, approval: {tool_name: t}}]}\n",
            "agent.rules[0]: failure and approval cannot be combined: a turn ends one way",
        ),
        (
            f"conversations: [{{id: {CONVERSATION}, project: 1, user: 1,"
            " agent: {rules: [{final: 3}]}}]\n",
            "conversations[0].agent.rules[0].final: expected a string, got int 3",
        ),
    ],
)
def test_agent_section_problems_name_file_and_path(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    assert problems(path) == [f"{path}: {problem}"]


def test_default_fixture_has_demo_rules_and_a_sandbox_conversation() -> None:
    seed = load_seed([default_fixture_path()])
    turn = seed.agent_script.turn_for("How many signups last week?")
    assert turn is not None and turn.updates
    assert any(c.is_sandbox for c in seed.conversations.values())
