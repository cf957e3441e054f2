"""Whatever a fixture holds, loading it either fails with problem lines or gives a server that
answers every read of it without a 5xx: a value that loads must also render."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fakeserver.app import create_app
from fakeserver.fixture_files import FixtureError, load_seed

CONVERSATION_ID = "3f0c0d6e-1b7a-4c39-9d5e-6a4f8c1e2b10"
URL = f"/api/projects/1/conversations/{CONVERSATION_ID}/"

# Every character, lone surrogates included (hypothesis leaves them out of text by default).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    st.dates(),
)
free_form = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.one_of(any_text, st.integers(), st.dates()), children, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def fixtures(draw: st.DrawFn) -> dict[str, Any]:
    queued = {"content": draw(any_text.filter(lambda text: text.strip()))}
    for key in ("ui_context", "contextual_tools", "billing_context"):
        if draw(st.booleans()):
            queued[key] = draw(free_form)
    return {
        "projects": [{"id": 1, "name": draw(any_text)}],
        "users": [
            {
                "id": 1,
                "email": "a@example.com",
                "first_name": draw(any_text),
                "hedgehog_config": draw(free_form),
                "personal_api_keys": [{"key": "phx_fuzz"}],
            }
        ],
        "conversations": [
            {
                "id": CONVERSATION_ID,
                "project": 1,
                "user": 1,
                "title": draw(any_text) or "t",
                "messages": [{"type": "human", "content": draw(any_text), "x": draw(free_form)}],
                "pending_approvals": draw(st.lists(free_form, max_size=2)),
                "queue": [queued],
            }
        ],
    }


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _as_json(document: Any) -> str:
    """JSON text as an author might write it: dates as strings, no NaN literals."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            return 1e400 if value > 0 else -1e400  # a number past a float: read back as inf
        if isinstance(value, dict):
            return {str(plain(key)): plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return json.dumps(plain(document)).replace("1e+400", "1e400")


def _assert_loads_or_refuses(path: Path) -> None:
    try:
        seed = load_seed([path])
    except FixtureError as error:
        assert error.problems and all(problem.startswith(str(path)) for problem in error.problems)
        return
    # The app alone, from the seed just loaded: hypothesis runs this per example, where the
    # per-test `make_server` cannot serve, and the in-process transport is the one it needs.
    app = create_app(seed=seed)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)

    async def read_all() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as client:
            key = {"Authorization": "Bearer phx_fuzz"}
            answers = [
                await client.get("/api/projects/1/conversations/", headers=key),
                await client.get(URL, headers=key),
                await client.get(URL + "queue/", headers=key),
                await client.get("/_fakeserver/state"),
            ]
            return [answer.status_code for answer in answers]

    assert all(status < 500 for status in asyncio.run(read_all()))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fixtures())
def test_a_yaml_fixture_loads_and_renders_or_is_refused(tmp_path: Path, document: dict[str, Any]):
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)  # PyYAML cannot write every string (a lone surrogate, say)
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _assert_loads_or_refuses(path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fixtures())
def test_a_json_fixture_loads_and_renders_or_is_refused(tmp_path: Path, document: dict[str, Any]):
    path = tmp_path / "fuzz.json"
    path.write_text(_as_json(document), encoding="utf-8")  # ASCII: escapes for the rest
    _assert_loads_or_refuses(path)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_the_generators_reach_both_outcomes(tmp_path: Path, suffix: str):
    """The properties above are only worth something if fixtures both load and fail."""
    good = {
        "projects": [{"id": 1}],
        "users": [{"id": 1, "email": "a@example.com"}],
        "conversations": [{"id": CONVERSATION_ID, "project": 1, "user": 1, "title": "t"}],
    }
    bad = json.loads(json.dumps(good))
    bad["conversations"][0]["messages"] = [{"type": "human", "x": float("inf")}]
    for document, loads in ((good, True), (bad, False)):
        path = tmp_path / f"f{suffix}"
        path.write_text(_as_json(document) if suffix == ".json" else yaml.safe_dump(document))
        try:
            load_seed([path])
        except FixtureError:
            assert not loads
        else:
            assert loads
