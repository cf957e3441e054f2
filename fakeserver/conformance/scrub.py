"""`snapshot --scrub`: the people's words out, the shapes kept.

Message texts, titles, approval previews, Slack keys, queued messages and the users' emails,
names and distinct ids are replaced by generated text of the same length and shape: a letter by
a letter of the same case, a digit by a digit, everything else (spaces, punctuation, `@`, `.`)
kept. So an email stays an email and a title keeps its length, and nothing of the original is
left. The generator does not depend on the text it replaces, so the result tells nothing about
it but its shape.
"""

from __future__ import annotations

import random
import string
import uuid
from typing import Any, Final

_KEPT_KEYS: Final = frozenset({"id", "type", "decision_status", "tool_name", "status"})
"""Keys whose values are identifiers or enumerations, not anyone's words."""
_USER_FIELDS: Final = ("email", "first_name", "last_name", "distinct_id")
_CONVERSATION_FIELDS: Final = ("title", "slack_thread_key", "slack_workspace_domain")
_QUEUED_TEXT_FIELDS: Final = ("content", "session_id")
_QUEUED_CONTEXT_FIELDS: Final = ("contextual_tools", "ui_context", "billing_context")


class Scrubber:
    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def text(self, original: str) -> str:
        """Generated text of the original's length and shape, never the original itself."""
        while True:
            scrubbed = "".join(self._char(char) for char in original)
            if scrubbed != original or not any(char.isalnum() for char in original):
                return scrubbed

    def _char(self, char: str) -> str:
        if char.isdigit():
            return self._random.choice(string.digits)
        if char.isalpha():
            letters = string.ascii_uppercase if char.isupper() else string.ascii_lowercase
            return self._random.choice(letters)
        return char

    def free_form(self, value: Any, key: str = "") -> Any:
        """Every string of a message (or approval) scrubbed, except identifiers."""
        if isinstance(value, str):
            if key in _KEPT_KEYS or key.endswith("_id") or _is_uuid(value):
                return value
            return self.text(value)
        if isinstance(value, list):
            return [self.free_form(item, key) for item in value]
        if isinstance(value, dict):
            return {name: self.free_form(item, name) for name, item in value.items()}
        return value


def scrub_fixture(fixture: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A copy of a snapshot fixture with its texts, titles and emails replaced."""
    scrubber = Scrubber(seed)
    users = [_scrub_fields(user, _USER_FIELDS, scrubber) for user in fixture.get("users", [])]
    conversations = []
    for conversation in fixture.get("conversations", []):
        scrubbed = _scrub_fields(conversation, _CONVERSATION_FIELDS, scrubber)
        for name in ("messages", "pending_approvals"):
            if name in scrubbed:
                scrubbed[name] = scrubber.free_form(scrubbed[name])
        if "queue" in scrubbed:
            scrubbed["queue"] = [_scrub_queued(queued, scrubber) for queued in scrubbed["queue"]]
        conversations.append(scrubbed)
    return {**fixture, "users": users, "conversations": conversations}


def _scrub_queued(queued: dict[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """A queued message's text and contexts scrubbed; its id, time and agent mode kept."""
    copy = _scrub_fields(queued, _QUEUED_TEXT_FIELDS, scrubber)
    for name in _QUEUED_CONTEXT_FIELDS:
        if name in copy:
            copy[name] = scrubber.free_form(copy[name])
    return copy


def _scrub_fields(
    record: dict[str, Any], names: tuple[str, ...], scrubber: Scrubber
) -> dict[str, Any]:
    copy = dict(record)
    for name in names:
        if isinstance(copy.get(name), str):
            copy[name] = scrubber.text(copy[name])
    return copy


def _is_uuid(value: str) -> bool:
    if len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
