"""One name and one default per setting: ServerConfig's field, FakeServer's argument, the pytest
marker's argument and ini option, `fakeserver serve`'s flag and its FAKESERVER_* variable.

FakeServer's own arguments are under test here, so these tests build it themselves (not through
conftest's `make_server`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from fakeserver import FakeServer
from fakeserver.app.config import SAME, ServerConfig, text_settings
from fakeserver.cli.serve import serve, serve_config
from fakeserver.fixture_files import default_fixture_path

pytest_plugins = ["pytester"]

FIXTURE = str(default_fixture_path())
EXAMPLES: dict[str, tuple[str, Any]] = {
    # setting: (its text in a flag, variable or ini option; the value it means)
    "host": ("0.0.0.0", "0.0.0.0"),
    "port": ("8123", 8123),
    "fixtures": (FIXTURE, (FIXTURE,)),
    "profile": ("actual", "actual"),
    "id_seed": ("7", 7),
    "reply_delay": ("0.5", 0.5),
    "replay_speed": ("2", 2.0),
    "keepalive": ("2.5", 2.5),
    "limits": ("posthog", "posthog"),
    "control": ("off", False),
    "control_token": ("s3cret", "s3cret"),
    "allow_origins": ("http://localhost:3000", ("http://localhost:3000",)),
    "allow_hosts": ("fake.test", ("fake.test",)),
    "journal_size": ("5", 5),
    "fault_seed": ("3", 3),
    "access_log": ("off", False),
}
SETTINGS = {spec.name: spec for spec in text_settings()}


def expected_flag(name: str, value: Any) -> str:
    """The flag's name: the setting's, in kebab case; a list's in the singular (it repeats)."""
    word = name.removesuffix("s") if isinstance(value, tuple) else name
    return "--" + word.replace("_", "-")


def flag_arguments(name: str, text: str, value: Any) -> list[str]:
    flag = expected_flag(name, value)
    if isinstance(value, bool):
        return [flag if value else "--no-" + flag.removeprefix("--")]
    return [flag, text]


def as_given(value: Any) -> Any:
    """A value as the setting keeps it (fixtures compared by their path's text)."""
    return tuple(str(item) for item in value) if isinstance(value, tuple) else value


def test_every_setting_given_as_text_has_an_example():
    assert set(EXAMPLES) == set(SETTINGS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_flag_variable_and_argument_share_one_name(name: str, monkeypatch: pytest.MonkeyPatch):
    text, value = EXAMPLES[name]
    flag = expected_flag(name, value)
    variable = "FAKESERVER_" + flag.removeprefix("--").replace("-", "_").upper()
    (option,) = [param for param in serve.params if param.name == name]
    assert option.opts == [flag]
    assert option.envvar == variable

    by_flag = serve_config(flag_arguments(name, text, value))
    assert as_given(getattr(by_flag, name)) == value
    monkeypatch.setenv(variable, text)
    assert as_given(getattr(serve_config([]), name)) == value
    monkeypatch.delenv(variable)
    with FakeServer(**{name: value}) as server:
        assert as_given(getattr(server.config, name)) == value


def test_one_default_per_setting_with_serve_s_own_declared():
    built = ServerConfig()
    assert FakeServer().config == built
    served = serve_config([])
    own = {
        spec.name: spec.serve_default
        for spec in SETTINGS.values()
        if spec.serve_default is not SAME
    }
    assert own == {"port": 8010, "access_log": True, "replay_speed": 1.0}
    assert {name: getattr(served, name) for name in own} == own
    assert dataclasses.replace(served, **{name: getattr(built, name) for name in own}) == built
    for spec in SETTINGS.values():
        if spec.name != "fixtures":  # made by a factory: the bundled fixture
            assert getattr(built, spec.name) == spec.default, spec.name


PLUGIN_SETTINGS = """
import pytest
from fakeserver.app.config import ServerConfig

EXPECTED = {expected!r}

def test_the_ini_options(fakeserver):
    for name, value in EXPECTED.items():
        kept = getattr(fakeserver.config, name)
        kept = tuple(str(item) for item in kept) if isinstance(kept, tuple) else kept
        assert kept == value, name

@pytest.mark.fakeserver(**{{name: value for name, value in EXPECTED.items()}})
def test_the_marker(fakeserver):
    test_the_ini_options(fakeserver)
"""

PLUGIN_DEFAULTS = """
from fakeserver.app.config import ServerConfig

def test_the_defaults(fakeserver):
    assert fakeserver.config == ServerConfig()
"""


def test_the_pytest_plugin_takes_each_setting_by_the_same_name(pytester: pytest.Pytester):
    expected = {name: value for name, (_text, value) in EXAMPLES.items()}
    pytester.makepyfile(test_settings=PLUGIN_SETTINGS.format(expected=expected))
    ini = "\n".join(f"fakeserver_{name} = {text}" for name, (text, _value) in EXAMPLES.items())
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_pytest_plugin_s_defaults_are_the_settings(pytester: pytest.Pytester):
    pytester.makepyfile(PLUGIN_DEFAULTS)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_bad_ini_option_is_named(pytester: pytest.Pytester):
    pytester.makepyfile(PLUGIN_DEFAULTS)
    pytester.makeini("[pytest]\nfakeserver_keepalive = 0\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(
        ["*ini option fakeserver_keepalive: expected a number of seconds > 0, got '0'*"]
    )


def test_an_old_argument_name_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="keepalive_interval= is now keepalive="):
        server = FakeServer(keepalive_interval=2.0)
    assert server.config.keepalive == 2.0


def test_an_unknown_setting_is_refused():
    with pytest.raises(TypeError, match="FakeServer\\(\\) has no setting colour"):
        FakeServer(colour="blue")


def test_the_command_line_page_shows_every_setting_as_the_code_defines_it():
    from pathlib import Path

    from fakeserver.cli.options import settings_table

    page = Path(__file__).resolve().parents[2] / "docs" / "command-line.md"
    assert settings_table() in page.read_text(encoding="utf-8")
