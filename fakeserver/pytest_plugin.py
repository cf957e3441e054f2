"""pytest plugin (registered through the `pytest11` entry point): fakeserver fixtures.

- `fakeserver`: an in-process `FakeServer`, back at its fixture state for every test.
- `fakeserver_client`: a sync httpx client on it (`fakeserver.async_client()` for async tests).
- `fakeserver_requests`: a `requests.Session` on it, in-process (needs `requests`).
- `fakeserver_live`: a live `FakeServer` (uvicorn thread, `.url`), also reset for every test.

Session auth (the `actual` profile's browser sign-in): `fakeserver.client(as_user="ada@...")`.

Servers are built once per (fixtures, profile, id seed, limits) per process and restored between
tests, never restarted; under pytest-xdist every worker process has its own. Choose fixtures,
profile and PostHog's limits with `@pytest.mark.fakeserver(fixtures=[...], profile="actual",
limits="posthog")` on a test, class or module (`pytestmark`; the closer marker wins argument by
argument), or for the whole suite with the ini options `fakeserver_fixtures`,
`fakeserver_profile` and `fakeserver_limits`.

The request log (one line per request, logger `fakeserver.access`) is off; turn it on with
`access_log=True` in the marker or the ini option `fakeserver_access_log = true`, and pytest
shows the lines with a failing test's captured log (or live with `--log-cli-level=INFO`); a
server with the log is a server of its own in the pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx
    import requests

    from fakeserver.server import FakeServer

MARKER = "fakeserver"
MARKER_HELP = (
    "fakeserver(fixtures=None, profile=None, id_seed=None, limits=None, access_log=None): fixture "
    "files (paths relative to the test file), profile, limits mode and request log of the "
    "fakeserver fixtures for this test, class or module"
)


@dataclass(frozen=True)
class ServerSettings:
    fixtures: tuple[Path, ...] | None
    profile: str | None
    id_seed: int | None
    limits: str | None = None
    access_log: bool = False


class FakeServerPool:
    """The servers of one test session, one per settings, kept and restored between tests."""

    def __init__(self) -> None:
        self._servers: dict[tuple[ServerSettings, bool], FakeServer] = {}

    def get(self, settings: ServerSettings, live: bool) -> FakeServer:
        from fakeserver.api.profiles import DEFAULT_PROFILE
        from fakeserver.server import FakeServer

        key = (settings, live)
        server = self._servers.get(key)
        if server is None:
            server = FakeServer(
                list(settings.fixtures) if settings.fixtures is not None else None,
                settings.profile or DEFAULT_PROFILE,
                id_seed=settings.id_seed,
                limits=settings.limits,
                access_log=settings.access_log,
            )
            if live:
                server.start()
            self._servers[key] = server
        else:
            server.restore()
        return server

    def close(self) -> None:
        for server in self._servers.values():
            server.close()
        self._servers.clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("fakeserver_fixtures", "fixture files for the fakeserver fixtures", type="paths")
    parser.addini("fakeserver_profile", "profile of the fakeserver fixtures (documented|actual)")
    parser.addini(
        "fakeserver_limits",
        "PostHog's limits in the fakeserver fixtures (off|posthog|posthog-debug)",
    )
    parser.addini(
        "fakeserver_access_log",
        "log each request of the fakeserver fixtures (logger fakeserver.access)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def _settings(request: pytest.FixtureRequest) -> ServerSettings:
    options: dict[str, Any] = {}
    for marker in request.node.iter_markers(MARKER):  # closest first: the test's beats its module's
        options = {**marker.kwargs, **options}
    unknown = set(options) - {"fixtures", "profile", "id_seed", "limits", "access_log"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.fakeserver: unknown argument(s) {sorted(unknown)}")
    fixtures: tuple[Path, ...] | None = None
    if options.get("fixtures") is not None:
        given = options["fixtures"]
        paths = [given] if isinstance(given, str | Path) else list(given)
        base = Path(request.node.path).parent
        fixtures = tuple((base / path).resolve() for path in paths)
    else:
        configured = request.config.getini("fakeserver_fixtures")
        fixtures = tuple(Path(path) for path in configured) or None
    profile = options.get("profile") or request.config.getini("fakeserver_profile") or None
    limits = options.get("limits") or request.config.getini("fakeserver_limits") or None
    access_log = options.get("access_log")
    if access_log is None:
        access_log = request.config.getini("fakeserver_access_log")
    return ServerSettings(fixtures, profile, options.get("id_seed"), limits, bool(access_log))


@pytest.fixture(scope="session")
def fakeserver_pool() -> Iterator[FakeServerPool]:
    pool = FakeServerPool()
    yield pool
    pool.close()


@pytest.fixture
def fakeserver(request: pytest.FixtureRequest, fakeserver_pool: FakeServerPool) -> FakeServer:
    """An in-process fake server at its fixture state (use `.client()` or `.app`)."""
    return fakeserver_pool.get(_settings(request), live=False)


@pytest.fixture
def fakeserver_client(fakeserver: FakeServer) -> Iterator[httpx.Client]:
    """A sync httpx client on the in-process fake server (base URL without /api)."""
    with fakeserver.client() as client:
        yield client


@pytest.fixture
def fakeserver_requests(fakeserver: FakeServer) -> Iterator[requests.Session]:
    """A `requests.Session` on the in-process fake server (relative URLs allowed)."""
    with fakeserver.requests_session() as session:
        yield session


@pytest.fixture
def fakeserver_live(request: pytest.FixtureRequest, fakeserver_pool: FakeServerPool) -> FakeServer:
    """A live fake server on 127.0.0.1 (`.url`), at its fixture state."""
    return fakeserver_pool.get(_settings(request), live=True)
