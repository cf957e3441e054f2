"""The data and the requests the live and in-process measurements use.

The live server runs the default fixture plus `bench-extra.json`: 150 more conversations of
Ada's in project 1, two messages each, empty queues. They fill a 100-item list page and give
the POST+DELETE cycle enough conversations that concurrent POSTs never hit a queue's limit.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from measure.load import Load

PROJECT = 1
QUEUED_CONVERSATION = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
"""Ada's idle conversation in the default fixture, with one queued message."""
API_KEY = "phx_ada_all"
SESSION = "ses-ada"
CSRF_TOKEN = "BenchCsrfToken0123456789abcdefAB"
EXTRA_CONVERSATIONS = 150
CONVERSATIONS_PATH = f"/api/projects/{PROJECT}/conversations/"

BEARER = {"Authorization": f"Bearer {API_KEY}"}
SESSION_ACTUAL = {"Cookie": f"sessionid={SESSION}", "X-Fakeserver-Profile": "actual"}
SESSION_ACTUAL_WRITE = {
    "Cookie": f"sessionid={SESSION}; posthog_csrftoken={CSRF_TOKEN}",
    "X-CSRFToken": CSRF_TOKEN,
    "X-Fakeserver-Profile": "actual",
    "Content-Type": "application/json",
}
FOLLOW_UP = json.dumps({"content": "And the week before? #N"}, separators=(",", ":"))
"""The live cycle replaces `#N` with the conversation's number (see `load.wrk_script`)."""


def extra_conversation_id(index: int) -> str:
    return str(uuid.UUID(int=0xBE4C0000_0000_4000_8000_000000000000 + index))


def extra_conversation(index: int, project: int = PROJECT, user: int = 1) -> dict[str, Any]:
    """A titled conversation with a question and an answer, as the fixture format spells it."""
    minute = index % 60
    return {
        "id": extra_conversation_id(index),
        "project": project,
        "user": user,
        "title": f"Weekly active users, cohort {index}",
        "topic": "product_analytics",
        "created_at": f"2026-09-{1 + index % 28:02d}T{index % 24:02d}:{minute:02d}:00Z",
        "messages": [
            {"type": "human", "content": f"How many weekly active users did cohort {index} have?"},
            {
                "type": "ai",
                "content": f"Cohort {index} had {1000 + index} weekly active users, "
                "up 3% on the week before.",
            },
        ],
    }


def write_extra_fixture(directory: Path, count: int = EXTRA_CONVERSATIONS) -> Path:
    path = directory / "bench-extra.json"
    path.write_text(json.dumps({"conversations": [extra_conversation(i) for i in range(count)]}))
    return path


def queue_path(conversation_id: str) -> str:
    return f"{CONVERSATIONS_PATH}{conversation_id}/queue/"


def live_loads(cycle_conversations: int) -> list[Load]:
    assert cycle_conversations < EXTRA_CONVERSATIONS
    cycle_paths = tuple(queue_path(extra_conversation_id(i)) for i in range(cycle_conversations))
    clear_path = queue_path(extra_conversation_id(EXTRA_CONVERSATIONS - 1)) + "clear/"
    return [
        Load(
            "GET queue/ (documented, API key)",
            "fixed",
            "GET",
            (queue_path(QUEUED_CONVERSATION),),
            BEARER,
        ),
        Load(
            "GET queue/ (actual, session)",
            "fixed",
            "GET",
            (queue_path(QUEUED_CONVERSATION),),
            SESSION_ACTUAL,
        ),
        Load(
            "POST queue/ + DELETE queue/{id}/ (actual, session+CSRF)",
            "cycle",
            "POST",
            cycle_paths,
            SESSION_ACTUAL_WRITE,
            FOLLOW_UP,
        ),
        Load(
            "GET conversations/?limit=100 (documented, API key)",
            "fixed",
            "GET",
            (CONVERSATIONS_PATH + "?limit=100",),
            BEARER,
        ),
        Load("POST queue/clear/ (documented, API key)", "fixed", "POST", (clear_path,), BEARER),
    ]
