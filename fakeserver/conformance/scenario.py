"""The fixed conformance scenario of `fakeserver verify`: its steps, read from `scenario.yaml`.

A path, a body or a header is a template over the run's `Context` and what earlier steps
remembered on the same side (`{conversation}`, `{missing}`, `{queue_id}`, ...). `operation` is
PostHog's operationId (`environments_` before it under `/api/environments/`); `auth` says how the
step signs in: a personal API key, or a web session (the queue, cancel, append_message and open
actions refuse keys). `divergences` names the rows of the divergences table a step exercises:
where the `documented` fake differs from the target only as those rows say, the difference is
known.

The read-only steps reach all twelve operations under both prefixes and change nothing: reads,
and requests the server refuses before doing anything (bad bodies, a wrong key, missing
conversations or queued messages). `--allow-writes` adds a real agent run (billed by PostHog) on
a conversation verify creates, the queue's whole life while it runs (add, full, edit, read,
delete, clear, under both prefixes), cancel, append_message and open, and the conversation's
deletion.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

import yaml

KEY: Final = "key"
SESSION: Final = "session"
PREFIXES: Final = {
    "projects": ("api/projects/{project}/conversations/", "", ""),
    "environments": (
        "api/environments/{project}/conversations/",
        "environments_",
        " (environments/)",
    ),
}
"""Prefix name -> (its conversations path, its operationId prefix, what its step names end with)."""


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
            # Until a step remembers a real one.
            "queue_id": self.missing,
            "second_queue_id": self.missing,
        }


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    """Relative to the base URL, e.g. `api/projects/{project}/conversations/{conversation}/`."""
    operation: str | None
    """PostHog's operationId, None for a request that is no operation (an unsupported method)."""
    auth: str = KEY
    body: Any = None
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    divergences: tuple[str, ...] = ()
    needs_conversation: bool = False
    remembers: str | None = None
    """The value this step's answer sets for later steps: the id of the last queued message."""
    during: tuple[Step, ...] = ()
    """Steps to run while this one's event stream is open (after its first `message`)."""

    def target_path(self, values: dict[str, Any]) -> str:
        return self.path.format(**values)

    def request_body(self, values: dict[str, Any]) -> Any:
        return _filled(self.body, values)

    def request_headers(self, values: dict[str, Any]) -> dict[str, str] | None:
        filled: dict[str, str] | None = _filled(self.headers, values)
        return filled


def _filled(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):
        return [_filled(item, values) for item in value]
    if isinstance(value, dict):
        return {name: _filled(item, values) for name, item in value.items()}
    return value


def _step(data: dict[str, Any], prefix: str) -> Step:
    base, operation_prefix, label = PREFIXES[data.get("prefix", prefix)]
    operation = data.get("operation")
    return Step(
        name=data["name"] + label,
        method=data["method"],
        path=data.get("full_path", base + data.get("path", "")),
        operation=operation_prefix + operation if operation else None,
        auth=data.get("auth", KEY),
        body=data.get("body"),
        params=data.get("params"),
        headers=data.get("headers"),
        divergences=tuple(data.get("divergences", ())),
        needs_conversation=data.get("needs_conversation", False),
        remembers=data.get("remembers"),
        during=tuple(_step(inner, prefix) for inner in data.get("during", ())),
    )


@functools.cache
def _scenario() -> dict[str, tuple[Step, ...]]:
    text = resources.files("fakeserver.conformance").joinpath("scenario.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {
        part: tuple(_step(step, group["prefix"]) for group in data[part] for step in group["steps"])
        for part in ("read_only", "writes")
    }


def steps(allow_writes: bool) -> list[Step]:
    """The scenario: the read-only steps, then the writing ones if allowed."""
    scenario = _scenario()
    return [*scenario["read_only"], *(scenario["writes"] if allow_writes else ())]


def flattened(plan: list[Step]) -> list[Step]:
    """Every step, those run during another one's stream right after it."""
    return [item for step in plan for item in (step, *flattened(list(step.during)))]
