"""The general forms of a script rule: `messages:` (any kinds, in order) and `replay:` (a
recorded run's frames).

    messages:
      - {type: ai/reasoning, content: "Looking at signups", substeps: ["Reading events"]}
      - {update: "Querying signups"}                     # tool progress (`event: update`)
      - {type: ai, chunks: ["Here is ", "the chart"]}     # chunks streamed, then the message
      - {type: ai/viz, query: "Signups", answer: {kind: TrendsQuery, series: []}}
      - {type: ai/brand_new, unchecked: true, foo: 1}   # a kind fakeserver does not know yet
      - {event: notebook, data: {...}}                  # any event, streamed as given

    replay:
      conversation: <the recorded conversation's id>
      frames:
        - {after: 0.12, event: message, data: {...}}
        - {after: 0.01, raw: "data: not json\n\n"}
        - {after: 0.5, dropped: true}

    answer: {status: 503, body: '{"detail": "busy"}', content_type: application/json}

Every message of a known kind is checked against the JSON Schemas of `message_kinds`; a problem
names its path (`agent.rules[3].messages[1].query`) and the kind.
"""

from __future__ import annotations

from typing import Any, Final

from fakeserver.domain.scripts import (
    EventStep,
    MessageStep,
    RecordedAnswer,
    RecordedFrame,
    Step,
    UpdateStep,
)
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.message_kinds import known_kinds, message_problems
from fakeserver.fixture_files.records import Record

STEP_ONLY_KEYS: Final = ("chunks", "unchecked")
"""Keys of a `messages:` item that tell fakeserver how to stream it, not part of the message."""
REPLAY_KEYS: Final = {"conversation", "frames"}
ANSWER_KEYS: Final = {"status", "body", "content_type"}
FRAME_KEYS: Final = {"after", "event", "data", "raw", "dropped"}


def _report(record: Record, at: str, kind: Any, problems: list[tuple[str, str]]) -> None:
    for where, sentence in problems:
        record.problems.add(record.source, f"{at}{where}", f"{sentence} (message kind {kind!r})")


def _message_step(record: Record, at: str, item: dict[str, Any]) -> Step | None:
    message = {key: value for key, value in item.items() if key not in STEP_ONLY_KEYS}
    unchecked = item.get("unchecked", False)
    chunks: tuple[str, ...] = ()
    if "chunks" in item:
        try:
            chunks = tuple(v.list_of(v.string)(item["chunks"]))
        except v.InvalidValue as problem:
            record.problems.add(record.source, f"{at}.chunks", str(problem))
        if message.get("type") != "ai":
            record.problems.add(
                record.source, f"{at}.chunks", "only an `ai` message streams chunks"
            )
        message.setdefault("content", "".join(chunks))
    if unchecked is not True:
        problems = message_problems(message)
        if problems and problems[0][0] == ".type" and "unknown" in problems[0][1]:
            problems = [(".type", problems[0][1] + "; `unchecked: true` streams it as given")]
        _report(record, at, message.get("type"), problems)
        if problems:
            return None
    return MessageStep(dict(sorted(message.items())), chunks)


def _step(record: Record, at: str, item: Any) -> Step | None:
    if not isinstance(item, dict):
        record.problems.add(record.source, at, "expected a mapping: a message, update or event")
        return None
    if "type" in item:
        return _message_step(record, at, item)
    if set(item) == {"update"} and isinstance(item["update"], str):
        return UpdateStep(item["update"])
    if set(item) == {"event", "data"} and isinstance(item["event"], str) and item["event"]:
        return EventStep(item["event"], item["data"])
    record.problems.add(
        record.source,
        at,
        "expected a message (`type: ...`), `{update: text}` or `{event: name, data: ...}`",
    )
    return None


def read_steps(record: Record) -> tuple[Step, ...]:
    """A rule's `messages:`, each checked; problems are recorded on the way."""
    items = record.data.get("messages")
    at = f"{record.path}.messages"
    if not isinstance(items, list):
        record.problems.add(record.source, at, "expected a list")
        return ()
    steps = [_step(record, f"{at}[{index}]", item) for index, item in enumerate(items)]
    return tuple(step for step in steps if step is not None)


def _frame(record: Record) -> RecordedFrame | None:
    after = record.optional("after", _seconds, 0.0)
    if record.optional("dropped", v.boolean, False):
        return RecordedFrame(after, dropped=True)
    raw = record.optional("raw", v.string, None)
    if raw is not None:
        return RecordedFrame(after, raw=raw)
    event = record.required("event", v.non_blank_string)
    data = record.data.get("data")
    # A recorded kind fakeserver does not know yet is replayed as it was recorded.
    if event == "message" and isinstance(data, dict) and data.get("type") in known_kinds():
        _report(record, f"{record.path}.data", data.get("type"), message_problems(data))
    return RecordedFrame(after, event, data) if event is not None else None


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise v.InvalidValue("expected a number of seconds, 0 or more")
    return float(value)


def read_replay(record: Record) -> tuple[str | None, tuple[RecordedFrame, ...]]:
    """A rule's `replay:`: the recorded conversation's id and the frames, each checked."""
    replay = record.record("replay", REPLAY_KEYS)
    conversation = replay.optional("conversation", v.string, None)
    frames = [_frame(frame) for frame in replay.records("frames", FRAME_KEYS)]
    return conversation, tuple(frame for frame in frames if frame is not None)


def _error_status(value: Any) -> int:
    status = v.integer(value)
    if not 400 <= status <= 599:
        raise v.InvalidValue(f"expected an error status (400 to 599), got {status}")
    return status


def read_answer(record: Record) -> RecordedAnswer | None:
    """A rule's `answer:`: a recorded answer that was not a stream, replayed as it was."""
    answer = record.record("answer", ANSWER_KEYS)
    status = answer.required("status", _error_status)
    body = answer.optional("body", v.string, "")
    content_type = answer.optional("content_type", v.non_blank_string, "application/json")
    return RecordedAnswer(status, body, content_type) if status is not None else None
