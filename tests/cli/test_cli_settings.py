"""The command line's settings: a flag and its FAKESERVER_* variable are checked alike, an error
names its source, the port is bounded and a port in use is one line; every command and argument
has help."""

from __future__ import annotations

import socket
import subprocess
import sys

import click
import pytest

from fakeserver.cli import fakeserver, main
from fakeserver.cli.serve import serve_config

BAD_VALUES = [
    # (flag, variable, bad value, what the message says)
    ("--host", "FAKESERVER_HOST", "my host", "'my host' must be non-empty, without spaces"),
    ("--port", "FAKESERVER_PORT", "99999", "'99999' is not a port; expected 0 to 65535"),
    ("--port", "FAKESERVER_PORT", "http", "'http' is not a port"),
    ("--profile", "FAKESERVER_PROFILE", "prod", "'prod' is not a profile; choose actual or"),
    ("--id-seed", "FAKESERVER_ID_SEED", "seven", "'seven' is not an integer"),
    ("--reply-delay", "FAKESERVER_REPLY_DELAY", "x", "expected a number of seconds >= 0, got 'x'"),
    ("--keepalive", "FAKESERVER_KEEPALIVE", "0", "expected a number of seconds > 0, got '0'"),
    ("--limits", "FAKESERVER_LIMITS", "strict", "'strict' is not a limits mode; choose off,"),
    ("--control-token", "FAKESERVER_CONTROL_TOKEN", "a b", "'a b' must be non-empty"),
    ("--allow-origin", "FAKESERVER_ALLOW_ORIGIN", "host:80", "'host:80' is not an origin"),
    ("--allow-host", "FAKESERVER_ALLOW_HOST", "http://x/", "'http://x/' is not a host name"),
    ("--log-level", "FAKESERVER_LOG_LEVEL", "loud", "'loud' is not a log level; choose critical,"),
]
BOOLEANS = [("FAKESERVER_ACCESS_LOG", "maybe"), ("FAKESERVER_CONTROL", "2")]


def refused(
    argv: list[str], capsys: pytest.CaptureFixture[str], env: dict[str, str] | None = None
) -> str:
    """The one error line `main(argv)` writes (exit status 2)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        assert main(argv) == 2
    (line,) = capsys.readouterr().err.splitlines()
    return line


@pytest.mark.parametrize(("flag", "variable", "value", "message"), BAD_VALUES)
def test_a_bad_variable_is_named(
    flag: str, variable: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
):
    error = refused(["serve"], capsys, {variable: value})
    assert error.startswith(f"fakeserver serve: error: {variable}: {message}")


@pytest.mark.parametrize(("flag", "variable", "value", "message"), BAD_VALUES)
def test_the_same_value_as_a_flag_gets_the_same_message(
    flag: str, variable: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
):
    error = refused(["serve", f"{flag}={value}"], capsys)
    assert error.startswith(f"fakeserver serve: error: {flag}: {message}")


@pytest.mark.parametrize(("variable", "value"), BOOLEANS)
def test_a_bad_boolean_variable_is_named(
    variable: str, value: str, capsys: pytest.CaptureFixture[str]
):
    error = refused(["serve"], capsys, {variable: value})
    assert error == (
        f"fakeserver serve: error: {variable}: '{value}' is not a boolean; "
        "use 1, true, yes, on or 0, false, no, off"
    )


def test_every_list_item_is_checked(capsys: pytest.CaptureFixture[str]):
    env = {"FAKESERVER_ALLOW_ORIGIN": "http://localhost:3000, localhost:5173"}
    error = refused(["serve"], capsys, env)
    assert error.startswith("fakeserver serve: error: FAKESERVER_ALLOW_ORIGIN: 'localhost:5173'")


@pytest.mark.parametrize(
    ("argv", "variable"),
    [(["openapi"], "FAKESERVER_PROFILE"), (["schemathesis-config"], "FAKESERVER_PORT")],
)
def test_other_commands_name_the_variable_too(
    argv: list[str], variable: str, capsys: pytest.CaptureFixture[str]
):
    error = refused(argv, capsys, {variable: "prod"})
    assert error.startswith(f"fakeserver {argv[0]}: error: {variable}: 'prod' is not a")


def test_a_flag_wins_over_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("FAKESERVER_PROFILE", "prod")  # never read: the flag is given
    assert main(["openapi", "--profile", "actual"]) == 0
    assert '"openapi"' in capsys.readouterr().out


def test_an_empty_variable_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("FAKESERVER_PORT", "")
    monkeypatch.setenv("FAKESERVER_HOST", " ")
    assert main(["schemathesis-config"]) == 0
    assert 'url = "http://127.0.0.1:8010"' in capsys.readouterr().out


@pytest.mark.parametrize("port", ["-1", "65536"])
def test_the_port_is_bounded(port: str, capsys: pytest.CaptureFixture[str]):
    error = refused(["serve", "--port", port], capsys)
    assert error == (
        f"fakeserver serve: error: --port: '{port}' is not a port; "
        "expected 0 to 65535 (0: any free one)"
    )


def test_the_bounds_themselves_are_ports():
    assert serve_config(["--port", "65535"]).port == 65535
    assert serve_config(["--port", "0"]).port == 0


def test_an_unknown_flag_or_a_missing_value_names_the_command(capsys: pytest.CaptureFixture[str]):
    assert refused(["serve", "--prot", "1"], capsys).startswith(
        "fakeserver serve: error: No such option '--prot'. (Did you mean"
    )
    assert refused(["serve", "--control-token"], capsys) == (
        "fakeserver serve: error: Option '--control-token' requires an argument."
    )


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    assert capsys.readouterr().err == (
        f"fakeserver serve: 127.0.0.1:{port} is in use (another fakeserver?); "
        "choose another with --port, or --port 0 for a free one\n"
    )


def test_a_host_that_cannot_be_bound_is_one_line(capsys: pytest.CaptureFixture[str]):
    assert main(["serve", "--host", "no-such-host.invalid", "--port", "0"]) == 1
    assert capsys.readouterr().err.startswith(
        "fakeserver serve: cannot listen on no-such-host.invalid:0: "
    )


def test_a_bad_variable_ends_the_real_command_without_a_traceback():
    env = {"FAKESERVER_PROFILE": "prod", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "fakeserver", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "fakeserver serve: error: FAKESERVER_PROFILE: 'prod' is not a profile; "
        "choose actual or documented\n"
    )
    assert done.stdout == ""


def test_every_command_and_option_has_help():
    assert {"serve", "check-fixture", "verify", "snapshot"} <= set(fakeserver.commands)
    missing = []
    for name, command in {"fakeserver": fakeserver, **fakeserver.commands}.items():
        if not command.help or not command.get_short_help_str():
            missing.append(f"{name}: no help")
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{name}: {'/'.join(param.opts)}")
    assert missing == []


def test_help_and_version_exit_zero(capsys: pytest.CaptureFixture[str]):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("fakeserver ")
    assert main(["serve", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "--keepalive SECONDS" in shown and "env var: FAKESERVER_KEEPALIVE" in shown


def test_no_command_shows_the_commands(capsys: pytest.CaptureFixture[str]):
    assert main([]) == 2
    assert "serve" in capsys.readouterr().err
