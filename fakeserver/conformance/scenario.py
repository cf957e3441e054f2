"""The fixed conformance scenario of `fakeserver verify`: its steps, as data.

A path is a template over the run's `Context` and what earlier steps remembered on the same
side (`{conversation}`, `{missing}`, `{queue_id}`, ...). `divergences` names the rows of the
divergences table a step exercises: where the `documented` fake differs from the target only
as those rows say, the difference is known.

The read-only steps cost nothing and change nothing: reads, requests the server refuses before
doing anything (bad bodies, a wrong key, a missing conversation), and queue calls that a
personal API key may not make. `--allow-writes` adds a real agent run (billed by PostHog) with
queue calls while it runs, a cancel, and the deletion of the conversation it created.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from fakeserver.conformance.client import Answer

WRONG_PROJECT_ID: Final = 2147483647
"""A project id no instance has (the largest 32-bit id)."""
WRONG_KEY: Final = "phx_fakeserver_verify_wrong_key"
PAK: Final = "personal-api-key-actions"
LIST_DIVERGENCES: Final = ("minimal-fields",)
RETRIEVE_DIVERGENCES: Final = ("conversation-fields",)


@dataclass(frozen=True)
class Context:
    """The ids both sides are asked about: the same, so their answers can be compared."""

    project_id: int
    conversation: str | None
    """A conversation the target lists (the fake is seeded with it), or None if there is none."""
    missing: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def values(self) -> dict[str, Any]:
        return {
            "project": self.project_id,
            "conversation": self.conversation,
            "missing": self.missing,
            "created": self.created,
            "trace_id": self.trace_id,
            "queue_id": self.missing,  # until a step remembers a real one
        }


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    """Relative to the base URL, e.g. `api/projects/{project}/conversations/{conversation}/`."""
    body: Any = None
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    divergences: tuple[str, ...] = ()
    needs_conversation: bool = False
    remember: Callable[[Answer], dict[str, str]] | None = None
    """Values for later steps' paths, read from this step's answer."""
    during: tuple[Step, ...] = ()
    """Steps to run while this one's event stream is open (after its first `message`)."""

    def target_path(self, values: dict[str, Any]) -> str:
        return self.path.format(**values)


def _conversations(suffix: str = "") -> str:
    return "api/projects/{project}/conversations/" + suffix


def _queued_id(answer: Answer) -> dict[str, str]:
    """The id of the last queued message, from the queue envelope (if this answer is one)."""
    body = answer.json if answer.is_json else None
    messages = body.get("messages") if isinstance(body, dict) else None
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        return {"queue_id": str(messages[-1].get("id"))}
    return {}


def read_only_steps(context: Context) -> list[Step]:
    one = _conversations("{conversation}/")
    return [
        Step("list conversations", "GET", _conversations(), divergences=LIST_DIVERGENCES),
        Step(
            "list without the trailing slash",
            "GET",
            "api/projects/{project}/conversations",
            divergences=LIST_DIVERGENCES,
        ),
        Step(
            "list, first page of one",
            "GET",
            _conversations(),
            params={"limit": "1"},
            divergences=LIST_DIVERGENCES,
        ),
        Step(
            "list, second page of one",
            "GET",
            _conversations(),
            params={"limit": "1", "offset": "1"},
            divergences=LIST_DIVERGENCES,
        ),
        Step(
            "list with an invalid limit (falls back to 100)",
            "GET",
            _conversations(),
            params={"limit": "0"},
            divergences=LIST_DIVERGENCES,
        ),
        Step("list past the last page", "GET", _conversations(), params={"offset": "100000"}),
        Step(
            "retrieve a conversation",
            "GET",
            one,
            divergences=RETRIEVE_DIVERGENCES,
            needs_conversation=True,
        ),
        Step(
            "retrieve without the trailing slash",
            "GET",
            _conversations("{conversation}"),
            divergences=RETRIEVE_DIVERGENCES,
            needs_conversation=True,
        ),
        Step("retrieve a missing conversation", "GET", _conversations("{missing}/")),
        Step(
            "read a conversation's queue",
            "GET",
            _conversations("{conversation}/queue/"),
            divergences=(PAK,),
            needs_conversation=True,
        ),
        Step(
            "queue a message with no run going",
            "POST",
            _conversations("{conversation}/queue/"),
            body={"content": "fakeserver verify: a queued message"},
            divergences=(PAK,),
            needs_conversation=True,
        ),
        Step(
            "queue a message without content",
            "POST",
            _conversations("{conversation}/queue/"),
            body={},
            divergences=(PAK,),
            needs_conversation=True,
        ),
        Step(
            "send a message without content",
            "POST",
            _conversations(),
            body={"conversation": context.missing, "trace_id": context.trace_id},
        ),
        Step(
            "send a message to a conversation id that is not a UUID",
            "POST",
            _conversations(),
            body={"content": "hello", "conversation": "not-a-uuid", "trace_id": context.trace_id},
        ),
        Step(
            "a wrong personal API key",
            "GET",
            _conversations(),
            headers={"Authorization": f"Bearer {WRONG_KEY}"},
        ),
        Step(
            "a project that does not exist",
            "GET",
            f"api/projects/{WRONG_PROJECT_ID}/conversations/",
        ),
        Step("an unsupported method (PUT)", "PUT", _conversations("{missing}/"), body={}),
        Step("delete a missing conversation", "DELETE", _conversations("{missing}/")),
    ]


def write_steps(context: Context) -> list[Step]:
    created = _conversations("{created}/")
    during = (
        Step(
            "queue a message during the run",
            "POST",
            created + "queue/",
            body={"content": "And say it in French."},
            divergences=(PAK, "queue-envelope"),
            remember=_queued_id,
        ),
        Step(
            "edit the queued message",
            "PATCH",
            created + "queue/{queue_id}/",
            body={"content": "And say it in German."},
            divergences=(PAK, "queue-envelope"),
        ),
        Step("read the queue", "GET", created + "queue/", divergences=(PAK, "queue-envelope")),
        Step(
            "delete the queued message",
            "DELETE",
            created + "queue/{queue_id}/",
            divergences=(PAK, "queue-delete-response"),
        ),
        Step(
            "clear the queue",
            "POST",
            created + "queue/clear/",
            body={},
            divergences=(PAK, "queue-envelope"),
        ),
        Step("cancel the run", "PATCH", created + "cancel/", divergences=(PAK,)),
    )
    return [
        Step(
            "create a conversation and read its stream",
            "POST",
            _conversations(),
            body={
                "content": "fakeserver verify: reply with one word.",
                "conversation": context.created,
                "trace_id": context.trace_id,
            },
            divergences=("create-response",),
            during=during,
        ),
        Step(
            "retrieve the created conversation",
            "GET",
            created,
            # `documented` accepted the key's cancel, which ends the run before it titles the
            # conversation, so an untitled one is a 404 there.
            divergences=(*RETRIEVE_DIVERGENCES, PAK),
        ),
        Step("delete the created conversation", "DELETE", created),
    ]


def steps(context: Context, allow_writes: bool) -> list[Step]:
    chosen = read_only_steps(context)
    if allow_writes:
        chosen += write_steps(context)
    return chosen
