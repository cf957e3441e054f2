"""Typed readers for fixture values: each checks one value and returns it converted, or raises.

A reader raises `InvalidValue` with a sentence that completes "<file>: <path>: ...".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

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
    if not isinstance(value, dict):
        raise InvalidValue(f"expected a mapping, got {_type_name(value)}")
    return value


def any_json(value: Any) -> Any:
    return value


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
