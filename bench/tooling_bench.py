"""Benchmark: namespace reset at 100k conversations, and how fast a live fixture is ready.

1. A seed of 100k conversations (built in code), a namespace with changes in it, then
   `ServerState.reset(namespace)`: the control API's and `FakeServer.reset`'s work (store
   swap, plus the namespace's journal entries and fault rules). Target: under 1 ms.
2. A live server: cold (`FakeServer(live=True)` with the default fixture: load, bind, serve
   the first request) and per test (the pytest plugin's `fakeserver_live` on its already
   running server: restore, then the first request). Target: under 50 ms.

    .venv/bin/python bench/tooling_bench.py [--conversations 100000] [--resets 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from measure.verdict import report

from fakeserver.domain.models import Conversation, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed
from fakeserver.pytest_plugin import FakeServerPool
from fakeserver.server import FakeServer

RESET_TARGET_MS = 1.0
READY_TARGET_MS = 50.0
LIST = "/api/projects/1/conversations/?limit=1"


def big_seed(conversations: int) -> Seed:
    user = User(
        id=1,
        uuid="0190a1b2-0000-4000-8000-00000000a1a1",
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        distinct_id="ada",
        is_email_verified=True,
        role_at_organization=None,
        hedgehog_config=None,
        project_ids=frozenset({1}),
        current_project_id=1,
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Seed.build(
        projects=[Project(1, "Bench")],
        users=[user],
        api_keys=[PersonalApiKey("phx_bench", 1, frozenset({"*"}))],
        conversations=[
            Conversation(
                id=f"00000000-0000-4000-8000-{index:012d}",
                project_id=1,
                user_id=1,
                created_at=start + timedelta(seconds=index),
                updated_at=start + timedelta(seconds=index),
                title=f"Conversation {index}",
            )
            for index in range(conversations)
        ],
    )


def bench_reset(conversations: int, resets: int) -> bool:
    built = time.perf_counter()
    seed = big_seed(conversations)
    print(f"seed of {conversations} conversations built in {time.perf_counter() - built:.2f} s")
    server = FakeServer(seed=seed)
    state = server.state
    ids = list(seed.conversations)[:: max(1, conversations // 50)]
    samples: list[float] = []
    for _ in range(resets):
        workspace = state.namespace("bench")
        for conversation_id in ids:  # 50 changed conversations, as a test would leave behind
            with workspace.store.update(conversation_id) as conversation:
                conversation.title = "changed"
        started = time.perf_counter()
        state.reset("bench")
        samples.append((time.perf_counter() - started) * 1000)
        assert state.namespace("bench").store.conversation(ids[0]).title != "changed"  # type: ignore[union-attr]
    server.close()
    return report(f"reset of a namespace ({conversations} conversations)", samples, RESET_TARGET_MS)


def bench_live(rounds: int) -> bool:
    FakeServer().start().close()  # warm up imports and uvicorn once
    cold: list[float] = []
    # One client for every round: building an httpx client (its TLS context) costs more than
    # starting the server, and a test suite builds it once too.
    with httpx.Client(headers={"Authorization": "Bearer phx_ada_all"}) as http:
        for _ in range(rounds):
            started = time.perf_counter()
            server = FakeServer(live=True).start()
            assert http.get(server.url + LIST).status_code == 200
            cold.append((time.perf_counter() - started) * 1000)
            server.close()

    pool = FakeServerPool()
    settings: dict[str, Any] = {}  # every setting at its default
    server = pool.get(settings, live=True)
    per_test: list[float] = []
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer phx_ada_all"}) as http:
        for _ in range(rounds * 10):
            http.delete("/api/projects/1/conversations/3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10/")
            started = time.perf_counter()
            again = pool.get(settings, live=True)
            assert http.get(LIST).status_code == 200
            per_test.append((time.perf_counter() - started) * 1000)
            assert again is server
    pool.close()
    ok = report("live server, cold (load fixture, bind, 1st request)", cold, READY_TARGET_MS)
    return report("live fixture per test (restore, 1st request)", per_test, READY_TARGET_MS) and ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--resets", type=int, default=1000)
    parser.add_argument("--live-rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"fakeserver tooling benchmark ({Path(sys.executable).name} {sys.version.split()[0]})")
    reset_ok = bench_reset(args.conversations, args.resets)
    live_ok = bench_live(args.live_rounds)
    return 0 if reset_ok and live_ok else 1


if __name__ == "__main__":
    sys.exit(main())
