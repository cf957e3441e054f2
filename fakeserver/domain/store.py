"""In-memory state: an immutable `Seed` built once from fixtures, and a copy-on-write `Store`.

A `Store` never mutates its seed. The first change to a conversation copies it into the store's
overlay, so a reset is just a new `Store(seed)`: O(1) whatever the size of the seed.

Listing follows PostHog's ordering (`-updated_at`) from two pre-sorted sequences, the seed's
listing (sorted once, when the seed is built) and the overlay's (kept sorted on each change),
merged lazily per page: no request sorts the whole store, and a page starts where its offset
falls by binary search, so a deep page costs what the first one does.
"""

from __future__ import annotations

import bisect
import heapq
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

from fakeserver.domain.models import (
    DEFAULT_ORGANIZATION,
    Conversation,
    Organization,
    PersonalApiKey,
    Project,
    User,
)
from fakeserver.domain.scripts import AgentScript
from fakeserver.domain.tasks import Task

Owner = tuple[int, int]
"""(project id, user id): the scope of PostHog's conversation list."""

SortKey = tuple[int, str]
"""Ascending order of this key is PostHog's list order: newest `updated_at` first, then id."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def listing_key(conversation: Conversation) -> SortKey:
    return (-((conversation.updated_at - _EPOCH) // _MICROSECOND), conversation.id)


@dataclass(frozen=True)
class Seed:
    """Everything a fixture defines, validated and indexed. Never mutated once built."""

    projects: dict[int, Project] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    api_keys: dict[str, PersonalApiKey] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    listings: dict[Owner, list[SortKey]] = field(default_factory=dict)
    """Each owner's listed conversations, in list order, as their sort keys (which end with
    the id): made once, as the seed never changes, so that a list page does not compute a key
    per conversation it passes."""
    unlisted: list[SortKey] = field(default_factory=list)
    """The sort keys of the conversations no listing shows (deleted, untitled, internal, tool
    calls), in list order: the dashboard shows them beside the listed ones."""
    agent_script: AgentScript = field(default_factory=AgentScript)
    """The fixture's top-level `agent:` rules."""
    conversation_scripts: dict[str, AgentScript] = field(default_factory=dict)
    """Per conversation id, its own `agent:` rules (tried before the top-level ones)."""
    organizations: dict[str, Organization] = field(default_factory=dict)
    """Every organization a project belongs to (the implicit default one included)."""
    limits: str | None = None
    """The fixture's top-level `limits:` mode, None when it sets none."""
    tasks: dict[str, Task] = field(default_factory=dict)
    """The fixture's `tasks:` by id (the tasks products/tasks would hold)."""

    def organization_of(self, project: Project) -> Organization:
        found = self.organizations.get(project.organization_id)
        return found if found is not None else Organization(project.organization_id)

    def script_for(self, conversation_id: str) -> AgentScript:
        own = self.conversation_scripts.get(conversation_id)
        return own.then(self.agent_script) if own is not None else self.agent_script

    @classmethod
    def build(
        cls,
        projects: Iterable[Project],
        users: Iterable[User],
        api_keys: Iterable[PersonalApiKey],
        conversations: Iterable[Conversation],
        agent_script: AgentScript | None = None,
        conversation_scripts: dict[str, AgentScript] | None = None,
        organizations: Iterable[Organization] = (),
        limits: str | None = None,
        tasks: Iterable[Task] = (),
    ) -> Seed:
        projects_by_id = {project.id: project for project in projects}
        organizations_by_id = {organization.id: organization for organization in organizations}
        for project in projects_by_id.values():
            if project.organization_id == DEFAULT_ORGANIZATION:
                organizations_by_id.setdefault(
                    DEFAULT_ORGANIZATION, Organization(DEFAULT_ORGANIZATION)
                )
        users_by_id = {user.id: user for user in users}
        conversations_by_id = {conversation.id: conversation for conversation in conversations}
        keys: dict[Owner, list[SortKey]] = {}
        unlisted: list[SortKey] = []
        for conversation in conversations_by_id.values():
            if conversation.is_listed:
                keys.setdefault(conversation.owner, []).append(listing_key(conversation))
            else:
                unlisted.append(listing_key(conversation))
        for owner_keys in keys.values():
            owner_keys.sort()
        unlisted.sort()
        return cls(
            projects=projects_by_id,
            users=users_by_id,
            api_keys={key.value: key for key in api_keys},
            sessions={user.session: user.id for user in users_by_id.values() if user.session},
            conversations=conversations_by_id,
            listings=keys,
            unlisted=unlisted,
            agent_script=agent_script or AgentScript(),
            conversation_scripts=dict(conversation_scripts or {}),
            organizations=organizations_by_id,
            limits=limits,
            tasks={task.id: task for task in tasks},
        )


