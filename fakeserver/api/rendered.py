"""JSON bodies of stored conversations, rendered once per state of the conversation.

A stored conversation changes only inside `Store.update`, which bumps its `revision`; the same
object at the same revision, shown with the same seed (whose users it names), renders to the
same bytes every time. Test suites read far more than they write, and rendering is most of the
cost of a read (a list page renders a hundred conversations).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from fakeserver.api.json import dumps
from fakeserver.api.serializers import Shape
from fakeserver.domain.models import Conversation
from fakeserver.domain.store import Seed

DEFAULT_LIMIT: Final = 8192
"""Bodies kept before the cache starts again from empty (about 1 KB each)."""

_Rendered = tuple[Conversation, int, int, bytes]
"""(conversation, the revision it was made at, id of the seed, body)."""


class RenderedBodies:
    """Rendered JSON by (conversation object, shape), each checked against the revision and
    seed it was made for. Every entry keeps its conversation alive, so an object id in a key
    cannot be reused by another conversation while the entry exists. The seed is held by id
    only: an entry must not keep a whole discarded fixture alive (a test suite makes thousands),
    and a conversation is only ever rendered with the seed of the store that holds it."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._bodies: dict[tuple[int, Shape], _Rendered] = {}

    def json(self, conversation: Conversation, seed: Seed, shape: Shape) -> bytes:
        """A conversation serializer's body. None shows the queue, so it is made again after
        any change but one to the queue alone."""
        return self._body(conversation, conversation.revision, seed, shape)

    def joined_json(self, conversations: Iterable[Conversation], seed: Seed, shape: Shape) -> bytes:
        """`json` of each conversation, joined with commas: a list page's results."""
        return b",".join([self._body(c, c.revision, seed, shape) for c in conversations])

    def queue_json(self, conversation: Conversation, seed: Seed, shape: Shape) -> bytes:
        """A body of the conversation's queue, made again after any change."""
        return self._body(conversation, conversation.queue_revision, seed, shape)

    def _body(self, conversation: Conversation, revision: int, seed: Seed, shape: Shape) -> bytes:
        key = (id(conversation), shape)
        found = self._bodies.get(key)
        if (
            found is not None
            and found[0] is conversation
            and found[1] == revision
            and found[2] == id(seed)
        ):
            return found[3]
        rendered = shape(conversation, seed)
        body = rendered if isinstance(rendered, bytes) else dumps(rendered)
        if len(self._bodies) >= self._limit:
            self._bodies.clear()
        self._bodies[key] = (conversation, revision, id(seed), body)
        return body

    def __len__(self) -> int:
        return len(self._bodies)


RENDERED: Final = RenderedBodies()
"""Shared by every app in the process: an entry only ever answers for its own objects."""
