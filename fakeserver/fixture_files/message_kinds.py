"""PostHog AI's message kinds, checked against fakeserver's JSON Schemas of them.

The schemas are data (`message_kinds/stream.schema.json`, written from the facts of PostHog's
`schema-assistant-messages.ts`; the file names the commit read). `problems` answers, for one
message, each problem as (path inside the message, sentence), so a fixture error can name
`agent.rules[3].messages[1].query`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE: Final = "stream.schema.json"


@cache
def stream_schema() -> dict[str, Any]:
    text = (resources.files("fakeserver.fixture_files") / "message_kinds" / SCHEMA_FILE).read_text(
        "utf-8"
    )
    document: dict[str, Any] = json.loads(text)
    return document


def known_kinds() -> tuple[str, ...]:
    return tuple(stream_schema()["kinds"])


@cache
def _validator(section: str, name: str) -> Draft202012Validator:
    # Imported on first use (about 45 ms): only fixtures with `messages:` rules need it.
    from jsonschema import Draft202012Validator

    document = stream_schema()
    pointer = document[section][name]["$ref"]
    return Draft202012Validator({**document, "$ref": pointer})


def _where(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
    required = error.validator_value
    if error.validator == "required" and isinstance(error.instance, dict):
        assert isinstance(required, list)
        missing = [name for name in required if name not in error.instance]
        if missing:
            path += f".{missing[0]}"
    return path


def _sentence(error: ValidationError) -> str:
    if error.validator == "required":
        return "is required"
    if error.validator in ("const", "enum"):
        value = error.validator_value
        choices = value if isinstance(value, list) else [value]
        return f"{error.instance!r} is not one of: {', '.join(map(str, choices))}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    return str(error.message)


def check(section: str, name: str, value: Any) -> list[tuple[str, str]]:
    """Problems of `value` as the schema `section`/`name` (kinds/ai, events/update, ...)."""
    errors = sorted(_validator(section, name).iter_errors(value), key=lambda e: list(e.path))
    return [(_where(error), _sentence(error)) for error in errors]


def message_problems(message: Any) -> list[tuple[str, str]]:
    """Problems of a message of a known kind; an unknown `type` is one problem at `.type`."""
    if not isinstance(message, dict):
        return [("", "expected a message (a mapping with a `type`)")]
    kind = message.get("type")
    if kind not in stream_schema()["kinds"]:
        known = ", ".join(known_kinds())
        return [(".type", f"unknown message kind {kind!r} (known: {known})")]
    return check("kinds", str(kind), message)
