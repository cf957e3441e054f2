"""The copy-on-write store: listing order and counts stay right whatever changes, seed untouched."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fakeserver.domain.models import Conversation, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed, Store, listing_key
from fakeserver.domain.workspace import Workspace

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def user(user_id: int) -> User:
    return User(
        user_id,
        f"00000000-0000-4000-8000-{user_id:012d}",
        f"u{user_id}@x.io",
        "",
        "",
        None,
        True,
        None,
        None,
        frozenset({1}),
        1,
    )


def make_seed(count: int, rng: random.Random) -> Seed:
    conversations = [
        Conversation(
            id=f"00000000-0000-4000-8000-{index:012d}",
            project_id=1,
            user_id=1 + index % 2,
            created_at=T0,
            updated_at=T0 + timedelta(seconds=rng.randrange(50)),
            title=None if index % 7 == 0 else f"c{index}",
        )
        for index in range(count)
    ]
    return Seed.build(
        [Project(1, "p")],
        [user(1), user(2)],
        [PersonalApiKey("k", 1, frozenset({"*"}))],
        conversations,
    )


def expected_listing(store: Store, owner: tuple[int, int]) -> list[str]:
    listed = [c for c in store.conversations() if c.owner == owner and c.is_listed]
    return [c.id for c in sorted(listed, key=listing_key)]


def assert_pages_match(store: Store, rng: random.Random) -> None:
    """Pages from every kind of offset (start, end, past the end, anywhere) match a full sort."""
    for owner in ((1, 1), (1, 2)):
        expected = expected_listing(store, owner)
        assert store.count_listed(owner) == len(expected)
        size = len(expected)
        offsets = {0, max(size - 1, 0), size, size + 1, *rng.sample(range(size + 2), 3)}
        for offset in offsets:
            limit = rng.choice([1, 2, rng.randrange(1, 12), size + 5])
            page = store.listed_page(owner, offset, limit)
            assert [c.id for c in page] == expected[offset : offset + limit], (offset, limit)


def test_random_changes_keep_listing_and_count_consistent():
    rng = random.Random(5)
    seed = make_seed(80, rng)
    store = Store(seed)
    ids = list(seed.conversations)
    for step in range(400):
        conversation_id = rng.choice(ids)
        change = rng.randrange(6)
        if change == 5:  # a conversation that is not in the seed
            new = Conversation(
                id=f"11111111-0000-4000-8000-{step:012d}",
                project_id=1,
                user_id=1 + step % 2,
                created_at=T0,
                updated_at=T0 + timedelta(seconds=rng.randrange(100)),
                title=f"n{step}",
            )
            store.add(new)
            ids.append(new.id)
        elif change == 4:  # queue-only: listed as before, a first change included
            with store.update_queue(conversation_id) as conversation:
                conversation.queue.clear()
        else:
            with store.update(conversation_id) as conversation:
                if change == 0:
                    conversation.updated_at = T0 + timedelta(seconds=rng.randrange(100))
                elif change == 1:
                    conversation.title = None if conversation.title else f"t{step}"
                elif change == 2:
                    conversation.deleted = not conversation.deleted
                else:
                    conversation.type = rng.choice(["assistant", "tool_call", "slack"])
        assert_pages_match(store, rng)


def test_pages_of_an_untouched_and_a_fully_changed_store_match_a_full_sort():
    rng = random.Random(7)
    seed = make_seed(120, rng)
    store = Store(seed)
    assert_pages_match(store, rng)
    for conversation_id in seed.conversations:
        with store.update(conversation_id) as conversation:
            conversation.updated_at = T0 + timedelta(seconds=rng.randrange(100))
        assert_pages_match(store, rng)


def test_offsets_and_limits_past_any_listing_give_an_empty_or_whole_page():
    store = Store(make_seed(10, random.Random(3)))
    everything = expected_listing(store, (1, 1))
    assert store.listed_page((1, 1), 10**30, 10) == []
    assert [c.id for c in store.listed_page((1, 1), 0, 10**30)] == everything
    assert store.listed_page((9, 9), 0, 10) == []
    assert [c.id for c in store.listed_page((1, 1), -5, 2)] == everything[:2]


def test_changes_never_touch_the_seed_and_reset_restores_it():
    seed = make_seed(10, random.Random(1))
    workspace = Workspace(seed)
    first = next(iter(seed.conversations))
    with workspace.store.update(first) as conversation:
        conversation.title = "changed"
        conversation.messages.append({"type": "human", "content": "x"})
    assert seed.conversations[first].title != "changed"
    assert seed.conversations[first].messages == []
    workspace.reset()
    assert workspace.store.conversation(first) is seed.conversations[first]


def test_added_conversations_are_listed():
    seed = make_seed(3, random.Random(2))
    store = Store(seed)
    new = Conversation(
        id="11111111-0000-4000-8000-000000000000",
        project_id=1,
        user_id=1,
        created_at=T0,
        updated_at=T0 + timedelta(days=1),
        title="new",
    )
    store.add(new)
    assert store.listed_page((1, 1), 0, 1) == [new]
    assert store.count_listed((1, 1)) == len(expected_listing(store, (1, 1)))
