"""A setting of `ServerConfig` as a click option: its flag, its FAKESERVER_* variable (click's
`envvar`), its help and default, and its parser for the text of either.

A bad value is an error naming where it came from, the flag or the variable, and the value:
`FAKESERVER_PORT: '99999' is not a port; expected 0 to 65535 (0: any free one)`. An empty (or
blank) variable counts as unset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from fakeserver.app.config import Setting, text_settings
from fakeserver.app.settings import OneOf, SettingError

Command = TypeVar("Command", bound=Callable[..., Any])


class SettingType(click.ParamType[Any]):
    """Text to a setting's value with its parser; a value already parsed passes as it is."""

    def __init__(self, spec: Setting) -> None:
        self.spec = spec
        self.name = spec.name

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        if isinstance(self.spec.parse, OneOf):
            return "[" + "|".join(self.spec.parse.choices) + "]"
        return self.spec.metavar or self.spec.name.upper()

    def split_envvar_value(self, rv: str) -> Sequence[str]:
        return [item.strip() for item in rv.split(self.spec.separator) if item.strip()]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or self.spec.parse is None:
            return value
        from_variable = (
            ctx is not None
            and param is not None
            and param.name is not None
            and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT
        )
        if from_variable:
            value = value.strip()
            if not value and param is not None and ctx is not None:
                return param.get_default(ctx)
        try:
            return self.spec.parse(value)
        except SettingError as error:
            where = self.spec.variable if from_variable else self.spec.flag
            raise click.UsageError(f"{where}: {error}", ctx) from None


class OnOffSettingType(SettingType, click.types.BoolParamType):
    """A boolean setting: click makes its option an on/off flag pair."""


def setting_option(spec: Setting, *, for_serve: bool = True) -> Callable[[Command], Command]:
    """`spec` as an option: `serve`'s default if `for_serve`, else the setting's own."""
    default = spec.default_for_serve if for_serve else spec.default
    if spec.is_list:
        default = () if default is None else tuple(default)
    if spec.shown_default is not None:
        shown: bool | str = spec.shown_default
    elif isinstance(default, bool):
        shown = "on" if default else "off"
    else:
        shown = default is not None and default != ()
    flag = spec.flag
    declarations = [f"{flag}/--no-{flag.removeprefix('--')}" if spec.is_flag else flag, spec.name]
    kind = OnOffSettingType(spec) if spec.is_flag else SettingType(spec)
    return click.option(
        *declarations,
        type=kind,
        default=default,
        multiple=spec.is_list,
        envvar=spec.variable,
        show_envvar=True,
        show_default=shown,
        help=spec.help,
    )


def with_settings(*names: str, for_serve: bool = True) -> Callable[[Command], Command]:
    """A decorator that adds the options of the settings `names` to a click command (in the
    order of `ServerConfig` when `names` is empty: every setting given as text)."""
    found = {spec.name: spec for spec in text_settings()}
    chosen = [found[name] for name in names] if names else list(found.values())

    def decorate(command: Command) -> Command:
        for spec in reversed(chosen):
            command = setting_option(spec, for_serve=for_serve)(command)
        return command

    return decorate


def settings_table() -> str:
    """Every setting as a markdown table, one row each, with every spelling of its name and its
    defaults: docs/command-line.md shows it (a test keeps the two identical)."""
    rows = [
        "| setting (`FakeServer`, marker) | flag | variable | ini option | default | `serve` |",
        "|---|---|---|---|---|---|",
    ]
    for spec in text_settings():
        flag = f"{spec.flag} / --no-{spec.flag.removeprefix('--')}" if spec.is_flag else spec.flag
        default = spec.shown_default or _shown(spec.default)
        serve = "same" if spec.default_for_serve == spec.default else _shown(spec.default_for_serve)
        rows.append(
            f"| `{spec.name}` | `{flag}` | `{spec.variable}` | `{spec.ini}` | {default} | {serve} |"
        )
    return "\n".join(rows) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None or value == ():
        return "none"
    return f"`{value}`"
