"""Benchmark: the dashboard's conversation table at 100k conversations.

A seed of 100k conversations (two projects, three users, one in twenty hidden from the API's
lists), a thousand of them changed since (moved, deleted), then
`GET /_fakeserver/ui/api/conversations` pages: first, deep (from a cursor half-way), the last,
and with each filter. Server time is the app's answer to one request, measured around the
ASGI call (no HTTP client, no socket). Target: under 200 ms per page.

    .venv/bin/python bench/dashboard_bench.py [--conversations 100000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from measure.verdict import report

from fakeserver.app import create_app
from fakeserver.domain.models import Conversation, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed

PAGE_TARGET_MS = 200.0
PAGE = "/_fakeserver/ui/api/conversations"


def dashboard_seed(conversations: int) -> Seed:
    users = [
        User(
            i,
            str(uuid.UUID(int=i)),
            f"user{i}@example.com",
            "User",
            str(i),
            None,
            True,
            None,
            None,
            frozenset({1, 2}),
            1,
        )
        for i in (1, 2, 3)
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Seed.build(
        projects=[Project(1, "One"), Project(2, "Two")],
        users=users,
        api_keys=[PersonalApiKey("phx_bench", 1, frozenset({"*"}))],
        conversations=[
            Conversation(
                id=f"00000000-0000-4000-8000-{index:012d}",
                project_id=1 + index % 2,
                user_id=1 + index % 3,
                created_at=start + timedelta(seconds=index),
                updated_at=start + timedelta(seconds=index),
                title=None if index % 40 == 0 else f"Conversation {index}",
                deleted=index % 40 == 20,
            )
            for index in range(conversations)
        ],
    )


async def call(app: Any, path: str, query: dict[str, str]) -> tuple[int, bytes, float]:
    """One request straight into the app; (status, body, milliseconds)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": urlencode(query).encode(),
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    started = time.perf_counter()
    await app(scope, receive, send)
    elapsed = (time.perf_counter() - started) * 1000
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, elapsed


async def bench(conversations: int, rounds: int) -> bool:
    built = time.perf_counter()
    seed = dashboard_seed(conversations)
    print(f"seed of {conversations} conversations built in {time.perf_counter() - built:.2f} s")
    app = create_app(seed=seed)
    store = app.state.fakeserver.workspace.store
    later = datetime(2027, 1, 1, tzinfo=UTC)
    for index, conversation_id in enumerate(list(seed.conversations)[:: conversations // 1000]):
        with store.update(conversation_id) as conversation:  # what a long session leaves behind
            conversation.updated_at = later + timedelta(seconds=index)
            conversation.deleted = index % 10 == 0
    status, body, _ = await call(app, PAGE, {"limit": "25"})
    assert status == 200, body
    halfway = conversations // 2
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=halfway)
    order = -((moment - epoch) // timedelta(microseconds=1))
    deep_cursor = f"{order}~00000000-0000-4000-8000-{halfway:012d}"
    cases: list[tuple[str, dict[str, str]]] = [
        ("first page (25 rows)", {}),
        ("deep page (from a cursor half-way)", {"cursor": deep_cursor}),
        ("past the last page", {"cursor": "0~"}),
        ("project + user filter", {"project": "2", "user": "3"}),
        ("listed only", {"visibility": "listed"}),
        ("hidden only", {"visibility": "hidden"}),
        ("status filter, no match (a full scan)", {"status": "canceling"}),
        ("status filter, every row matches", {"status": "idle"}),
        ("title text filter", {"q": "conversation 9999"}),
        ("100 rows", {"limit": "100"}),
    ]
    ok = True
    for name, query in cases:
        samples = []
        for _ in range(rounds):
            status, body, elapsed = await call(app, PAGE, {"limit": "25", **query})
            assert status == 200, body
            samples.append(elapsed)
        rows = len(json.loads(body)["conversations"])
        ok = report(f"{name} [{rows} rows]", samples, PAGE_TARGET_MS) and ok
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"fakeserver dashboard benchmark ({Path(sys.executable).name} {sys.version.split()[0]})")
    return 0 if asyncio.run(bench(args.conversations, args.rounds)) else 1


if __name__ == "__main__":
    sys.exit(main())
