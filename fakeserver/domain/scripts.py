"""What the simulated agent answers: scripted turns, chosen by rules from the fixtures.

A `Turn` is what one run plays after the human message: tool `update`s, streamed text chunks,
messages of any kind (`steps`), then how it ends (a final message, a failure message, a
`generation_error` status, a final message that asks for an approval, or nothing more). A
recorded turn (`recorded`) replays a real run's frames instead. An `AgentScript` is an ordered
list of rules, each a regular expression on the human message and the turn to play; the first
rule that matches wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final, Literal

from fakeserver.domain.models import JSONValue

FAILURE_TEXT: Final = "Oops! Something went wrong. Please try again."
GENERATION_ERROR: Final = "generation_error"

TurnEnding = Literal["reply", "failure", "generation_error", "none"]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A tool call the agent wants the user to approve before it runs."""

    tool_name: str
    preview: str
    payload: JSONValue = None


@dataclass(frozen=True, slots=True)
class MessageStep:
    """A message of any kind, streamed as PostHog streams it: `chunks` (an `ai` message's
    text, each chunk frame carrying the text so far, no id), then the message with a new id."""

    message: dict[str, JSONValue]
    """The message without its id (unless the fixture gave one), keys in PostHog's order."""
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateStep:
    """Tool progress: an `update` event for the turn's tool call."""

    content: str


@dataclass(frozen=True, slots=True)
class EventStep:
    """An event streamed exactly as given (the escape hatch for what PostHog adds later)."""

    event: str
    data: JSONValue


Step = MessageStep | UpdateStep | EventStep


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One frame of a recorded run: `after` seconds after the previous one.

    `event`/`data` for a server-sent event whose data is JSON; `raw` for anything else the
    target sent (a frame that is not JSON, a comment); `dropped` where the target's connection
    broke."""

    after: float = 0.0
    event: str | None = None
    data: JSONValue = None
    raw: str | None = None
    dropped: bool = False


@dataclass(frozen=True, slots=True)
class RecordedAnswer:
    """A recorded answer that was not a stream (an error of the target), replayed as it was."""

    status: int
    body: str
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Turn:
    updates: tuple[str, ...] = ()
    """Tool progress texts, each sent as an `update` event."""
    chunks: tuple[str, ...] = ()
    """Streamed text; each chunk frame carries the text so far, as PostHog's merged chunks do."""
    final: str | None = None
    """The final message's content; the chunks joined when None."""
    ending: TurnEnding = "reply"
    approval: ApprovalRequest | None = None
    steps: tuple[Step, ...] = ()
    """Messages and events of any kind, after the updates and chunks, before the ending."""
    recorded: tuple[RecordedFrame, ...] | None = None
    """A recorded run's frames, replayed instead of everything above."""
    recorded_conversation: str | None = None
    """The recorded conversation's id, which a replay replaces with the new one."""
    answer: RecordedAnswer | None = None
    """Instead of a run: the create is answered with this (a recorded error)."""

    @property
    def final_text(self) -> str:
        return self.final if self.final is not None else "".join(self.chunks)


@dataclass(frozen=True, slots=True)
class ScriptRule:
    pattern: re.Pattern[str] | None
    """None matches every message."""
    turn: Turn

    def matches(self, content: str) -> bool:
        return self.pattern is None or self.pattern.search(content) is not None


@dataclass(frozen=True)
class AgentScript:
    rules: tuple[ScriptRule, ...] = field(default_factory=tuple)

    @cached_property
    def answers(self) -> bool:
        """Whether any rule answers instead of running (so most creates skip the lookup)."""
        return any(rule.turn.answer is not None for rule in self.rules)

    def answer_for(self, content: str) -> RecordedAnswer | None:
        if not self.answers:
            return None
        turn = self.turn_for(content)
        return turn.answer if turn is not None else None

    def turn_for(self, content: str) -> Turn | None:
        for rule in self.rules:
            if rule.matches(content):
                return rule.turn
        return None

    def then(self, fallback: AgentScript) -> AgentScript:
        """This script's rules first, then `fallback`'s."""
        return AgentScript(self.rules + fallback.rules)


def default_turn(content: str) -> Turn:
    """The reply when no rule matches: deterministic, and it quotes the message."""
    return Turn(chunks=("This is a scripted reply", f' from fakeserver to: "{content}"'))


def resume_turn(action: str | None, tool_name: str | None, feedback: str | None) -> Turn:
    """What the agent says after the user answers an approval (`resume_payload`)."""
    if tool_name is None:
        return Turn(final="There is nothing waiting for your approval.")
    if action == "approve":
        return Turn(final=f"Approved: {tool_name} has been applied.")
    if action == "reject":
        reason = f" Feedback: {feedback}" if feedback else ""
        return Turn(final=f"Rejected: {tool_name} was not applied.{reason}")
    return Turn(final=f"Noted: {tool_name} is still waiting for approval.")


def title_from(content: str, limit: int = 80) -> str:
    """A conversation title from its first message: one line, cut on a word at `limit`."""
    line = " ".join(content.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] or line[: limit - 1]
    return cut + "…"
