"""Typed readers for fixture values: each checks one value and returns it converted, or raises.

A reader raises `InvalidValue` with a sentence that completes "<file>: <path>: ...".
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final, TypeVar

from fakeserver.api.json import MAX_NESTING

T = TypeVar("T")
ValueReader = Callable[[Any], T]


class InvalidValue(ValueError):
    """A fixture value has the wrong type or form."""


def _type_name(value: Any) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), f"{type(value).__name__} {value!r}")


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected an integer, got {_type_name(value)}")
    return value


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected a string, got {_type_name(value)}")
    return value


def non_blank_string(value: Any) -> str:
    text = string(value)
    if not text.strip():
        raise InvalidValue("must not be blank")
    return text


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(f"expected true or false, got {_type_name(value)}")
    return value


def mapping(value: Any) -> dict[str, Any]:
    """A free-form JSON object (a context, a config, an approval)."""
    if not isinstance(value, dict):
        raise InvalidValue(f"expected a mapping, got {_type_name(value)}")
    json_value(value)
    return value


def json_value(value: Any) -> Any:
    """A free-form value, only as JSON can carry it and nested no deeper than the API takes:
    YAML also makes dates, binary and sets, and both YAML (`.inf`) and a JSON number past a
    float's range make infinities. Any of them would fail every answer that shows the value."""
    found = _json_problem(value, MAX_NESTING)
    if found is not None:
        steps, problem = found
        at = "".join(reversed(steps)).removeprefix(".")
        if at and problem is not _TOO_DEEP:  # the path to the 101st level says nothing more
            problem = f"at {at}: {problem}"
        raise InvalidValue(problem)
    return value


_JSON_LEAVES: Final = frozenset({str, int, bool, type(None)})
_TOO_DEEP: Final = f"arrays and objects nest deeper than {MAX_NESTING} levels"
_SHOWN_LENGTH: Final = 40
"""Characters of an offending value shown in a problem (YAML's !!binary can be long)."""


def _json_problem(value: Any, levels_left: int) -> tuple[list[str], str] | None:
    """What keeps `value` from being JSON, if anything: the steps to it inside `value`
    (innermost first: the path is only built for a problem) and what is wrong there."""
    kind = type(value)
    if kind in _JSON_LEAVES:
        return None
    if kind is float:
        if math.isfinite(value):
            return None
        return [], f"{value!r} is not a JSON number (JSON has no infinity or NaN)"
    if kind is list or kind is dict:
        if levels_left == 0:
            return [], _TOO_DEEP
        items = enumerate(value) if kind is list else value.items()
        for key, item in items:
            if kind is dict and type(key) not in _JSON_LEAVES:  # written as strings as they are
                return [], f"the key {key!r} is not a string"
            if type(item) in _JSON_LEAVES:
                continue
            found = _json_problem(item, levels_left - 1)
            if found is not None:
                found[0].append(f"[{key}]" if kind is list else f".{key}")
                return found
        return None
    hint = " (quote it to keep it a string)" if isinstance(value, date) else ""
    shown = repr(value)
    shown = shown if len(shown) <= _SHOWN_LENGTH else shown[: _SHOWN_LENGTH - 3] + "..."
    return [], f"{kind.__name__} {shown} is not a JSON value{hint}"


def uuid_string(value: Any) -> str:
    text = string(value)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InvalidValue(f"expected a UUID, got {text!r}") from None


def timestamp(value: Any) -> datetime:
    """An ISO 8601 string or a YAML timestamp; naive times are taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidValue(f"expected an ISO 8601 timestamp, got {value!r}") from None
    else:
        raise InvalidValue(f"expected an ISO 8601 timestamp, got {_type_name(value)}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def nullable(reader: ValueReader[T]) -> ValueReader[T | None]:
    def read(value: Any) -> T | None:
        return None if value is None else reader(value)

    return read


def choice(options: Sequence[str]) -> ValueReader[str]:
    def read(value: Any) -> str:
        text = string(value)
        if text not in options:
            listed = ", ".join(repr(option) for option in options)
            raise InvalidValue(f"{text!r} is not one of {listed}")
        return text

    return read


def max_length(limit: int, reader: ValueReader[str] = string) -> ValueReader[str]:
    def read(value: Any) -> str:
        text = reader(value)
        if len(text) > limit:
            raise InvalidValue(f"is {len(text)} characters long; the limit is {limit}")
        return text

    return read


def list_of(reader: ValueReader[T]) -> ValueReader[list[T]]:
    """A list whose items are simple values (items that are records are read one by one)."""

    def read(value: Any) -> list[T]:
        if not isinstance(value, list):
            raise InvalidValue(f"expected a list, got {_type_name(value)}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(reader(item))
            except InvalidValue as problem:
                raise InvalidValue(f"item {index}: {problem}") from None
        return items

    return read
