"""Settings given as text (a command-line flag, an environment variable, a pytest ini option):
one parser per kind, the same whichever way the text came.

Each parser returns the value or raises `SettingError`, whose message names the value and what
was expected, and reads well after where it came from (`--port: ...`, `FAKESERVER_PORT: ...`).
Light to import: the pytest plugin reads the settings when pytest starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final
from urllib.parse import urlsplit

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug", "trace")
"""uvicorn's log levels (trace is below debug)."""
MAX_PORT: Final = 65535
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


class SettingError(ValueError):
    """A setting's text is not a valid value."""


class OneOf:
    """A parser that accepts exactly one of its choices (`choices()` lists them)."""

    def __init__(self, kind: str, choices: Callable[[], Sequence[str]]) -> None:
        self.kind = kind
        self._choices = choices

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._choices())

    def __call__(self, text: str) -> str:
        choices = self.choices
        if text not in choices:
            listed = " or ".join(
                [", ".join(choices[:-1]), choices[-1]] if len(choices) > 2 else choices
            )
            raise SettingError(f"{text!r} is not a {self.kind}; choose {listed}")
        return text


# Their homes are imported on first use: the profiles load their OpenAPI documents.
def _profile_names() -> list[str]:
    from fakeserver.api.profiles import PROFILES

    return sorted(PROFILES)


def _limit_modes() -> tuple[str, ...]:
    from fakeserver.domain.limits import LIMIT_MODES

    return LIMIT_MODES


profile_name = OneOf("profile", _profile_names)
limits_mode = OneOf("limits mode", _limit_modes)
log_level = OneOf("log level", lambda: LOG_LEVELS)


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PORT:
        raise SettingError(f"{text!r} is not a port; expected 0 to {MAX_PORT} (0: any free one)")
    return value


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise SettingError(f"{text!r} is not an integer") from None


def seconds(allow_zero: bool) -> Callable[[str], float]:
    """A parser of a finite number of seconds, >= 0 or > 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise SettingError(f"expected a number of seconds {bound}, got {text!r}")
        return value

    return parse


def boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise SettingError(f"{text!r} is not a boolean; use 1, true, yes, on or 0, false, no, off")


def word(text: str) -> str:
    """Non-empty text without spaces: a host name or address, a token."""
    if not text or any(character.isspace() for character in text):
        raise SettingError(f"{text!r} must be non-empty, without spaces")
    return text


def host_name(text: str) -> str:
    """A host name (or `*`): no scheme, no path."""
    if "/" in word(text):
        raise SettingError(f"{text!r} is not a host name (no scheme or path: e.g. myhost.local)")
    return text


def origin(text: str) -> str:
    """A page origin, `scheme://host[:port]`, or `*`."""
    if text == "*":
        return text
    try:
        parts = urlsplit(word(text))
        parts.port  # noqa: B018 (reading it checks the port)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise SettingError(f"{text!r} is not an origin; expected e.g. http://localhost:3000, or *")
    return text


def path_text(text: str) -> str:
    if not text.strip():
        raise SettingError("expected a file path, got nothing")
    return text


def count(text: str) -> int:
    """An integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingError(f"{text!r} is not a count; expected an integer >= 0")
    return value
