"""`fakeserver snapshot`: a project's conversations, read from a target, as a fixture.

The list gives the ids (page by page), a retrieve of each gives the whole conversation, and with
a web session (`session.py`) its queue too (personal API keys may not read queues). What the
target said becomes a fixture in `seeding.py`. The personal API key and the session become
placeholders: the file never holds the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from fakeserver.conformance.access import check_list_answer
from fakeserver.conformance.client import ApiClient, Credentials
from fakeserver.fixture_files.values import InvalidValue, uuid_string

PLACEHOLDER_KEY: Final = "phx_fakeserver_snapshot_key"
"""The key a snapshot fixture gives its user: never the key it was read with."""
PLACEHOLDER_SESSION: Final = "fakeserver-snapshot-session"
"""The session (cookie `sessionid`) a snapshot fixture gives its user, for the `actual` profile."""
PAGE_SIZE: Final = 100
SNAPSHOT_USER_ID: Final = 1
"""The user of a snapshot with no conversations (no answer names the key's owner then)."""


def conversations_path(project_id: int) -> str:
    return f"api/projects/{project_id}/conversations/"


@dataclass
class Snapshot:
    """What a target said about the key's user's conversations in one project, as it said it."""

    project_id: int
    listed: list[Any] = field(default_factory=list)
    """The list's items (PostHog's `ConversationMinimal` JSON), in list order."""
    retrieved: dict[str, Any] = field(default_factory=dict)
    """Conversation id -> its retrieve's answer (`Conversation` JSON)."""
    queues: dict[str, Any] = field(default_factory=dict)
    """Conversation id -> its queue's answer (the `{"messages", ...}` envelope); with a session."""

    @property
    def conversation_ids(self) -> list[str]:
        """The listed conversations' ids, in list order."""
        return [
            item["id"] for item in self.listed if isinstance(item, dict) and is_uuid(item.get("id"))
        ]


def is_uuid(value: Any) -> bool:
    """Whether the fixture loader takes `value` as a conversation id (asked of its own check)."""
    try:
        uuid_string(value)
    except InvalidValue:
        return False
    return True


def read_snapshot(
    client: ApiClient,
    project_id: int,
    *,
    limit: int | None = None,
    retrieve: int | None = None,
    session: Credentials | None = None,
    on_total: Callable[[int], None] | None = None,
    on_conversation: Callable[[], None] | None = None,
) -> Snapshot:
    """List the conversations (at most `limit`), then retrieve the first `retrieve` (all when
    None), and with a `session` read their queues; the others keep what the list shows.

    `on_total` hears how many will be retrieved, `on_conversation` each one done (progress).
    """
    snapshot = Snapshot(project_id, _list(client, project_id, limit))
    wanted = snapshot.conversation_ids
    wanted = wanted if retrieve is None else wanted[:retrieve]
    if on_total is not None:
        on_total(len(wanted))
    for conversation_id in wanted:
        path = f"{conversations_path(project_id)}{conversation_id}/"
        answer = client.request("GET", path)
        # A conversation deleted since the list was read keeps what the list showed.
        if answer.status == 200 and answer.is_json:
            snapshot.retrieved[conversation_id] = answer.json
        if session is not None:
            queue = client.request("GET", path + "queue/", credentials=session)
            if queue.status == 200 and queue.is_json:
                snapshot.queues[conversation_id] = queue.json
        if on_conversation is not None:
            on_conversation()
    return snapshot


def _list(client: ApiClient, project_id: int, limit: int | None) -> list[Any]:
    """The list, page after page, as PostHog orders it (most recently updated first)."""
    path = conversations_path(project_id)
    listed: list[Any] = []
    while limit is None or len(listed) < limit:
        page_size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - len(listed))
        params = {"limit": str(page_size)}
        if listed:
            params["offset"] = str(len(listed))
        answer = client.request("GET", path, params=params)
        page = check_list_answer(answer, project_id, client.base_url)
        listed += page["results"]
        if not page.get("next") or not page["results"]:
            break
    return listed if limit is None else listed[:limit]


def render_fixture(fixture: dict[str, Any], path: Path | None, header: str) -> str:
    """The file's text: JSON for a `.json` path, YAML (with `header` as a comment) otherwise."""
    if path is not None and path.suffix.lower() == ".json":
        return json.dumps(fixture, indent=2, ensure_ascii=False) + "\n"
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    body = yaml.safe_dump(fixture, sort_keys=False, allow_unicode=True, width=100)
    return comment + body
