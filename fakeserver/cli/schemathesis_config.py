"""`fakeserver schemathesis-config`: a schemathesis.toml for a run against a live fake.

The settings live in `schemathesis.yaml` beside this module, each with its reason, which the
printed file keeps as a comment above the table it explains.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import tomli_w
import yaml

COMMENT_WIDTH: Final = 98


@dataclass(frozen=True, slots=True)
class Explained:
    """A piece of the configuration and why it is there (None: the previous reason covers it)."""

    reason: str | None
    table: dict[str, Any]


@cache
def _data() -> dict[str, Any]:
    text = (resources.files("fakeserver.cli") / "schemathesis.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def auth(profile: str) -> Explained:
    """What signs every request of a run in `profile` in: fixed headers, or values for the
    document's security schemes (`[auth.openapi.<scheme>]`)."""
    entry = _data()["auth"][profile]
    if "schemes" in entry:
        return Explained(entry["reason"], {"auth": {"openapi": dict(entry["schemes"])}})
    return Explained(entry["reason"], {"headers": dict(entry["headers"])})


def operations(profile: str) -> list[Explained]:
    """The per-operation settings (`[[operations]]` tables) a run in `profile` needs."""
    return [
        Explained(entry["reason"], entry["table"])
        for entry in _data()["operations"]
        if profile in entry["profiles"]
    ]


def parameters() -> Explained:
    """Parameter values every operation draws from (`[parameters]`)."""
    entry = _data()["parameters"]
    return Explained(entry["reason"], {"parameters": entry["table"]})


def stateful() -> Explained:
    """How the stateful phase finds its links (`[phases.stateful]`)."""
    entry = _data()["stateful"]
    return Explained(entry["reason"], dict(entry["table"]))


def dictionaries(profile: str) -> Explained:
    """The fixture records the operations of `profile` draw parameter values from."""
    entry = _data()["dictionaries"]
    tables = [parameters().table, *(explained.table for explained in operations(profile))]
    used = {
        binding["dictionary"]
        for table in tables
        for binding in table.get("parameters", {}).values()
        if isinstance(binding, dict)
    }
    table = {name: values for name, values in entry["table"].items() if name in used}
    return Explained(entry["reason"], {"dictionaries": table})


def settings(profile: str, base_url: str) -> dict[str, Any]:
    """The whole configuration as one dict (the schemathesis.toml structure)."""
    return {
        "base-url": base_url,
        **auth(profile).table,
        **dictionaries(profile).table,
        **parameters().table,
        **stateful().table,
        "operations": [explained.table for explained in operations(profile)],
    }


def _comment(text: str | None) -> str:
    if text is None:
        return ""
    lines = textwrap.wrap(text, COMMENT_WIDTH - 2)
    return "".join(f"# {line}\n" for line in lines)


def as_toml(profile: str, base_url: str) -> str:
    """The schemathesis.toml text: `settings(...)`, each table under the comment saying why."""
    parts = [
        f"# schemathesis.toml for fakeserver's `{profile}` profile at {base_url}, default fixture\n"
        "# (printed by `fakeserver schemathesis-config`).\n",
        tomli_w.dumps({"base-url": base_url}),
    ]
    for explained in (auth(profile), dictionaries(profile), parameters(), stateful()):
        parts.append(_comment(explained.reason) + tomli_w.dumps(explained.table))
    for explained in operations(profile):
        parts.append(_comment(explained.reason) + tomli_w.dumps({"operations": [explained.table]}))
    return "\n".join(parts)
