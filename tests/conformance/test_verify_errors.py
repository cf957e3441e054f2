"""`fakeserver verify` when the target cannot be checked at all: one line, exit status 2 (and
the 429s it waits out)."""

from __future__ import annotations

import socket

import pytest
from conftest import ADA_KEY, ServerFactory
from verify_harness import report, target, verdicts, verify

from fakeserver import FakeServer
from fakeserver.conformance import commands

__all__ = ["target"]  # a fixture


def test_a_429_is_waited_out_as_retry_after_says(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=7, times=2)
    waits: list[float] = []
    code, out, err = verify(capsys, target.url, "--json", sleep=waits.append)
    assert (code, err) == (0, "")
    assert waits == [7, 7]
    assert set(verdicts(report(out)).values()) == {"same", "needs-session"}


def test_a_target_that_keeps_answering_429_gives_up_after_three_retries(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=2)
    waits: list[float] = []
    code, out, err = verify(capsys, target.url, sleep=waits.append)
    assert (code, out) == (2, "")
    assert waits == [2, 2, 2]
    assert err.count("\n") == 1
    assert "still answers 429 (throttled) after 3 retries; try again later" in err


def test_a_retry_after_longer_than_two_minutes_is_not_waited(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=429, retry_after=3600)
    code, _, err = verify(capsys, target.url)
    assert code == 2
    assert "asks to wait 3600 s (Retry-After)" in err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_target_is_one_line_without_traceback(capsys: pytest.CaptureFixture[str]):
    url = f"http://127.0.0.1:{_closed_port()}"
    code, out, err = verify(capsys, url)
    assert (code, out) == (2, "")
    assert err.startswith(f"fakeserver verify: cannot reach {url} (")
    assert err.endswith("check --target and the network\n")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_tls_to_a_plain_http_server_is_a_tls_error(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    url = target.url.replace("http://", "https://")
    code, _, err = verify(capsys, url)
    assert code == 2
    assert err.startswith(f"fakeserver verify: TLS error talking to {url} (")
    assert err.count("\n") == 1


def test_a_slow_target_times_out_in_one_line(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", latency_ms=2000)
    code, _, err = verify(capsys, target.url, "--timeout", "0.2")
    assert code == 2
    assert err == (
        f"fakeserver verify: {target.url} did not answer within 0.2 s; "
        "check the target, or raise --timeout\n"
    )


def test_a_wrong_key_says_to_check_the_key(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, out, err = verify(capsys, target.url, key="phx_not_a_key")
    assert (code, out) == (2, "")
    assert err == (
        f"fakeserver verify: {target.url} refused the personal API key (401: Personal API key "
        "found in request Authorization header is invalid.); check --personal-api-key (a key "
        "from Settings > Personal API keys)\n"
    )


def test_a_missing_scope_names_the_scope(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, _, err = verify(capsys, target.url, key="phx_dashboards_only")
    assert code == 2
    assert err == (
        "fakeserver verify: the personal API key lacks the scope conversation:read; give it "
        "conversation:read (and conversation:write for --allow-writes)\n"
    )


def test_a_wrong_project_says_to_check_the_project(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    argv = ["verify", "--target", target.url, "--personal-api-key", ADA_KEY, "--project", "77"]
    assert commands.run(argv) == 2
    assert "project 77 not found on" in capsys.readouterr().err


def test_a_server_error_on_the_list_is_one_line(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    target.add_fault("conversations_list", status=503)
    code, _, err = verify(capsys, target.url)
    assert code == 2
    assert err == (
        f"fakeserver verify: {target.url} answered 503 (503 Service Unavailable) to "
        "GET /api/projects/1/conversations/; the target has a problem, try later\n"
    )


def test_a_target_that_is_not_posthog_is_named(
    make_server: ServerFactory, capsys: pytest.CaptureFixture[str]
):
    with make_server(live=True) as other:
        code, _, err = verify(capsys, other.url + "/_fakeserver")
    assert code == 2
    assert "not PostHog's conversation list; check --target" in err
