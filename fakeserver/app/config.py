"""`ServerConfig`: every setting of the server, each defined once, here.

A field is a setting: its name, type and default, and (in `setting(...)`) its help and the parser
of its text. Every face derives its own spelling of the setting from the field:

    field (Python)   FakeServer argument, pytest marker argument   keepalive, allow_origins
    flag             `fakeserver serve` (a list: singular, repeat)   --keepalive, --allow-origin
    variable         the flag's environment variable                FAKESERVER_KEEPALIVE
    ini option       pytest's ini file                              fakeserver_keepalive

`serve` runs a server for a person, so three defaults differ there and say so in their field
(`serve_default`): port 8010 instead of any free one, the request log on, and recorded runs
replayed at their recorded timing.

Light to import: the pytest plugin reads the settings when pytest starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Final

from fakeserver.app import settings as parsers

if TYPE_CHECKING:
    from fakeserver.domain.pacing import RunPacer
    from fakeserver.fixture_files import FixtureSource

SETTING: Final = "fakeserver.setting"
"""The key of a `Setting` in a ServerConfig field's metadata."""
FLAG_PREFIX: Final = "--"
VARIABLE_PREFIX: Final = "FAKESERVER_"
INI_PREFIX: Final = "fakeserver_"
RENAMED: Final = {"keepalive_interval": "keepalive"}
"""Old argument names of FakeServer (and the pytest marker) still taken, with a warning."""


class _Same:
    def __repr__(self) -> str:
        return "the default"


SAME: Final = _Same()


@dataclass(frozen=True)
class Setting:
    """How a setting is given from outside Python: its help and the parser of its text."""

    help: str
    parse: Callable[[str], Any] | None = None
    """Text to value (raising `settings.SettingError`); None: a setting for Python only."""
    metavar: str | None = None
    separator: str | None = None
    """A list setting: what separates its items in a variable (its flag is repeated)."""
    shown_default: str | None = None
    """The default as help shows it, where the value would not say it well."""
    serve_default: Any = SAME
    """`fakeserver serve`'s default, where a server run by a person wants another."""
    name: str = ""
    """The field's name and default, filled in by `server_settings()`."""
    default: Any = None

    @property
    def is_list(self) -> bool:
        return self.separator is not None

    @property
    def is_flag(self) -> bool:
        """An on/off setting: `--name` and `--no-name`."""
        return self.parse is parsers.boolean

    @property
    def flag(self) -> str:
        word = self.name.removesuffix("s") if self.is_list else self.name
        return FLAG_PREFIX + word.replace("_", "-")

    @property
    def variable(self) -> str:
        return VARIABLE_PREFIX + self.flag.removeprefix(FLAG_PREFIX).replace("-", "_").upper()

    @property
    def ini(self) -> str:
        return INI_PREFIX + self.name

    @property
    def default_for_serve(self) -> Any:
        return self.default if self.serve_default is SAME else self.serve_default

    def from_text(self, text: str) -> Any:
        """The value of a flag's, variable's or ini option's text; a list's items are separated
        by `separator`. Raises `SettingError`; an empty text is for the caller to skip."""
        if self.parse is None:
            raise parsers.SettingError(f"{self.name} cannot be given as text")
        if self.separator is None:
            return self.parse(text.strip())
        return tuple(
            self.parse(item.strip()) for item in text.split(self.separator) if item.strip()
        )


def setting(
    default: Any = MISSING,
    help: str = "",
    parse: Callable[[str], Any] | None = None,
    *,
    default_factory: Callable[[], Any] | None = None,
    **options: Any,
) -> Any:
    """A ServerConfig field that is a setting (see `Setting` for the options)."""
    spec = Setting(help, parse, **options)
    if default_factory is not None:
        return field(default_factory=default_factory, metadata={SETTING: spec})
    return field(default=default, metadata={SETTING: spec})


def _bundled_fixture() -> tuple[FixtureSource, ...]:
    from fakeserver.fixture_files import default_fixture_path

    return (default_fixture_path(),)


SECONDS: Final = "SECONDS"


