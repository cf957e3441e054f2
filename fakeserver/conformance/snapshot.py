"""`fakeserver snapshot`: a project's conversations, read from a target, as a fixture.

The list gives the ids (page by page), a retrieve of each gives the whole conversation, and the
conversations' `user` objects give the users. The personal API key becomes a placeholder: the
file never holds the real one. Values the fake would refuse (a choice PostHog added later than
the fake knows) are left out rather than failing the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from fakeserver.conformance.access import check_list_answer
from fakeserver.conformance.client import ApiClient
from fakeserver.domain.models import (
    AGENT_MODES,
    AGENT_RUNTIMES,
    CONVERSATION_STATUSES,
    CONVERSATION_TOPICS,
    CONVERSATION_TYPES,
    ROLES_AT_ORGANIZATION,
)
from fakeserver.fixture_files.schema import USER_PROFILE_KEYS
from fakeserver.fixture_files.values import InvalidValue, uuid_string

PLACEHOLDER_KEY: Final = "phx_fakeserver_snapshot_key"
"""The key a snapshot fixture gives its user: never the key it was read with."""
PAGE_SIZE: Final = 100
SNAPSHOT_USER_ID: Final = 1
"""The user of a snapshot with no conversations (no answer names the key's owner then)."""

_CHOICES: Final = {
    "status": CONVERSATION_STATUSES,
    "topic": CONVERSATION_TOPICS,
    "type": CONVERSATION_TYPES,
    "agent_mode": AGENT_MODES,
    "agent_runtime": AGENT_RUNTIMES,
}
_PLAIN_FIELDS: Final = (
    "title",
    "is_internal",
    "slack_thread_key",
    "slack_workspace_domain",
    "created_at",
    "updated_at",
    "has_unsupported_content",
)


def conversations_path(project_id: int) -> str:
    return f"api/projects/{project_id}/conversations/"


@dataclass
class Snapshot:
    """What a target holds for the key's user in one project."""

    project_id: int
    conversations: list[dict[str, Any]] = field(default_factory=list)
    """Retrieved conversations (PostHog's `Conversation` JSON), in list order."""


def read_snapshot(
    client: ApiClient,
    project_id: int,
    *,
    limit: int | None = None,
    retrieve: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_conversation: Callable[[], None] | None = None,
) -> Snapshot:
    """List the conversations (at most `limit`), then retrieve the first `retrieve` (all when
    None); the others keep what the list shows of them (no messages).

    `on_total` hears how many will be retrieved, `on_conversation` each one done (progress).
    """
    listed = _list(client, project_id, limit)
    wanted = listed if retrieve is None else listed[:retrieve]
    if on_total is not None:
        on_total(len(wanted))
    snapshot = Snapshot(project_id)
    for item in wanted:
        answer = client.request("GET", f"{conversations_path(project_id)}{item['id']}/")
        # A conversation deleted since the list was read is simply not in the snapshot.
        if answer.status == 200 and isinstance(answer.json, dict):
            snapshot.conversations.append(answer.json)
        if on_conversation is not None:
            on_conversation()
    snapshot.conversations += listed[len(wanted) :]
    return snapshot


def _list(client: ApiClient, project_id: int, limit: int | None) -> list[dict[str, Any]]:
    """The list, page after page, as PostHog orders it (most recently updated first)."""
    path = conversations_path(project_id)
    listed: list[dict[str, Any]] = []
    while limit is None or len(listed) < limit:
        page_size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(listed))
        params = {"limit": str(page_size)}
        if listed:
            params["offset"] = str(len(listed))
        answer = client.request("GET", path, params=params)
        page = check_list_answer(answer, project_id, client.base_url)
        listed += [item for item in page["results"] if isinstance(item, dict) and "id" in item]
        if not page.get("next") or not page["results"]:
            break
    return listed if limit is None else listed[:limit]


def as_fixture(
    snapshot: Snapshot, *, key: str = PLACEHOLDER_KEY, scopes: tuple[str, ...] = ("*",)
) -> dict[str, Any]:
    """The snapshot in the fixture format (`fakeserver serve --fixture` loads it)."""
    users: dict[int, dict[str, Any]] = {}
    conversations = []
    for retrieved in snapshot.conversations:
        user = _user(retrieved.get("user"), snapshot.project_id)
        if user is None:
            continue
        users.setdefault(user["id"], user)
        conversations.append(_conversation(retrieved, snapshot.project_id, user["id"]))
    if not users:
        users[SNAPSHOT_USER_ID] = {
            "id": SNAPSHOT_USER_ID,
            "email": "snapshot@example.com",
            "projects": [snapshot.project_id],
        }
    # The list shows only the key owner's conversations, so their user is the key's owner.
    owner = next(iter(users.values()))
    owner["personal_api_keys"] = [{"key": key, "scopes": list(scopes)}]
    return {
        "projects": [{"id": snapshot.project_id, "name": f"Project {snapshot.project_id}"}],
        "users": list(users.values()),
        "conversations": conversations,
    }


def _user(basic: Any, project_id: int) -> dict[str, Any] | None:
    if not isinstance(basic, dict) or not isinstance(basic.get("id"), int):
        return None
    user: dict[str, Any] = {"id": basic["id"]}
    for name in USER_PROFILE_KEYS:
        if name in basic:
            user[name] = basic[name]
    if not isinstance(user.get("email"), str):
        user["email"] = f"user{basic['id']}@example.com"
    if not _loads_as_uuid(user.get("uuid")):
        user.pop("uuid", None)
    if user.get("role_at_organization") not in (*ROLES_AT_ORGANIZATION, None):
        user["role_at_organization"] = None
    if not isinstance(user.get("hedgehog_config"), dict | None):
        user["hedgehog_config"] = None
    user["projects"] = [project_id]
    return user


def _conversation(retrieved: dict[str, Any], project_id: int, user_id: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": retrieved["id"], "project": project_id, "user": user_id}
    for name in _PLAIN_FIELDS:
        if name in retrieved:
            record[name] = retrieved[name]
    for name, choices in _CHOICES.items():
        if retrieved.get(name) in choices:
            record[name] = retrieved[name]
    messages = retrieved.get("messages")
    if isinstance(messages, list):
        record["messages"] = [
            message
            for message in messages
            if isinstance(message, dict) and isinstance(message.get("type"), str)
        ]
    approvals = retrieved.get("pending_approvals")
    if isinstance(approvals, list):
        record["pending_approvals"] = [item for item in approvals if isinstance(item, dict)]
    # A run that ended closed the queue's drain (recorded; PostHog's newest queue refuses nothing
    # for it).
    record["drain_closed"] = record.get("status", "idle") == "idle" and bool(record.get("messages"))
    return record


def _loads_as_uuid(value: Any) -> bool:
    """Whether the fixture loader takes `value` as a UUID (asked of its own check)."""
    try:
        uuid_string(value)
    except InvalidValue:
        return False
    return True


def render_fixture(fixture: dict[str, Any], path: Path | None, header: str) -> str:
    """The file's text: JSON for a `.json` path, YAML (with `header` as a comment) otherwise."""
    if path is not None and path.suffix.lower() == ".json":
        return json.dumps(fixture, indent=2, ensure_ascii=False) + "\n"
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    body = yaml.safe_dump(fixture, sort_keys=False, allow_unicode=True, width=100)
    return comment + body
