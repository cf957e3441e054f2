"""The dashboard's conversation table: every conversation of a namespace, newest change first,
filtered, one page at a time.

Pages are cut by a cursor (the sort key of the last row shown), not an offset: each source of
rows is an ordered index that a page enters by binary search (each owner's listing, the seed's
unlisted conversations), merged lazily, so a page costs what it shows plus what its filter
skips, never a sort of the namespace. Only the conversations the overlay changed out of every
listing (deleted since the seed, say) are sorted per page: a handful, not the namespace.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Final, Literal

from fakeserver.domain.models import CONVERSATION_STATUSES, Conversation
from fakeserver.domain.store import SortKey, Store, listing_key

Visibility = Literal["all", "listed", "hidden"]
VISIBILITIES: Final = ("all", "listed", "hidden")
MAX_PAGE_SIZE: Final = 100
SORTED_MATCHES: Final = 5_000
"""Up to this many matches of a scanning filter, a page sorts the matches (not the namespace)."""


class ListingError(ValueError):
    """A filter or cursor that cannot be read; the message says which."""


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    status: str | None = None
    project: int | None = None
    user: int | None = None
    text: str | None = None
    """Part of the title, or the start of the id; in lower case (matched in any case)."""
    visibility: Visibility = "all"
    """`listed`: what PostHog's list shows its owner; `hidden`: the rest (deleted, untitled,
    internal, tool calls)."""

    @property
    def scans(self) -> bool:
        """Whether the filter looks inside conversations (so only a scan can count them)."""
        return self.status is not None or bool(self.text)

    def owner_matches(self, owner: tuple[int, int]) -> bool:
        return (self.project is None or owner[0] == self.project) and (
            self.user is None or owner[1] == self.user
        )

    def matches(self, conversation: Conversation) -> bool:
        if self.status is not None and conversation.status != self.status:
            return False
        if self.text and not (
            self.text in (conversation.title or "").lower() or conversation.id.startswith(self.text)
        ):
            return False
        if self.project is not None and conversation.project_id != self.project:
            return False
        if self.user is not None and conversation.user_id != self.user:
            return False
        return self.visibility == "all" or conversation.is_listed == (self.visibility == "listed")


@dataclass(frozen=True, slots=True)
class ListingPage:
    conversations: list[Conversation]
    next_cursor: str | None
    count: int
    """How many conversations match the filter, in every page."""


def read_filter(
    status: str | None,
    project: str | None,
    user: str | None,
    text: str | None,
    visibility: str | None,
) -> ConversationFilter:
    if status and status not in CONVERSATION_STATUSES:
        raise ListingError(f"status must be one of {', '.join(CONVERSATION_STATUSES)}.")
    shown = visibility or "all"
    if shown not in VISIBILITIES:
        raise ListingError(f"visibility must be one of {', '.join(VISIBILITIES)}.")
    return ConversationFilter(
        status=status or None,
        project=_integer("project", project),
        user=_integer("user", user),
        text=(text or "").strip().lower() or None,
        visibility=shown,  # type: ignore[arg-type]  # checked against VISIBILITIES above
    )


def _integer(name: str, raw: str | None) -> int | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit() and len(raw) < 19):
        raise ListingError(f"{name} must be an integer.")
    return int(raw)


def encode_cursor(key: SortKey) -> str:
    return f"{key[0]}~{key[1]}"


def decode_cursor(raw: str | None) -> SortKey | None:
    if not raw:
        return None
    order, tilde, conversation_id = raw.partition("~")
    if not (tilde and order.lstrip("-").isdigit() and order.isascii() and len(order) < 24):
        raise ListingError("cursor is not one this server gave.")
    return (int(order), conversation_id)


def conversation_page(
    store: Store, wanted: ConversationFilter, after: SortKey | None, limit: int
) -> ListingPage:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if wanted.scans:
        # Only a scan can find what a status or text filter matches. When the matches are
        # few, sorting them is cheaper than walking the merged indexes past everything else;
        # when they are many, the ordered walk fills a page after a few rows.
        matching = [c for c in store.conversations() if wanted.matches(c)]
        if len(matching) <= SORTED_MATCHES:
            return _page_of_sorted(matching, after, limit)
        count = len(matching)
    else:
        count = count_matching(store, wanted)
    rows = (
        conversation
        for conversation in _conversations_in_order(store, wanted, after)
        if wanted.matches(conversation)
    )
    shown = list(islice(rows, limit + 1))
    return _page(shown, limit, count)


def _page_of_sorted(matching: list[Conversation], after: SortKey | None, limit: int) -> ListingPage:
    matching.sort(key=listing_key)
    keys = [listing_key(conversation) for conversation in matching]
    start = 0 if after is None else bisect.bisect_right(keys, after)
    return _page(matching[start : start + limit + 1], limit, len(matching))


def _page(shown: list[Conversation], limit: int, count: int) -> ListingPage:
    """A page from up to `limit + 1` rows: the extra one only says that more follow."""
    more = len(shown) > limit
    shown = shown[:limit]
    next_cursor = encode_cursor(listing_key(shown[-1])) if more else None
    return ListingPage(shown, next_cursor, count)


def count_matching(store: Store, wanted: ConversationFilter) -> int:
    if wanted.scans:
        return sum(1 for conversation in store.conversations() if wanted.matches(conversation))
    count = 0
    if wanted.visibility != "hidden":
        owners = (owner for owner in store.listing_owners() if wanted.owner_matches(owner))
        count += sum(store.count_listed(owner) for owner in owners)
    if wanted.visibility != "listed":
        hidden = (
            store.conversation(conversation_id)
            for _order, conversation_id in _hidden_keys(store, None)
        )
        count += sum(1 for c in hidden if c is not None and wanted.owner_matches(c.owner))
    return count


def _conversations_in_order(
    store: Store, wanted: ConversationFilter, after: SortKey | None
) -> Iterator[Conversation]:
    sources: list[Iterable[SortKey]] = []
    if wanted.visibility != "hidden":
        sources += [
            store.listed_keys_after(owner, after)
            for owner in store.listing_owners()
            if wanted.owner_matches(owner)
        ]
    if wanted.visibility != "listed":
        sources.append(_hidden_keys(store, after))
    for _order, conversation_id in heapq.merge(*sources):
        conversation = store.conversation(conversation_id)
        if conversation is not None:
            yield conversation


def _hidden_keys(store: Store, after: SortKey | None) -> Iterator[SortKey]:
    """The keys of the conversations no listing shows, in list order, after `after`."""
    seed_keys = store.seed.unlisted
    start = 0 if after is None else bisect.bisect_right(seed_keys, after)
    from_seed = (
        key
        for key in map(seed_keys.__getitem__, range(start, len(seed_keys)))
        if not store.is_changed(key[1])
    )
    changed_hidden = sorted(
        listing_key(conversation)
        for conversation in store.changed_conversations()
        if not conversation.is_listed
    )
    start = 0 if after is None else bisect.bisect_right(changed_hidden, after)
    return heapq.merge(from_seed, changed_hidden[start:])


def hidden_reason(conversation: Conversation) -> str | None:
    """Why PostHog's list leaves the conversation out, or None when it shows it."""
    if conversation.deleted:
        return "deleted"
    if conversation.title is None:
        return "untitled"
    if conversation.is_internal is not False:
        return "internal"
    if not conversation.is_listed:
        return f"type {conversation.type}"
    return None