@dataclass(frozen=True)
class ServerConfig:
    """The server's settings. Lists may be given as any sequence; they are kept as tuples."""

    host: str = setting("127.0.0.1", "address to bind", parsers.word)
    port: int = setting(
        0,
        "port to bind, 0 for any free one",
        parsers.port,
        serve_default=8010,
    )
    fixtures: Sequence[FixtureSource] = setting(
        help="fixture file (YAML or JSON); repeat to merge several in order",
        parse=parsers.path_text,
        default_factory=_bundled_fixture,
        metavar="PATH",
        separator=os.pathsep,
        shown_default="the bundled one; the variable separates paths with ':'",
    )
    profile: str = setting("documented", "fidelity profile", parsers.profile_name)
    id_seed: int | None = setting(
        None, "make generated ids repeatable from this seed", parsers.integer, metavar="N"
    )
    reply_delay: float = setting(
        0.0,
        "seconds between the frames of a simulated agent run",
        parsers.seconds(allow_zero=True),
        metavar=SECONDS,
    )
    replay_speed: float = setting(
        0.0,
        "recorded runs replay at this multiple of their timing (0: as fast as possible)",
        parsers.seconds(allow_zero=True),
        metavar="FACTOR",
        serve_default=1.0,
    )
    keepalive: float = setting(
        15.0,
        "seconds of stream silence before a ': keepalive' comment",
        parsers.seconds(allow_zero=False),
        metavar=SECONDS,
    )
    pacer: RunPacer | None = setting(
        None, "paces agent runs instead of reply_delay: e.g. a GatedPacer that tests step"
    )
    limits: str | None = setting(
        None,
        "PostHog's rate limits and AI-credit quota",
        parsers.limits_mode,
        shown_default="the fixture's `limits:`, else off",
    )
    control: bool = setting(
        True, "serve the control API (/_fakeserver/...) and its dashboard", parsers.boolean
    )
    control_token: str | None = setting(
        None,
        "require this token in X-Fakeserver-Control-Token on control API calls",
        parsers.word,
        metavar="TOKEN",
    )
    allow_origins: Sequence[str] = setting(
        (),
        "let pages of this origin (e.g. http://localhost:3000, or *) call the control API; "
        "repeatable",
        parsers.origin,
        metavar="ORIGIN",
        separator=",",
        shown_default="none; the variable separates origins with ','",
    )
    allow_hosts: Sequence[str] = setting(
        (),
        "answer control API calls sent to this host name (besides localhost and loopback "
        "addresses; * for any); repeatable",
        parsers.host_name,
        metavar="NAME",
        separator=",",
        shown_default="none; the variable separates names with ','",
    )
    journal_size: int = setting(
        1000, "requests the journal keeps (the oldest go first)", parsers.count, metavar="N"
    )
    fault_seed: int = setting(
        0, "default seed of each fault rule's random draws", parsers.integer, metavar="N"
    )
    access_log: bool = setting(
        False,
        "log one line per API request (logger fakeserver.access): method, path, status, "
        "duration, and the operation it matched or why it matched none",
        parsers.boolean,
        serve_default=True,
    )

    def __post_init__(self) -> None:
        for spec in server_settings():
            value = getattr(self, spec.name)
            if spec.is_list and not isinstance(value, tuple):
                object.__setattr__(self, spec.name, tuple(value))


def _setting_of(found: Field[Any]) -> Setting:
    spec: Setting = found.metadata[SETTING]
    # A default made by a factory (the bundled fixture) is left to ServerConfig to make.
    default = None if found.default is MISSING else found.default
    return replace(spec, name=found.name, default=default)


_SETTINGS: list[Setting] = []


def server_settings() -> tuple[Setting, ...]:
    """Every setting of `ServerConfig`, in its order, with its name and default."""
    if not _SETTINGS:
        _SETTINGS.extend(_setting_of(found) for found in fields(ServerConfig))
    return tuple(_SETTINGS)


def text_settings() -> tuple[Setting, ...]:
    """The settings that can be given as text: flags, variables, ini options."""
    return tuple(spec for spec in server_settings() if spec.parse is not None)


def renamed(options: dict[str, Any]) -> dict[str, Any]:
    """`options` with old argument names (`RENAMED`) under their new ones, with a warning."""
    old = [name for name in options if name in RENAMED]
    if not old:
        return options
    import warnings

    for name in old:
        warnings.warn(f"{name}= is now {RENAMED[name]}=", DeprecationWarning, stacklevel=3)
    return {RENAMED.get(name, name): value for name, value in options.items()}
