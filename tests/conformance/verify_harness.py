"""Shared by the `verify` tests: the target (a second fakeserver, live on loopback, in `actual`),
the stand-in in front of it, and running `verify` as the command line does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADA_KEY, ServerFactory
from posthog_standin import proxy, serving

from fakeserver import FakeServer
from fakeserver.conformance import commands
from fakeserver.conformance.runner import HeldRuns
from fakeserver.fixture_files import default_fixture_path

SECRET_KEY = "phx_s3cret_never_printed_4a7b"
SECRET_COOKIE = "s3cretsessioncookieneverprinted42"
SECRET_FIXTURE: dict[str, Any] = {
    "users": [
        {
            "id": 9,
            "email": "secret@example.com",
            "projects": [1],
            "session": SECRET_COOKIE,
            "personal_api_keys": [
                {"key": SECRET_KEY},
                {"key": "phx_dashboards_only", "scopes": ["dashboard:read"]},
            ],
        }
    ],
    "conversations": [
        {
            "id": "9a9a9a9a-1b1b-4c2c-8d3d-4e4e4e4e4e09",
            "project": 1,
            "user": 9,
            "title": "Funnel drop-off",
            "messages": [{"type": "human", "content": "Where do users drop off?"}],
        }
    ],
}
"""A user with every scope and a session, added to the target's default fixture: the tests grep
the outputs for their secrets."""
ADA_SESSION = "ses-ada"
READ_ONLY_STEPS = 36
SESSION_STEPS = 16
"""Of the read-only steps, those only a session may take: 8 actions under both prefixes."""
WRITING_STEPS = 23


@pytest.fixture
def target(make_server: ServerFactory) -> Iterator[FakeServer]:
    """PostHog as its server behaves: a live fake in `actual`, whose agent runs wait for a
    cancel (as verify's own fakes do), so that the queue steps find the run going."""
    held = HeldRuns()
    with make_server(
        [default_fixture_path(), SECRET_FIXTURE], profile="actual", live=True, pacer=held
    ) as server:
        yield server
        held.release()


@pytest.fixture
def standin(target: FakeServer) -> Iterator[str]:
    """The target behind the proxy that serves PostHog's app page (and its CSRF cookie)."""
    with serving(proxy(target.url, [])) as url:
        yield url


def verify(
    capsys: pytest.CaptureFixture[str],
    url: str,
    *extra: str,
    key: str = ADA_KEY,
    session: str | None = None,
    sleep: Any = None,
) -> tuple[int, str, str]:
    argv = ["verify", "--target", url, "--personal-api-key", key, "--project", "1", *extra]
    if session is not None:
        argv += ["--session-cookie", session]
    code = commands.run(argv, sleep=sleep or no_sleep)
    out, err = capsys.readouterr()
    return code, out, err


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"verify waited {seconds} s where no 429 came")


def report(out: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def verdicts(parsed: dict[str, Any]) -> dict[str, str]:
    return {step["step"]: step["verdict"] for step in parsed["steps"]}