class _OverlayListing:
    """The listed conversations of one owner that the overlay holds, kept in list order."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: list[SortKey] = []

    def remove(self, key: SortKey) -> None:
        index = bisect.bisect_left(self.keys, key)
        if index < len(self.keys) and self.keys[index] == key:
            del self.keys[index]

    def add(self, key: SortKey) -> None:
        bisect.insort(self.keys, key)


class _Change:
    """`Store.update`'s context: the writable conversation in, the bookkeeping on the way out."""

    __slots__ = ("_conversation", "_store")

    def __init__(self, store: Store, conversation: Conversation) -> None:
        self._store, self._conversation = store, conversation

    def __enter__(self) -> Conversation:
        return self._conversation

    def __exit__(self, *_exc_info: object) -> None:
        self._count(self._conversation)
        self._store._reindex(self._conversation)  # also the first change: the copy is listed

    def _count(self, conversation: Conversation) -> None:
        conversation.revision += 1
        conversation.queue_revision += 1


class _QueueChange(_Change):
    """`Store.update_queue`'s context: only the queue's revision counts the change."""

    __slots__ = ()

    def _count(self, conversation: Conversation) -> None:
        conversation.queue_revision += 1


class Store:
    """The live state of one server (or one namespace): a seed plus the changes made since."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self._changed: dict[str, Conversation] = {}
        self._overlay_listings: dict[Owner, _OverlayListing] = {}
        self._listing_keys: dict[str, tuple[datetime, SortKey]] = {}
        """Each changed conversation that is listed: the `updated_at` its key was made from, and
        the key (the same datetime object means an unchanged key)."""
        self._opened_tasks: dict[str, str] = {}
        """The tasks open made (task id -> its conversation id), so a later open can name one."""
        self._shadowed: dict[Owner, list[int]] = {}
        """Per owner, the positions in the seed's listing of the conversations the overlay has
        replaced, ascending."""

    # Reads -------------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The current state of a conversation. Treat it as read-only; change it via `update`."""
        changed = self._changed.get(conversation_id)
        if changed is not None:
            return changed
        return self.seed.conversations.get(conversation_id)

    def conversations(self) -> Iterator[Conversation]:
        """Every conversation, deleted ones included, in no particular order."""
        yield from self._changed.values()
        for conversation_id, conversation in self.seed.conversations.items():
            if conversation_id not in self._changed:
                yield conversation

    def count_listed(self, owner: Owner) -> int:
        seed_count = len(self.seed.listings.get(owner, ()))
        overlay = self._overlay_listings.get(owner)
        overlay_count = len(overlay.keys) if overlay else 0
        return seed_count - len(self._shadowed.get(owner, ())) + overlay_count

    def listed_page(self, owner: Owner, offset: int, limit: int) -> list[Conversation]:
        """One page of the owner's listed conversations, in PostHog's order.

        The listing is the seed's, less the conversations the overlay replaced, merged with the
        overlay's. Where the offset falls in each is found by binary search, then `limit`
        conversations are merged from there: O(limit + log^2 n), whatever the offset.
        """
        offset = max(offset, 0)  # as DRF reads a negative offset (the API never passes one)
        listing = _SeedListing(self.seed, owner, self._shadowed.get(owner, []))
        overlay = self._overlay_listings.get(owner)
        overlay_keys = overlay.keys if overlay else []
        if limit <= 0 or offset >= len(listing) + len(overlay_keys):
            return []
        from_overlay = _overlay_share(listing, overlay_keys, offset)
        seed_keys = listing.keys
        changed = self._changed
        # A key ends with its conversation's id. The seed's part is read from its seed position
        # on (the map/range pairs start anywhere in O(1)), less what the overlay replaced, which
        # only needs looking for when this owner has such conversations.
        keys: Iterator[SortKey] = map(
            seed_keys.__getitem__,
            range(listing.seed_index(offset - from_overlay), len(seed_keys)),
        )
        if listing.shadowed:
            keys = (key for key in keys if key[1] not in changed)
        if from_overlay < len(overlay_keys):
            overlay_tail = map(overlay_keys.__getitem__, range(from_overlay, len(overlay_keys)))
            keys = heapq.merge(keys, overlay_tail)
        # DRF puts no maximum on limit; islice takes at most sys.maxsize, far past any listing.
        seed_conversations = self.seed.conversations
        return [
            changed.get(key[1]) or seed_conversations[key[1]]
            for key in islice(keys, min(limit, sys.maxsize))
        ]

    def listing_owners(self) -> set[Owner]:
        """Every owner with a listing, in the seed or in the overlay."""
        return set(self.seed.listings) | set(self._overlay_listings)

    def listed_keys_after(self, owner: Owner, after: SortKey | None) -> Iterator[SortKey]:
        """The owner's listing as sort keys, in list order, from just after `after` (or from
        the start): the seed's and the overlay's ordered keys merged, each entered by binary
        search, so a reader pays for what it takes, never for a sort."""
        seed_keys = self.seed.listings.get(owner, [])
        start = 0 if after is None else bisect.bisect_right(seed_keys, after)
        keys: Iterator[SortKey] = map(seed_keys.__getitem__, range(start, len(seed_keys)))
        if self._shadowed.get(owner):
            changed = self._changed
            keys = (key for key in keys if key[1] not in changed)
        overlay = self._overlay_listings.get(owner)
        if overlay is not None and overlay.keys:
            overlay_keys = overlay.keys
            start = 0 if after is None else bisect.bisect_right(overlay_keys, after)
            keys = heapq.merge(keys, map(overlay_keys.__getitem__, range(start, len(overlay_keys))))
        return keys

    def changed_conversations(self) -> Iterable[Conversation]:
        """The conversations changed or added since the seed (their current state)."""
        return self._changed.values()

    def is_changed(self, conversation_id: str) -> bool:
        return conversation_id in self._changed

    # Writes ------------------------------------------------------------------------------

    def update(self, conversation_id: str) -> _Change:
        """A context that gives a writable copy of the conversation; on exit its revision
        counts the change and the listing follows it.

        Callers check every rule before they mutate, so a refused operation leaves the
        conversation as it was.
        """
        return _Change(self, self._writable(conversation_id))

    def update_queue(self, conversation_id: str) -> _Change:
        """`update` for a change to the conversation's `queue` alone: the conversation's other
        renderings stay valid."""
        return _QueueChange(self, self._writable(conversation_id))

    def opened_task_owner(self, task_id: str) -> str | None:
        """The conversation whose task open made with this id, if any."""
        return self._opened_tasks.get(task_id)

    def record_opened_task(self, task_id: str, conversation_id: str) -> None:
        self._opened_tasks[task_id] = conversation_id

    def add(self, conversation: Conversation) -> None:
        """Add a conversation that does not exist yet."""
        if self.conversation(conversation.id) is not None:
            raise ValueError(f"conversation {conversation.id} already exists")
        self._changed[conversation.id] = conversation
        self._reindex(conversation)

    def _writable(self, conversation_id: str) -> Conversation:
        changed = self._changed.get(conversation_id)
        if changed is not None:
            return changed
        original = self.seed.conversations[conversation_id]
        if original.is_listed:
            shadowed = self._shadowed.setdefault(original.owner, [])
            bisect.insort(shadowed, _seed_position(self.seed, original))
        copy = self._changed[conversation_id] = original.copy()
        return copy

    def _reindex(self, conversation: Conversation) -> None:
        listed = conversation.is_listed
        indexed = self._listing_keys.get(conversation.id)
        if indexed is None and not listed:
            return
        if indexed is not None and listed and indexed[0] is conversation.updated_at:
            return  # most changes (queue edits) leave updated_at, and so the order, as it was
        overlay = self._overlay_listings.setdefault(conversation.owner, _OverlayListing())
        if indexed is not None:
            overlay.remove(indexed[1])
            del self._listing_keys[conversation.id]
        if listed:
            key = listing_key(conversation)
            self._listing_keys[conversation.id] = (conversation.updated_at, key)
            overlay.add(key)


