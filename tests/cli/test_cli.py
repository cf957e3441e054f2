"""The command line: check-fixture, divergences (and their copy in docs/profiles.md), serve's
banner."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeserver.api.divergences import as_markdown
from fakeserver.cli import main
from fakeserver.cli.serve import banner
from fakeserver.fixture_files import default_fixture_path, load_seed

ROOT = Path(__file__).resolve().parents[2]


def test_check_fixture_ok(capsys: pytest.CaptureFixture[str]):
    assert main(["check-fixture", str(default_fixture_path())]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_check_fixture_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text("projects: [{id: x}]\n")
    assert main(["check-fixture", str(bad)]) == 1
    assert capsys.readouterr().err == f"{bad}: projects[0].id: expected an integer, got a string\n"


def test_divergences_prints_the_table(capsys: pytest.CaptureFixture[str]):
    assert main(["divergences"]) == 0
    assert capsys.readouterr().out == as_markdown()


def test_readme_shows_the_divergences_table_verbatim():
    assert as_markdown() in (ROOT / "docs" / "profiles.md").read_text()


def test_banner_has_a_curl_that_works():
    seed = load_seed([default_fixture_path()])
    text = banner("http://127.0.0.1:8010", "documented", [default_fixture_path()], seed)
    assert "base URL   http://127.0.0.1:8010" in text
    assert "phx_ada_all          ada@example.com" in text
    assert text.endswith(
        'curl -H "Authorization: Bearer phx_ada_all" '
        "http://127.0.0.1:8010/api/projects/1/conversations/"
    )


def test_serve_refuses_a_bad_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = tmp_path / "bad.yaml"
    bad.write_text("projects: [{id: 1, id2: 2}]\n")
    assert main(["serve", "--fixture", str(bad), "--port", "0"]) == 1
    assert "projects[0].id2: unknown key" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["serve", "--keepalive", "0"], {}, "expected a number of seconds > 0, got '0'"),
        (["serve", "--reply-delay", "-1"], {}, "expected a number of seconds >= 0, got '-1'"),
        (["serve"], {"FAKESERVER_PORT": "abc"}, "FAKESERVER_PORT: 'abc' is not a port"),
    ],
)
def test_serve_refuses_bad_options(
    argv: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
