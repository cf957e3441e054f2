"""Comparing two answers by shape: what a client relies on, not the values that always differ.

Compared: the status code; the media type; the error envelope's values (`type`, `code`,
`detail`, `attr`, and the bare `error` of PostHog's queue views); the JSON shape (keys, value
types, null or not; list items pairwise); the shape of pagination links (path and query, not the
host); a stream's event names in order, a run of the same event counted once (an agent's reply
comes in as many chunks as it likes).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from fakeserver.conformance.client import Answer

ERROR_KEYS: Final = ("type", "code", "detail", "attr", "error")
LINK_KEYS: Final = ("next", "previous")


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    """`status`, `content-type`, `events`, or a JSON path such as `$.results[0].task`."""
    target: str
    fake: str
    note: str = ""
    """Why, where the values alone do not say (a value the fake could not be seeded with)."""

    def describe(self) -> str:
        described = f"{self.path}: target {self.target}, fake {self.fake}"
        return f"{described} ({self.note})" if self.note else described

    def as_json(self) -> dict[str, str]:
        found = {"path": self.path, "target": self.target, "fake": self.fake}
        return found | ({"note": self.note} if self.note else {})


def compare(target: Answer, fake: Answer) -> list[Difference]:
    """Every difference of shape between the target's answer and the fake's."""
    found: list[Difference] = []
    if target.status != fake.status:
        found.append(Difference("status", str(target.status), str(fake.status)))
    if target.content_type != fake.content_type:
        found.append(
            Difference("content-type", target.content_type or "none", fake.content_type or "none")
        )
    if target.events is not None and fake.events is not None:
        target_events, fake_events = collapsed(target.events), collapsed(fake.events)
        if target_events != fake_events:
            found.append(Difference("events", ", ".join(target_events), ", ".join(fake_events)))
    if target.is_json and fake.is_json:
        if target.status >= 400 and fake.status >= 400:
            found += _envelope(target.json, fake.json)
        found += _links(target.json, fake.json)
        _shape(target.json, fake.json, "$", found)
    elif target.is_json != fake.is_json and (target.text or fake.text):
        found.append(Difference("$", _body_kind(target), _body_kind(fake)))
    return found


def collapsed(events: list[str]) -> list[str]:
    return [name for name, _ in itertools.groupby(events)]


def _body_kind(answer: Answer) -> str:
    if answer.is_json:
        return "a JSON body"
    if answer.events is not None:
        return "an event stream"
    return "a non-JSON body" if answer.text else "no body"


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shape(target: Any, fake: Any, path: str, found: list[Difference]) -> None:
    target_kind, fake_kind = kind(target), kind(fake)
    if target_kind != fake_kind:
        found.append(Difference(path, target_kind, fake_kind))
        return
    if isinstance(target, dict) and isinstance(fake, dict):
        found += [
            Difference(f"{path}.{key}", "present", "missing") for key in target if key not in fake
        ]
        found += [
            Difference(f"{path}.{key}", "missing", "present") for key in fake if key not in target
        ]
        for key in target:
            if key in fake:
                _shape(target[key], fake[key], f"{path}.{key}", found)
    elif isinstance(target, list) and isinstance(fake, list):
        for index, (target_item, fake_item) in enumerate(zip(target, fake, strict=False)):
            _shape(target_item, fake_item, f"{path}[{index}]", found)


def _envelope(target: Any, fake: Any) -> list[Difference]:
    if not (isinstance(target, dict) and isinstance(fake, dict)):
        return []
    return [
        Difference(f"$.{key}", _quoted(target[key]), _quoted(fake[key]))
        for key in ERROR_KEYS
        if key in target and key in fake and target[key] != fake[key]
    ]


def _quoted(value: Any) -> str:
    return "null" if value is None else repr(value) if not isinstance(value, str) else f'"{value}"'


def _links(target: Any, fake: Any) -> list[Difference]:
    if not (isinstance(target, dict) and isinstance(fake, dict) and "results" in target):
        return []
    found = []
    for key in LINK_KEYS:
        target_link, fake_link = target.get(key), fake.get(key)
        if not (isinstance(target_link, str) and isinstance(fake_link, str)):
            continue
        if link_shape(target_link) != link_shape(fake_link):
            found.append(Difference(f"$.{key}", link_shape(target_link), link_shape(fake_link)))
    return found


def link_shape(link: str) -> str:
    """A pagination link without its host (the fake's differs): `/api/...?limit=1&offset=1`."""
    parts = urlsplit(link)
    api = parts.path.find("/api/")
    path = parts.path[api:] if api >= 0 else parts.path
    query = "&".join(f"{name}={value}" for name, value in sorted(parse_qsl(parts.query)))
    return f"{path}?{query}" if query else path
