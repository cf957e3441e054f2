"""A target's answers as a fixture, whatever they hold: what the fixture format takes is seeded,
everything else is a `SeedProblem` that names the read, the field and both values.

A PostHog that changed (another JSON type, a choice the fake does not know, a field gone) must
not stop `verify`: that change is what it looks for. Each value is judged with the fixture
loader's own readers (`fixture_files.schema`); one it refuses is left out, so the fake holds the
loader's default (read back from the loaded seed for the report), and a conversation the target
lists keeps a title, so that the fake lists it too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from fakeserver.api import serializers
from fakeserver.conformance.client import TargetError
from fakeserver.conformance.snapshot import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_SESSION,
    SNAPSHOT_USER_ID,
    Snapshot,
    is_uuid,
)
from fakeserver.domain.queue import MAX_QUEUE_MESSAGES
from fakeserver.domain.store import Seed
from fakeserver.fixture_files import FixtureError, load_seed
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.schema import CONVERSATION_READERS, QUEUE_READERS, USER_READERS

LIST_READ: Final = "seed the fake: the target's list"
RETRIEVE_READ: Final = "seed the fake: the target's conversation"
QUEUE_READ: Final = "seed the fake: the target's queue"
READS: Final = {
    LIST_READ: ("conversations_list", ""),
    RETRIEVE_READ: ("conversations_retrieve", "{conversation}/"),
    QUEUE_READ: ("conversations_queue_retrieve", "{conversation}/queue/"),
}
"""Each read's operationId and path after `.../conversations/`."""
LEFT_OUT: Final = "left out"
STAND_IN_TITLE: Final = "fakeserver: the target's title could not be seeded"
"""Given to a listed conversation whose title cannot be seeded: untitled, the fake hides it."""
MINIMAL_FIELDS: Final = tuple(
    name for name in serializers.MINIMAL_FIELDS if name in CONVERSATION_READERS
)
"""The seedable fields of PostHog's `ConversationMinimal` (the list: no `id` or `user`, which a
seed takes elsewhere); the retrieve adds the others of `CONVERSATION_READERS`."""
_SHOWN_LENGTH: Final = 60


@dataclass(frozen=True)
class SeedProblem:
    """A value the target sent that the fake could not be seeded with."""

    read: str
    """Which read brought it: `LIST_READ`, `RETRIEVE_READ` or `QUEUE_READ`."""
    conversation: str | None
    path: str
    """Where in that read's object, e.g. `$.is_internal`, `$.user.email`, `$.messages[2]`."""
    target: str
    """The target's value, shown as JSON, or `missing`."""
    seeded: str
    """What the fake holds instead: a value shown as JSON, or `left out`."""
    reason: str


@dataclass
class Seeding:
    fixture: dict[str, Any]
    seed: Seed
    """The fixture, loaded: what the fakes are built from."""
    problems: list[SeedProblem] = field(default_factory=list)


def shown(value: Any) -> str:
    """A value as JSON, cut short, with its JSON type: `"false" (a string)`."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 3] + "..."
    kinds = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    kind = "null" if value is None else kinds.get(type(value), _container_kind(value))
    return text if kind == "null" else f"{text} ({kind})"


def _container_kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "an object"


class _Reader:
    """Collects the problems of one conversation's reads."""

    def __init__(self, conversation: str | None, problems: list[SeedProblem]) -> None:
        self.conversation, self.problems = conversation, problems

    def problem(self, read: str, path: str, target: str, reason: str, seeded: str = "") -> None:
        self.problems.append(
            SeedProblem(read, self.conversation, path, target, seeded or LEFT_OUT, reason)
        )

    def fields(
        self,
        source: dict[str, Any],
        readers: dict[str, v.ValueReader[Any]],
        names: tuple[str, ...],
        read_of: Callable[[str], str],
        prefix: str = "$",
    ) -> dict[str, Any]:
        """The values of `names` the readers take; a problem for each other one."""
        taken: dict[str, Any] = {}
        for name in names:
            path = f"{prefix}.{name}"
            if name not in source:
                self.problem(read_of(name), path, "missing", "the field is missing")
                continue
            try:
                readers[name](source[name])
            except v.InvalidValue as error:
                self.problem(read_of(name), path, shown(source[name]), str(error))
                continue
            taken[name] = source[name]
        return taken


