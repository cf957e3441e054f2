"""pytest plugin (registered through the `pytest11` entry point): fakeserver fixtures.

- `fakeserver`: an in-process `FakeServer`, back at its fixture state for every test.
- `fakeserver_client`: a sync httpx client on it (`fakeserver.async_client()` for async tests).
- `fakeserver_requests`: a `requests.Session` on it, in-process (needs `requests`).
- `fakeserver_live`: a live `FakeServer` (uvicorn thread, `.url`), also reset for every test.

Session auth (the `actual` profile's browser sign-in): `fakeserver.client(as_user="ada@...")`.

Servers are built once per settings per process and restored between tests, never restarted;
under pytest-xdist every worker process has its own. The settings are FakeServer's
(`app.config.ServerConfig`), by the same names: per test, class or module with
`@pytest.mark.fakeserver(fixtures=[...], profile="actual", limits="posthog")` (`pytestmark`; the
closer marker wins setting by setting; fixture paths are relative to the test file), or for the
whole suite with the ini option `fakeserver_<name>` (e.g. `fakeserver_profile = actual`), whose
text is read as the setting's FAKESERVER_* variable is.

The request log (one line per request, logger `fakeserver.access`) is off; turn it on with
`access_log=True` in the marker or the ini option `fakeserver_access_log = true`, and pytest
shows the lines with a failing test's captured log (or live with `--log-cli-level=INFO`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    import httpx
    import requests

    from fakeserver.server import FakeServer

MARKER = "fakeserver"
MARKER_HELP = (
    "fakeserver(**settings): settings of the fakeserver fixtures for this test, class or "
    "module, by FakeServer's names (fixtures: paths relative to the test file)"
)

ServerKey = tuple[tuple[str, Any], ...]
"""A server's settings, hashable: (name, value) pairs in name order."""
_SUITE_SETTINGS = pytest.StashKey[dict[str, Any]]()


class FakeServerPool:
    """The servers of one test session, one per settings, kept and restored between tests."""

    def __init__(self) -> None:
        self._servers: dict[tuple[ServerKey, bool], FakeServer] = {}

    def get(self, settings: dict[str, Any], live: bool) -> FakeServer:
        from fakeserver.server import FakeServer

        key = (_hashable(settings), live)
        server = self._servers.get(key)
        if server is None:
            server = FakeServer(**settings)
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


def _hashable(settings: dict[str, Any]) -> ServerKey:
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(settings.items())
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    from fakeserver.app.config import text_settings

    for spec in text_settings():
        kind: Literal["paths", "string"] = "paths" if spec.name == "fixtures" else "string"
        parser.addini(spec.ini, f"{spec.help} (the fakeserver fixtures)", type=kind)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[_SUITE_SETTINGS] = _ini_settings(config)


def _ini_settings(config: pytest.Config) -> dict[str, Any]:
    """The settings the ini file gives, each read by its setting's parser."""
    from fakeserver.app.config import text_settings
    from fakeserver.app.settings import SettingError

    found: dict[str, Any] = {}
    for spec in text_settings():
        value = config.getini(spec.ini)
        if spec.name == "fixtures":
            if value:
                found[spec.name] = [Path(path) for path in value]
            continue
        if not str(value).strip():
            continue
        try:
            found[spec.name] = spec.from_text(str(value))
        except SettingError as error:
            raise pytest.UsageError(f"ini option {spec.ini}: {error}") from None
    return found


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The suite's settings (ini), with those of the markers over them."""
    from fakeserver.app.config import renamed, server_settings

    marked: dict[str, Any] = {}
    for marker in request.node.iter_markers(MARKER):  # closest first: the test's beats its module's
        marked = {**renamed(dict(marker.kwargs)), **marked}
    unknown = set(marked) - {spec.name for spec in server_settings()}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.fakeserver: unknown argument(s) {sorted(unknown)}")
    suite: dict[str, Any] = request.config.stash[_SUITE_SETTINGS]
    settings = dict(suite)
    for name, value in marked.items():
        if value is None:
            continue
        if name == "fixtures":
            paths = [value] if isinstance(value, str | Path) else list(value)
            base = Path(request.node.path).parent
            value = [(base / path).resolve() for path in paths]
        settings[name] = value
    return settings


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
