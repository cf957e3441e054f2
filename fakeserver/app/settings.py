"""Server settings given as text (a command-line flag, an environment variable): one parser per
kind, the same whichever way the text came.

Each parser returns the value or raises `SettingError`, whose message names the value and what
was expected, and reads well after the setting's name (`--port: ...`, `FAKESERVER_PORT: ...`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from fakeserver.api.profiles import PROFILES
from fakeserver.domain.limits import LIMIT_MODES

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug", "trace")
"""uvicorn's log levels (trace is below debug)."""
MAX_PORT: Final = 65535
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


class SettingError(ValueError):
    """A setting's text is not a valid value."""


@dataclass(frozen=True)
class FromEnv:
    """A setting's environment variable: read when its flag is not given (`fill`), checked by
    the same parser as the flag, and named in the error."""

    dest: str
    variable: str
    parse: Callable[[str], Any]
    default: Any = None
    separator: str | None = None
    """For a list: what separates its items in the variable."""

    def value(self) -> Any:
        """The variable's value (an empty variable counts as unset), else the default."""
        text = os.environ.get(self.variable, "").strip()
        if not text:
            return self.default
        try:
            if self.separator is None:
                return self.parse(text)
            return [self.parse(part.strip()) for part in text.split(self.separator) if part.strip()]
        except SettingError as error:
            raise SettingError(f"{self.variable}: {error}") from None

    def fill(self, args: Any) -> None:
        if getattr(args, self.dest) is None:
            setattr(args, self.dest, self.value())


def one_of(kind: str, choices: tuple[str, ...] | list[str]) -> Callable[[str], str]:
    """A parser that accepts exactly one of `choices`."""
    listed = " or ".join([", ".join(choices[:-1]), choices[-1]] if len(choices) > 2 else choices)

    def parse(text: str) -> str:
        if text not in choices:
            raise SettingError(f"{text!r} is not a {kind}; choose {listed}")
        return text

    return parse


profile_name = one_of("profile", sorted(PROFILES))
limits_mode = one_of("limits mode", list(LIMIT_MODES))
log_level = one_of("log level", LOG_LEVELS)


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
