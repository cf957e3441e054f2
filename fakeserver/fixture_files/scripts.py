"""The `agent:` sections of a fixture: the rules that script the simulated agent's replies.

Both the top level and each conversation may hold one:

    agent:
      rules:
        - match: "(?i)signups"          # a regular expression searched in the human message
          updates: ["Querying events"]  # tool progress, each an `update` event
          reply: ["Let me check", ": 42 signups."]   # streamed chunks (or one string)
          final: "42 signups last week." # the final message (default: the chunks joined)
          failure: true                 # end with PostHog's ai/failure message instead
          status: generation_error      # or end with a `status` event instead
          approval:                     # or end by asking the user to approve a tool call
            tool_name: delete_insight
            preview: "Delete the insight 'Signups'"
            payload: {insight_id: 42}
        - match: "(?i)chart"
          messages: [...]               # any message kinds, in order (fixture_files/steps.py)
        - match: "^How many signups\\?$"
          replay: {...}                 # a recorded run's frames (fixture_files/steps.py)

The format is documented in docs/agent-runs.md.
"""

from __future__ import annotations

import re
from typing import Any, Final

from fakeserver.domain.scripts import (
    GENERATION_ERROR,
    AgentScript,
    ApprovalRequest,
    MessageStep,
    ScriptRule,
    Step,
    Turn,
    TurnEnding,
)
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.records import Record
from fakeserver.fixture_files.steps import read_answer, read_replay, read_steps

AGENT_KEYS: Final = {"rules"}
RULE_KEYS: Final = {
    "match",
    "reply",
    "final",
    "updates",
    "failure",
    "status",
    "approval",
    "messages",
    "replay",
    "answer",
}
APPROVAL_KEYS: Final = ("tool_name", "preview", "payload")


def _pattern(value: Any) -> re.Pattern[str]:
    text = v.string(value)
    try:
        return re.compile(text)
    except re.error as error:
        raise v.InvalidValue(f"not a valid regular expression: {error}") from None


def _chunks(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(v.list_of(v.string)(value))


def _approval(value: Any) -> ApprovalRequest:
    data = v.mapping(value)
    unknown = sorted(str(key) for key in data if key not in APPROVAL_KEYS)
    if unknown:
        expected = ", ".join(APPROVAL_KEYS)
        raise v.InvalidValue(f"unknown key {unknown[0]!r} (expected one of: {expected})")
    if "tool_name" not in data:
        raise v.InvalidValue("tool_name is required")
    try:
        tool_name = v.non_blank_string(data["tool_name"])
        preview = v.string(data.get("preview", ""))
    except v.InvalidValue as problem:
        raise v.InvalidValue(f"tool_name and preview must be strings: {problem}") from None
    return ApprovalRequest(tool_name, preview, data.get("payload"))


def _rule(record: Record) -> ScriptRule:
    failure = record.optional("failure", v.boolean, False)
    status = record.optional("status", v.choice((GENERATION_ERROR,)), None)
    approval = record.optional("approval", _approval, None)
    chosen = (("failure", failure), ("status", status), ("approval", approval))
    endings = [key for key, value in chosen if value]
    if len(endings) > 1:
        combined = " and ".join(endings)
        record.problems.add(
            record.source, record.path, f"{combined} cannot be combined: a turn ends one way"
        )
    ending: TurnEnding = "failure" if failure else GENERATION_ERROR if status else "reply"
    pattern = record.optional("match", _pattern, None)
    if "replay" in record.data or "answer" in record.data:
        return ScriptRule(pattern, _replayed_turn(record))
    steps: tuple[Step, ...] = ()
    if "messages" in record.data:
        steps = read_steps(record)
        _refuse_with_messages(record, approval is not None, steps)
        ending = "none" if ending == "reply" else ending
    turn = Turn(
        updates=tuple(record.optional("updates", v.list_of(v.string), [])),
        chunks=record.optional("reply", _chunks, ()),
        final=record.optional("final", v.string, None),
        ending=ending,
        approval=approval,
        steps=steps,
    )
    return ScriptRule(pattern, turn)


def _refuse_with_messages(record: Record, approval: bool, steps: tuple[Step, ...]) -> None:
    for key in ("reply", "final"):
        if key in record.data:
            record.problems.add(
                record.source,
                f"{record.path}.{key}",
                "cannot be combined with messages: write the ai message in messages",
            )
    has_ai = any(
        isinstance(step, MessageStep) and step.message.get("type") == "ai" for step in steps
    )
    if approval and not has_ai:
        record.problems.add(
            record.source, f"{record.path}.approval", "needs an `ai` message in messages to ask"
        )


def _replayed_turn(record: Record) -> Turn:
    """A recorded run (`replay:`) or a recorded answer (`answer:`): nothing else goes with it."""
    chosen = "replay" if "replay" in record.data else "answer"
    others = sorted(key for key in record.data if key not in ("match", chosen))
    if others:
        record.problems.add(
            record.source, f"{record.path}.{others[0]}", f"cannot be combined with {chosen}"
        )
    if chosen == "answer":
        return Turn(ending="none", answer=read_answer(record))
    conversation, frames = read_replay(record)
    return Turn(ending="none", recorded=frames, recorded_conversation=conversation)


def read_agent_script(record: Record) -> AgentScript:
    """The rules of one `agent:` mapping, in order; problems are recorded on the way."""
    return AgentScript(tuple(_rule(rule) for rule in record.records("rules", RULE_KEYS)))