def seed_fixture(
    snapshot: Snapshot,
    *,
    key: str = PLACEHOLDER_KEY,
    scopes: tuple[str, ...] = ("*",),
    session: str | None = PLACEHOLDER_SESSION,
) -> Seeding:
    """The snapshot as a fixture that loads, with every value it could not take."""
    problems: list[SeedProblem] = []
    users: dict[int, dict[str, Any]] = {}
    conversations: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(snapshot.listed):
        record = _conversation(snapshot, index, item, users, problems)
        if record is not None and record["id"] in seen:
            reason = "the list holds this conversation twice"
            path, target = f"$.results[{index}].id", shown(record["id"])
            _Reader(record["id"], problems).problem(LIST_READ, path, target, reason)
        elif record is not None:
            seen.add(record["id"])
            conversations.append(record)
    owner = _owner(users, snapshot.project_id, conversations)
    owner["personal_api_keys"] = [{"key": key, "scopes": list(scopes)}]
    if session is not None:
        owner["session"] = session
    fixture = {
        "projects": [{"id": snapshot.project_id, "name": f"Project {snapshot.project_id}"}],
        "users": list(users.values()),
        "conversations": conversations,
    }
    return _loaded(fixture, problems)


def _conversation(
    snapshot: Snapshot,
    index: int,
    item: Any,
    users: dict[int, dict[str, Any]],
    problems: list[SeedProblem],
) -> dict[str, Any] | None:
    listed_path = f"$.results[{index}]"
    identifier = item.get("id") if isinstance(item, dict) else None
    if not is_uuid(identifier):
        target = shown(identifier) if isinstance(item, dict) else shown(item)
        reason = "a listed conversation needs a UUID `id`"
        _Reader(None, problems).problem(LIST_READ, listed_path + ".id", target, reason)
        return None
    assert isinstance(item, dict) and isinstance(identifier, str)
    retrieved = snapshot.retrieved.get(identifier)
    source = {**item, **retrieved} if isinstance(retrieved, dict) else item

    def read_of(name: str) -> str:
        """The read a value came from (or, missing everywhere, the last that should have had it)."""
        if not isinstance(retrieved, dict):
            return LIST_READ
        return RETRIEVE_READ if name in retrieved or name not in item else LIST_READ

    reader = _Reader(identifier, problems)
    names = tuple(CONVERSATION_READERS) if isinstance(retrieved, dict) else MINIMAL_FIELDS
    record: dict[str, Any] = {"id": identifier, "project": snapshot.project_id}
    record |= reader.fields(source, CONVERSATION_READERS, names, read_of)
    if "title" not in record:
        record["title"] = STAND_IN_TITLE
    record["user"] = _user(source.get("user"), snapshot.project_id, users, reader, read_of("user"))
    if isinstance(retrieved, dict):
        record["messages"] = _messages(retrieved.get("messages"), reader)
    queue = _queue(snapshot.queues.get(identifier), reader) if identifier in snapshot.queues else []
    if queue:
        record["queue"] = queue
    return record


def _user(
    basic: Any,
    project_id: int,
    users: dict[int, dict[str, Any]],
    reader: _Reader,
    read: str,
) -> int:
    """The conversation's user id, its record added to `users` (the key's owner when the
    target's `user` cannot be seeded: PostHog lists only the owner's conversations)."""
    if not isinstance(basic, dict) or not isinstance(basic.get("id"), int):
        target = "missing" if basic is None else shown(basic)
        reader.problem(read, "$.user", target, "a user needs an integer `id`", "the key's owner")
        owner: int = _owner(users, project_id, [])["id"]
        return owner
    user_id: int = basic["id"]
    if user_id in users:
        return user_id
    user: dict[str, Any] = {"id": user_id}
    user |= reader.fields(basic, USER_READERS, tuple(USER_READERS), lambda _: read, "$.user")
    user.setdefault("email", f"user{user_id}@example.com")
    user["projects"] = [project_id]
    users[user_id] = user
    return user_id


def _owner(
    users: dict[int, dict[str, Any]], project_id: int, conversations: list[dict[str, Any]]
) -> dict[str, Any]:
    """The key's owner: the first conversation's user, or a stand-in when there is none."""
    if conversations and conversations[0]["user"] in users:
        return users[conversations[0]["user"]]
    if users:
        return next(iter(users.values()))
    stand_in = {"id": SNAPSHOT_USER_ID, "email": "snapshot@example.com", "projects": [project_id]}
    users[SNAPSHOT_USER_ID] = stand_in
    return stand_in


