"""Rendered bodies are reused only for the very state they were made from."""

from __future__ import annotations

import gc
import json
import weakref
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import ONE_QUEUED, ClientFactory, conversation_url
from hypothesis import given
from hypothesis import strategies as st

from fakeserver.api.json import dumps
from fakeserver.api.rendered import RenderedBodies
from fakeserver.api.serializers import (
    ACTUAL_FIELDS,
    ConversationShape,
    render_queue,
    serialize_queue,
)
from fakeserver.domain.models import Conversation, QueueMessage
from fakeserver.domain.store import Store
from fakeserver.fixture_files import default_fixture_path, load_seed

FULL = ConversationShape(ACTUAL_FIELDS)


@pytest.fixture
def store() -> Store:
    return Store(load_seed([default_fixture_path()]))


def test_an_unchanged_conversation_is_rendered_once(store: Store) -> None:
    bodies = RenderedBodies()
    conversation = store.conversation(ONE_QUEUED)
    assert conversation is not None
    first = bodies.json(conversation, store.seed, FULL)
    assert bodies.json(conversation, store.seed, FULL) is first
    assert json.loads(first)["id"] == ONE_QUEUED


def test_a_change_through_the_store_is_rendered_anew(store: Store) -> None:
    bodies = RenderedBodies()
    before = store.conversation(ONE_QUEUED)
    assert before is not None
    bodies.queue_json(before, store.seed, serialize_queue)
    with store.update(ONE_QUEUED) as writable:
        writable.queue.clear()
    assert json.loads(bodies.queue_json(writable, store.seed, serialize_queue))["messages"] == []
    rendered = bodies.json(writable, store.seed, FULL)
    with store.update(ONE_QUEUED) as same_object:  # the overlay copy, changed in place
        same_object.title = "Renamed"
    assert same_object is writable
    assert json.loads(rendered)["title"] != "Renamed"
    assert json.loads(bodies.json(same_object, store.seed, FULL))["title"] == "Renamed"


def test_a_change_to_the_queue_alone_keeps_the_conversation_bodies(store: Store) -> None:
    bodies = RenderedBodies()
    with store.update(ONE_QUEUED) as writable:  # the overlay copy: changed in place from here
        pass
    as_conversation = bodies.json(writable, store.seed, FULL)
    as_queue = bodies.queue_json(writable, store.seed, serialize_queue)
    with store.update_queue(ONE_QUEUED) as same_object:
        same_object.queue.clear()
    assert same_object is writable
    assert bodies.json(same_object, store.seed, FULL) is as_conversation
    assert json.loads(bodies.queue_json(same_object, store.seed, serialize_queue)) == {
        "messages": [],
        "max_queue_messages": 2,
    }
    assert json.loads(as_queue)["messages"] != []


def test_shapes_and_seeds_are_kept_apart(store: Store) -> None:
    bodies = RenderedBodies()
    conversation = store.conversation(ONE_QUEUED)
    assert conversation is not None
    as_queue = bodies.queue_json(conversation, store.seed, serialize_queue)
    as_conversation = bodies.json(conversation, store.seed, FULL)
    assert json.loads(as_queue).keys() == {"messages", "max_queue_messages"}
    assert json.loads(as_conversation)["id"] == ONE_QUEUED
    other_seed = replace(store.seed)
    assert bodies.json(conversation, other_seed, FULL) is not as_conversation


def test_the_cache_is_bounded(store: Store) -> None:
    bodies = RenderedBodies(limit=3)
    conversations = list(store.conversations())[:5]
    for conversation in conversations:
        bodies.json(conversation, store.seed, FULL)
        assert len(bodies) <= 3


@pytest.mark.anyio
async def test_list_and_retrieve_follow_a_write(make_client: ClientFactory) -> None:
    async with make_client() as client:
        listed = (await client.get("/api/projects/1/conversations/")).json()["results"]
        before = (await client.get(conversation_url(ONE_QUEUED))).json()
        appended = await client.post(
            conversation_url(ONE_QUEUED, "append_message/"), json={"content": "A note."}
        )
        after = (await client.get(conversation_url(ONE_QUEUED))).json()
        relisted = (await client.get("/api/projects/1/conversations/")).json()["results"]
    assert appended.status_code == 200
    assert len(after["messages"]) == len(before["messages"]) + 1
    assert after["messages"][-1]["content"] == "A note."
    assert listed[0]["id"] != ONE_QUEUED  # it moves to the top once it is the newest
    assert relisted[0]["id"] == ONE_QUEUED
    assert relisted[0]["updated_at"] == after["updated_at"] != before["updated_at"]


def test_an_entry_does_not_keep_its_seed_alive() -> None:
    bodies = RenderedBodies()
    seed = load_seed([default_fixture_path()])
    conversation = seed.conversations[ONE_QUEUED]
    bodies.json(conversation, seed, FULL)
    seed_ref = weakref.ref(seed)
    del seed
    gc.collect()
    assert seed_ref() is None
    assert len(bodies) == 1


_TEXT = st.text(st.characters(exclude_categories=("Cs",)))  # stored text never holds surrogates
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_TEXT, children, max_size=3),
    max_leaves=8,
)
_QUEUE_MESSAGES = st.builds(
    QueueMessage,
    id=_TEXT,
    content=_TEXT,
    created_at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])),
    contextual_tools=st.none() | st.dictionaries(_TEXT, _JSON, max_size=3),
    ui_context=_JSON,
    billing_context=st.none() | st.dictionaries(_TEXT, _JSON, max_size=3),
    agent_mode=st.none() | _TEXT,
    session_id=st.none() | _TEXT,
)


def _conversation_with(queue: list[QueueMessage]) -> Conversation:
    created = datetime(2026, 11, 30, tzinfo=UTC)
    return Conversation(
        "c1", project_id=1, user_id=1, created_at=created, updated_at=created, queue=queue
    )


@given(st.lists(_QUEUE_MESSAGES, max_size=2))
def test_the_queue_renders_to_the_bytes_its_serializer_dumps_to(
    messages: list[QueueMessage],
) -> None:
    conversation = _conversation_with(messages)
    assert render_queue(conversation) == dumps(serialize_queue(conversation))


def test_a_queue_message_renders_with_its_microseconds_and_offset() -> None:
    created = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    conversation = _conversation_with([QueueMessage("q1", 'say "hi"\n', created)])
    assert json.loads(render_queue(conversation))["messages"][0] == {
        "id": "q1",
        "content": 'say "hi"\n',
        "created_at": "2026-12-01T09:30:00+00:00",
        "contextual_tools": None,
        "ui_context": None,
        "billing_context": None,
        "agent_mode": None,
        "session_id": None,
    }
