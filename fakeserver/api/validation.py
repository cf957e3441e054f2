"""Request-body validation with DRF's field semantics and messages.

PostHog's error handler reports the first failing field in serializer order, with DRF's message
and code (drf-exceptions-hog renames DRF's `invalid` to `invalid_input`). An error inside a list
of nested objects names its place as drf-exceptions-hog joins DRF's nested error keys, with `__`:
`attached_context__0__name` (the list's field, the item's index, the item's field).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fakeserver.api.errors import validation_error

_EMPTY: Final[Any] = object()
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_TRUE_VALUES: Final = {
    "t",
    "T",
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "true",
    "True",
    "TRUE",
    "on",
    "On",
    "ON",
    "1",
    1,
}
_FALSE_VALUES: Final = {
    "f",
    "F",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "false",
    "False",
    "FALSE",
    "off",
    "Off",
    "OFF",
    "0",
    0,
}


NESTED_KEY_SEPARATOR: Final = "__"
"""drf-exceptions-hog's default, which PostHog keeps."""
NON_FIELD_ERRORS: Final = "non_field_errors"
"""DRF's key for an error about a nested object as a whole (it stays in a nested `attr`)."""


class _FieldError(Exception):
    def __init__(self, detail: str, code: str, path: tuple[str, ...] = ()):
        super().__init__(detail)
        self.detail, self.code = detail, code
        self.path = path
        """Where inside the field's value it failed (list index, nested field), outermost first."""


@dataclass(frozen=True)
class Field:
    """One serializer field: `kind` is string, dict, json, choice, uuid, boolean or list (a DRF
    `ListField` whose items are the nested serializer `item_fields`)."""

    name: str
    kind: str
    required: bool = False
    allow_null: bool = False
    allow_blank: bool = False
    max_length: int | None = None
    choices: Sequence[str] = field(default_factory=tuple)
    item_fields: Sequence[Field] = field(default_factory=tuple)
    _cleaner: Callable[[Any], Any] = field(init=False, repr=False, compare=False)
    """The `_clean_<kind>` method, found once (an unknown kind fails here, not on a request)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cleaner", getattr(self, f"_clean_{self.kind}"))

    def clean(self, value: Any) -> Any:
        if value is None:
            if self.allow_null:
                return None
            raise _FieldError("This field may not be null.", "null")
        return self._cleaner(value)

    def _clean_string(self, value: Any) -> str:
        if isinstance(value, str) and not value.strip() and not self.allow_blank:
            raise _FieldError("This field may not be blank.", "blank")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _FieldError("Not a valid string.", "invalid_input")
        text = str(value).strip()
        if self.max_length is not None and len(text) > self.max_length:
            raise _FieldError(
                f"Ensure this field has no more than {self.max_length} characters.", "max_length"
            )
        if "\x00" in text:
            raise _FieldError("Null characters are not allowed.", "null_characters_not_allowed")
        surrogate = None if text.isascii() else _SURROGATE.search(text)
        if surrogate is not None:
            raise _FieldError(
                f"Surrogate characters are not allowed: U+{ord(surrogate.group()):X}.",
                "surrogate_characters_not_allowed",
            )
        return text

    def _clean_dict(self, value: Any) -> dict[str, Any]:
        """DRF's `DictField(child=JSONField())`: any JSON values, but null (the child's own
        null check, reported under the key: `contextual_tools__<key>`)."""
        if not isinstance(value, dict):
            raise _FieldError(
                f'Expected a dictionary of items but got type "{type(value).__name__}".',
                "not_a_dict",
            )
        for key, item in value.items():
            if item is None:
                raise _FieldError("This field may not be null.", "null", (str(key),))
        return value

    def _clean_json(self, value: Any) -> Any:
        return value

    def _clean_choice(self, value: Any) -> str:
        text = value if isinstance(value, str) else str(value)
        if text not in self.choices:
            raise _FieldError(f'"{text}" is not a valid choice.', "invalid_choice")
        return text

    def _clean_uuid(self, value: Any) -> str:
        # DRF also takes the integer form. Its int check lets true/false through as well (bool is
        # an int in Python); the fake refuses them, since no client means a boolean as an id.
        try:
            if isinstance(value, str):
                return str(uuid.UUID(value))
            if isinstance(value, int) and not isinstance(value, bool):
                return str(uuid.UUID(int=value))
        except ValueError:
            pass
        raise _FieldError("Must be a valid UUID.", "invalid_input")

    def _clean_list(self, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise _FieldError(
                f'Expected a list of items but got type "{type(value).__name__}".', "not_a_list"
            )
        return [_clean_item(item, self.item_fields, str(index)) for index, item in enumerate(value)]

    def _clean_boolean(self, value: Any) -> bool:
        try:
            if value in _TRUE_VALUES:
                return True
            if value in _FALSE_VALUES:
                return False
        except TypeError:  # unhashable (a list or dict)
            pass
        raise _FieldError("Must be a valid boolean.", "invalid_input")


def _clean_item(item: Any, fields: Sequence[Field], index: str) -> dict[str, Any]:
    """One item of a list of nested objects (DRF runs the child serializer on it)."""
    if item is None:
        raise _FieldError("This field may not be null.", "null", (index,))
    if not isinstance(item, dict):
        detail = f"Invalid data. Expected a dictionary, but got {type(item).__name__}."
        raise _FieldError(detail, "invalid_input", (index, NON_FIELD_ERRORS))
    try:
        return _cleaned_fields(item, fields)
    except _FieldError as error:
        raise _FieldError(error.detail, error.code, (index, *error.path)) from None


def _cleaned_fields(data: dict[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """The cleaned values of the fields present; the first bad field's error, its name first in
    the error's path."""
    cleaned: dict[str, Any] = {}
    for spec in fields:
        value = data.get(spec.name, _EMPTY)
        if value is _EMPTY:
            if spec.required:
                raise _FieldError("This field is required.", "required", (spec.name,))
            continue
        try:
            cleaned[spec.name] = spec.clean(value)
        except _FieldError as error:
            raise _FieldError(error.detail, error.code, (spec.name, *error.path)) from None
    return cleaned


def validate(data: Any, fields: Sequence[Field]) -> dict[str, Any]:
    """The cleaned values of the fields present; raises PostHog's 400 for the first bad one."""
    if not isinstance(data, dict):
        raise validation_error(
            f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        )
    try:
        return _cleaned_fields(data, fields)
    except _FieldError as error:
        attr = NESTED_KEY_SEPARATOR.join(error.path)
        raise validation_error(error.detail, error.code, attr) from None
