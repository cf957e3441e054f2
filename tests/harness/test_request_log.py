"""The request log: one line per API request with its operation or near miss; off unless asked."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from conftest import ServerFactory
from runs_harness import gated, message_body, new_id, stream

from fakeserver import FakeServer
from fakeserver.harness.request_log import LOGGER_NAME

pytest_plugins = ["pytester"]

KEY = {"Authorization": "Bearer phx_ada_all"}
LIST = "/api/projects/1/conversations/"


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER_NAME]


@pytest.fixture
def logged(make_server: ServerFactory) -> Iterator[FakeServer]:
    with make_server(access_log=True) as server:
        yield server


def test_a_matched_request_shows_its_operation(
    logged: FakeServer, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, LOGGER_NAME), logged.client(headers=KEY) as client:
        client.get(LIST)
    [line] = lines(caplog)
    assert re.fullmatch(
        r'127\.0\.0\.1:\d+ - "GET /api/projects/1/conversations/ HTTP/1\.1" 200 \d+\.\d ms '
        r"conversations_list",
        line,
    ), line
    assert caplog.records[0].levelno == logging.INFO


def test_a_near_miss_shows_why_and_the_nearest_operation(
    logged: FakeServer, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, LOGGER_NAME), logged.client(headers=KEY) as client:
        client.get("/api/projects/1/conversation/")
        client.delete(LIST)
    missed, wrong_method = lines(caplog)
    assert '"GET /api/projects/1/conversation/ HTTP/1.1" 404 ' in missed
    assert missed.endswith(
        "no operation: segment 'conversation' does not fit 'conversations' of "
        "/api/projects/{project_id}/conversations; did you mean conversations_list?"
    )
    assert "no operation: DELETE is not served on /api/projects/{project_id}/conversations" in (
        wrong_method
    )


def test_secrets_in_the_query_are_redacted(logged: FakeServer, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, LOGGER_NAME), logged.client() as client:
        client.get(LIST, params={"limit": 1, "personal_api_key": "phx_ada_all"})
    [line] = lines(caplog)
    assert "phx_ada_all" not in line
    assert f'"GET {LIST}?limit=1&personal_api_key=[redacted] HTTP/1.1"' in line


def test_the_namespace_prefix_and_a_fault_show(
    logged: FakeServer, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, LOGGER_NAME), logged.client("team-a", headers=KEY) as client:
        client.get(LIST, headers={"X-Fakeserver-Fault": '{"status": 502}'})
    [line] = lines(caplog)
    assert f'"GET /_ns/team-a{LIST} HTTP/1.1" 502 ' in line
    assert line.endswith("conversations_list [fault from header]")


def test_a_dropped_connection_shows_as_dropped(
    logged: FakeServer, caplog: pytest.LogCaptureFixture
):
    with (
        caplog.at_level(logging.INFO, LOGGER_NAME),
        logged.client(headers=KEY) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(LIST, headers={"X-Fakeserver-Fault": '{"drop": true}'})
    [line] = lines(caplog)
    assert f'"GET {LIST} HTTP/1.1" dropped ' in line


def test_control_api_calls_are_not_logged(logged: FakeServer, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, LOGGER_NAME), logged.client() as client:
        assert client.get("/_fakeserver/").status_code == 200
        assert client.get("/_health").status_code == 200
    assert lines(caplog) == []


@pytest.mark.anyio
async def test_a_stream_is_logged_once_when_it_ends(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, LOGGER_NAME)
    server, pacer = gated(make_server, access_log=True)
    live = await stream(server.app, message_body(new_id(), "hello"))
    await live.read_frames(1)
    assert lines(caplog) == []  # open: nothing yet
    pacer.open()
    await live.finish()
    [line] = lines(caplog)
    [entry] = server.journal.entries()
    assert '"POST /api/projects/1/conversations/ HTTP/1.1" 200 ' in line
    assert line.endswith(f" {entry.duration_ms:.1f} ms conversations_create")  # the whole stream


def test_off_by_default(make_server: ServerFactory, caplog: pytest.LogCaptureFixture):
    with (
        caplog.at_level(logging.DEBUG, LOGGER_NAME),
        make_server() as server,
        server.client(headers=KEY) as client,
    ):
        client.get(LIST)
        client.get("/api/nowhere/")
    assert lines(caplog) == []


@pytest.mark.fakeserver(access_log=True)
def test_the_plugin_marker_turns_it_on(fakeserver: FakeServer, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, LOGGER_NAME), fakeserver.client(headers=KEY) as client:
        client.get(LIST)
    assert [line.rsplit(" ", 1)[-1] for line in lines(caplog)] == ["conversations_list"]


def test_the_plugin_fixture_has_it_off(fakeserver: FakeServer, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, LOGGER_NAME), fakeserver.client(headers=KEY) as client:
        client.get(LIST)
    assert lines(caplog) == []


def test_the_plugin_ini_option_turns_it_on(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nfakeserver_access_log = true\n")
    pytester.makepyfile(
        """
        def test_fails_to_show_the_log(fakeserver):
            with fakeserver.client(headers={"Authorization": "Bearer phx_ada_all"}) as client:
                client.get("/api/projects/1/conversations/")
            assert False
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Captured log call*", "INFO *fakeserver.access*conversations_list"]
    )


def serve_and_call(*args: str) -> str:
    """Start `fakeserver serve --port 0 ARGS`, send a matched request and a near miss, stop it;
    what it wrote on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        base_url = ""
        for line in process.stdout:  # the banner comes once the socket is bound
            if line.startswith("  base URL"):
                base_url = line.split()[-1]
            if line.startswith("    curl "):
                break
        assert base_url
        with httpx.Client(base_url=base_url, headers=KEY, timeout=10) as client:
            assert client.get(LIST).status_code == 200
            assert client.get("/api/projects/1/conversation/").status_code == 404
    finally:
        process.terminate()  # uvicorn lets the requests finish: their lines are written
        _out, err = process.communicate(timeout=10)
    return err


def test_serve_logs_each_request_on_stderr():
    err = serve_and_call()
    logged = [line for line in err.splitlines() if " - " in line]
    assert len(logged) == 2, err
    assert re.match(r'INFO: +127\.0\.0\.1:\d+ - "GET /api/projects/1/conversations/ ', logged[0])
    assert logged[0].endswith("conversations_list")
    assert " 404 " in logged[1]
    assert logged[1].endswith("did you mean conversations_list?")
    assert "Uvicorn running" not in err  # the banner says where it runs


@pytest.mark.parametrize(
    "args", [("--no-access-log",), ("--log-level", "warning")], ids=["no-access-log", "warning"]
)
def test_serve_without_the_log(args: tuple[str, ...]):
    assert serve_and_call(*args) == ""
