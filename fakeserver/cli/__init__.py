"""`fakeserver serve | check-fixture | divergences | openapi | schemathesis-config | verify
| snapshot` (also `python -m fakeserver ...`), with click.

Every setting comes from its flag, else its FAKESERVER_* variable, else its default (the options
are made from `ServerConfig`'s fields: `cli.options`). A bad flag or variable is one line on
stderr naming it and the value, exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import click

from fakeserver.cli.options import with_settings
from fakeserver.cli.serve import serve
from fakeserver.conformance import commands as conformance
from fakeserver.conformance import record_command
from fakeserver.domain.posthog_version import version_text

EXIT_USAGE: Final = 2


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--version`: the text is `version_text()`'s, shared with everything else that shows it."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_text())
    ctx.exit()


@click.group(
    "fakeserver",
    help="An offline fake of PostHog's AI Conversations API.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the PostHog it mirrors, and exit.",
)
def fakeserver() -> None:
    pass


@fakeserver.command(
    "check-fixture",
    help="Validate fixture files; exit 1 on problems.",
    short_help="validate fixture files; exit 1 on problems",
)
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="PATH..."
)
def check_fixtures(paths: tuple[Path, ...]) -> int:
    from fakeserver.fixture_files import check_fixture

    problems = check_fixture(list(paths))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"ok: {', '.join(str(path) for path in paths)}")
    return 1 if problems else 0


@fakeserver.command(
    "divergences",
    help="Print every documented-vs-actual difference (Markdown).",
    short_help="print every documented-vs-actual difference (Markdown)",
)
def divergences() -> int:
    from fakeserver.api.divergences import as_markdown

    print(as_markdown(), end="")
    return 0


@fakeserver.command(
    "openapi",
    help="Print a profile's OpenAPI document.",
    short_help="print a profile's OpenAPI document",
)
@with_settings("profile", for_serve=False)
@click.option(
    "--format",
    "form",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="json: as /api/schema/ serves it; yaml: the same document as YAML",
)
def openapi(profile: str, form: str) -> int:
    from fakeserver.api.profiles import profile_named

    chosen = profile_named(profile)
    text = chosen.openapi_yaml if form == "yaml" else chosen.openapi_document.decode()
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


@fakeserver.command(
    "schemathesis-config",
    help="Print a schemathesis.toml for a run against a live fake with the default fixture "
    "(`fakeserver serve` on --host and --port, which read serve's variables).",
    short_help="print a schemathesis.toml for a run against a live fake with the default fixture",
)
@with_settings("profile", "host", "port")
@click.option("--base-url", help="the fake's base URL  [default: http://HOST:PORT]")
def contract_config(profile: str, host: str, port: int, base_url: str | None) -> int:
    from fakeserver.cli.schemathesis_config import as_toml

    print(as_toml(profile, base_url or f"http://{host}:{port}"), end="")
    return 0


fakeserver.add_command(serve)
conformance.register(fakeserver)
record_command.register(fakeserver)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        status = fakeserver.main(
            args=list(argv) if argv is not None else None,
            prog_name="fakeserver",
            standalone_mode=False,
        )
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.format_message(), err=True)
        return EXIT_USAGE
    except click.ClickException as error:
        click.echo(f"{_command_path(error, argv)}: error: {error.format_message()}", err=True)
        return error.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 1
    return int(status or 0)


def _command_path(error: click.ClickException, argv: Sequence[str] | None) -> str:
    """`fakeserver COMMAND` of the command the error is about (click's parser errors carry no
    context: then the first argument that names a command)."""
    if isinstance(error, click.UsageError) and error.ctx is not None:
        return error.ctx.command_path
    given = sys.argv[1:] if argv is None else argv
    named = next((word for word in given if word in fakeserver.commands), None)
    return f"fakeserver {named}" if named else "fakeserver"


if __name__ == "__main__":
    sys.exit(main())