def _seed_position(seed: Seed, conversation: Conversation) -> int:
    """Where a seed-listed conversation is in its owner's seed listing."""
    return bisect.bisect_left(seed.listings[conversation.owner], listing_key(conversation))


class _SeedListing:
    """An owner's seed listing less the conversations the overlay replaced (`shadowed`: their
    positions in it, ascending), read by rank without walking it."""

    __slots__ = ("keys", "shadowed")

    def __init__(self, seed: Seed, owner: Owner, shadowed: list[int]) -> None:
        self.shadowed = shadowed
        self.keys: Sequence[SortKey] = seed.listings.get(owner, ())

    def __len__(self) -> int:
        return len(self.keys) - len(self.shadowed)

    def seed_index(self, rank: int) -> int:
        """The position in the seed listing of the conversation at `rank` (0-based) among those
        not shadowed; `len(self.keys)` for the rank just past the last."""
        shadowed = self.shadowed
        if not shadowed:
            return rank
        # shadowed[t] - t is how many unshadowed conversations come before the t-th shadowed
        # one (non-decreasing): those with at most `rank` of them come before `rank`'s.
        before = bisect.bisect_right(range(len(shadowed)), rank, key=lambda t: shadowed[t] - t)
        return rank + before

    def key(self, rank: int) -> SortKey:
        return self.keys[self.seed_index(rank)]


def _overlay_share(listing: _SeedListing, overlay_keys: list[SortKey], offset: int) -> int:
    """How many of the first `offset` conversations of the merged listing are the overlay's."""
    low, high = max(0, offset - len(listing)), min(offset, len(overlay_keys))
    # With `taken` from the overlay (and the rest from the seed), too few were taken from the
    # overlay while its next key sorts before the last seed key taken; that test goes from
    # true to false as `taken` grows, and the first false is the answer.
    while low < high:
        taken = (low + high) // 2
        if overlay_keys[taken] < listing.key(offset - taken - 1):
            low = taken + 1
        else:
            high = taken
    return low
