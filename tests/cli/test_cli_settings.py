"""The command line's settings: a flag and its FAKESERVER_* variable are checked alike, an error
names its source, the port is bounded and a port in use is one line; every command and argument
has help."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import pytest

from fakeserver.cli import _parser, main

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
    """The one error line `main(argv)` ends with (exit status 2)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        with pytest.raises(SystemExit) as exited:
            main(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


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
    assert error.startswith(f"fakeserver serve: error: argument {flag}: {message}")


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
        f"fakeserver serve: error: argument --port: '{port}' is not a port; "
        "expected 0 to 65535 (0: any free one)"
    )


def test_the_bounds_themselves_are_ports():
    parsed = _parser().parse_args(["serve", "--port", "65535"])
    assert parsed.port == 65535
    assert _parser().parse_args(["serve", "--port", "0"]).port == 0


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


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by its prog, and the help each has in the command list."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, command in action.choices.items():
                assert helps.get(name), f"{name} has no help in the command list"
                found[command.prog] = command
                found.update(_commands(command))
    return found


def test_every_command_and_argument_has_help():
    parser = _parser()
    commands = _commands(parser)
    assert {"fakeserver serve", "fakeserver check-fixture", "fakeserver verify"} <= set(commands)
    missing = []
    for prog, command in {"fakeserver": parser, **commands}.items():
        if not command.description:
            missing.append(f"{prog}: no description")
        for action in command._actions:
            if not isinstance(action, argparse._SubParsersAction) and not action.help:
                missing.append(f"{prog}: {'/'.join(action.option_strings) or action.dest}")
    assert missing == []