def _messages(messages: Any, reader: _Reader) -> list[dict[str, Any]]:
    if not isinstance(messages, list):
        target = "missing" if messages is None else shown(messages)
        reader.problem(RETRIEVE_READ, "$.messages", target, "expected a list", "[]")
        return []
    kept = []
    for position, message in enumerate(messages):
        path = f"$.messages[{position}]"
        if not isinstance(message, dict) or not _is_text(message.get("type")):
            target = shown(message.get("type") if isinstance(message, dict) else message)
            reason = "a message needs a `type` (a text)"
            where = path + ".type" if isinstance(message, dict) else path
            reader.problem(RETRIEVE_READ, where, target, reason)
            continue
        try:
            v.json_value(message)
        except v.InvalidValue as error:
            reader.problem(RETRIEVE_READ, path, shown(message), str(error))
            continue
        kept.append(message)
    return kept


def _is_text(value: Any) -> bool:
    try:
        v.non_blank_string(value)
    except v.InvalidValue:
        return False
    return True


def _queue(envelope: Any, reader: _Reader) -> list[dict[str, Any]]:
    messages = envelope.get("messages") if isinstance(envelope, dict) else None
    if not isinstance(messages, list):
        target = shown(messages if isinstance(envelope, dict) else envelope)
        reader.problem(QUEUE_READ, "$.messages", target, "expected a list of queued messages")
        return []
    kept: list[dict[str, Any]] = []
    for position, queued in enumerate(messages):
        path = f"$.messages[{position}]"
        if len(kept) == MAX_QUEUE_MESSAGES or not isinstance(queued, dict):
            reason = f"at most {MAX_QUEUE_MESSAGES} messages can be queued"
            reason = reason if isinstance(queued, dict) else "expected an object"
            reader.problem(QUEUE_READ, path, shown(queued), reason)
            continue
        taken = reader.fields(
            queued, QUEUE_READERS, tuple(QUEUE_READERS), lambda _: QUEUE_READ, path
        )
        if "content" in taken:  # a queued message without its text cannot be seeded
            kept.append(taken)
    return kept


def _loaded(fixture: dict[str, Any], problems: list[SeedProblem]) -> Seeding:
    """The fixture loaded, a conversation the loader still refuses left out (its first problem
    reported), and each problem's `seeded` read back from the seed."""
    try:
        seed = load_seed([fixture])
    except FixtureError:
        fixture, seed = _without_unloadable(fixture, problems)
    return Seeding(fixture, seed, [_with_seeded_value(problem, seed) for problem in problems])


def _without_unloadable(
    fixture: dict[str, Any], problems: list[SeedProblem]
) -> tuple[dict[str, Any], Seed]:
    kept = []
    for conversation in fixture["conversations"]:
        try:
            load_seed([{**fixture, "conversations": [conversation]}])
        except FixtureError as error:
            reason = error.problems[0].split(": ", 1)[-1]
            reader = _Reader(conversation["id"], problems)
            reader.problem(RETRIEVE_READ, "$", "the conversation", reason)
            continue
        kept.append(conversation)
    fixture = {**fixture, "conversations": kept}
    try:
        return fixture, load_seed([fixture])
    except FixtureError as error:  # not a conversation's: nothing the target said, then
        raise TargetError(f"the fake cannot be seeded: {error.problems[0]}") from None


def _with_seeded_value(problem: SeedProblem, seed: Seed) -> SeedProblem:
    """The problem with the value the fake holds for a conversation's or its user's field."""
    conversation = seed.conversations.get(problem.conversation or "")
    if conversation is None or problem.seeded != LEFT_OUT:
        return problem
    owner: Any = conversation
    name = problem.path.removeprefix("$.")
    if name.startswith("user."):
        owner, name = seed.users.get(conversation.user_id), name.removeprefix("user.")
    if owner is None or "." in name or "[" in name or not hasattr(owner, name):
        return problem
    value = getattr(owner, name)
    value = value.isoformat() if isinstance(value, datetime) else value
    return replace(problem, seeded=shown(value))
