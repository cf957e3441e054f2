"""Scale: fixture load, memory per conversation, list page and reset at 1k, 10k and 100k.

Every conversation belongs to Ada in project 1, so the list endpoint pages through all of them
(the worst case for a list), and each has a question and an answer, like the fixture's.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from fakeserver.app import create_app
from fakeserver.domain.models import Conversation
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import QueueDraft, Workspace
from measure.package import default_fixture_path, derived_id, load_seed
from measure.workload import BEARER, CONVERSATIONS_PATH, extra_conversation, extra_conversation_id

SIZES = (1_000, 10_000, 100_000)
_START = datetime(2026, 1, 1, tzinfo=UTC)


def conversations(count: int) -> list[Conversation]:
    """What the fixture loader makes of `workload.extra_conversation(i)`, built directly."""
    built = []
    for index in range(count):
        spec = extra_conversation(index)
        conversation_id = spec["id"]
        built.append(
            Conversation(
                id=conversation_id,
                project_id=1,
                user_id=1,
                created_at=_START + timedelta(seconds=index),
                updated_at=_START + timedelta(seconds=index),
                title=spec["title"],
                topic=spec["topic"],
                messages=[
                    {"id": derived_id("message", conversation_id, position), **message}
                    for position, message in enumerate(spec["messages"])
                ],
            )
        )
    return built


def _base_seed() -> Seed:
    return load_seed([default_fixture_path()])


def seed_with(count: int, base: Seed) -> Seed:
    return Seed.build(
        base.projects.values(),
        base.users.values(),
        base.api_keys.values(),
        [*base.conversations.values(), *conversations(count)],
    )


def bytes_per_conversation(count: int, base: Seed) -> float:
    """Memory the conversations and the seed's indexes take, per conversation (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    seed = seed_with(count, base)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del seed
    return (after - before) / count


def fixture_load_seconds(count: int, directory: Path) -> dict[str, float]:
    """Load of a fixture of `count` conversations, as `.json` and (the same text) as `.yaml`:
    the loader reads each suffix with its own parser."""
    text = json.dumps({"conversations": [extra_conversation(i) for i in range(count)]})
    result: dict[str, float] = {"fixture_bytes": len(text)}
    for suffix, key in ((".json", "fixture_load_s"), (".yaml", "fixture_load_yaml_s")):
        path = directory / f"scale-{count}{suffix}"
        path.write_text(text)
        started = time.perf_counter()
        load_seed([default_fixture_path(), path])
        result[key] = time.perf_counter() - started
    return result


def _timed(operation: Any, repeat: int) -> float:
    """Median seconds of `operation()` over `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def _list_page_http(seed: Seed, repeat: int) -> dict[str, float]:
    app = create_app(seed=seed)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def timed(url: str) -> float:
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = await client.get(url, headers=BEARER)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            return statistics.median(samples)

        first = await timed(CONVERSATIONS_PATH + "?limit=100")
        last = await timed(
            CONVERSATIONS_PATH + f"?limit=100&offset={len(seed.conversations) - 100}"
        )
    return {"list_page_http_ms": first * 1000, "list_last_page_http_ms": last * 1000}


def measure_size(count: int, base: Seed, directory: Path, repeat: int) -> dict[str, Any]:
    result: dict[str, Any] = {"conversations": count}
    result.update(fixture_load_seconds(count, directory))
    started = time.perf_counter()
    seed = seed_with(count, base)
    result["seed_build_s"] = time.perf_counter() - started
    result["bytes_per_conversation"] = bytes_per_conversation(count, base)
    workspace = Workspace(seed)
    result["list_page_domain_ms"] = _timed(lambda: workspace.page(1, 1, 0, 100), repeat) * 1000
    result.update(asyncio.run(_list_page_http(seed, repeat)))
    # Reset after some writes, so there is an overlay to drop.
    for index in range(100):
        workspace.enqueue(extra_conversation_id(index), 1, 1, QueueDraft(content="bench"))
    result["list_page_domain_after_writes_ms"] = (
        _timed(lambda: workspace.page(1, 1, 0, 100), repeat) * 1000
    )
    result["reset_ms"] = _timed(workspace.reset, repeat * 10) * 1000
    print(
        f"  scale {count:>7}: load {result['fixture_load_s']:.2f} s "
        f"({result['fixture_load_yaml_s']:.2f} s as YAML), "
        f"{result['bytes_per_conversation']:.0f} B/conversation, "
        f"list page {result['list_page_http_ms']:.2f} ms, reset {result['reset_ms'] * 1000:.1f} us",
        flush=True,
    )
    return result


def measure_scale(repeat: int = 200, sizes: tuple[int, ...] = SIZES) -> list[dict[str, Any]]:
    base = _base_seed()
    with tempfile.TemporaryDirectory() as directory:
        return [measure_size(count, base, Path(directory), repeat) for count in sizes]
