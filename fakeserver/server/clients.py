"""`FakeServer`'s clients: httpx (sync and async) and `requests`, in-process or to the live
server, with an API key or signed in as a fixture user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import httpx

from fakeserver.api.auth import CSRF_COOKIES, SESSION_COOKIE
from fakeserver.app import ServerState
from fakeserver.app.in_process import DroppingASGITransport, EventLoopThread, ThreadTransport

if TYPE_CHECKING:
    import requests
    from starlette.applications import Starlette

IN_PROCESS_URL: Final = "http://fakeserver"
CSRF_TOKEN: Final = "fakeserverCsrfSecret0123456789ab"
"""The CSRF secret of `session_credentials`: 32 letters, as Django's unmasked secret."""


class ClientFactory:
    """Mixed into `FakeServer`, which provides the app, its state, its in-process event loop
    and its URLs."""

    app: Starlette
    state: ServerState
    _loop: EventLoopThread | None

    @property
    def is_live(self) -> bool:
        raise NotImplementedError

    def base_url(self, namespace: str | None = None) -> str:
        raise NotImplementedError

    def _headers(self, api_key: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return merged | (headers or {})

    def session_credentials(self, user: int | str) -> tuple[dict[str, str], dict[str, str]]:
        """(cookies, headers) of a browser signed in as `user` (an id or an email): PostHog's
        session cookie, its CSRF cookie and the matching `X-CSRFToken` header. The `actual`
        profile accepts them on every operation, the queue actions included (where it refuses
        personal API keys); `documented` knows no sessions."""
        seed = self.state.seed
        found = seed.users.get(user) if isinstance(user, int) else None
        found = found or next((u for u in seed.users.values() if u.email == user), None)
        if found is None:
            raise ValueError(f"no user {user!r} in the fixture")
        if not found.session:
            raise ValueError(f"user {found.email} has no session in the fixture (key `session`)")
        cookies = {SESSION_COOKIE: found.session, CSRF_COOKIES[0]: CSRF_TOKEN}
        return cookies, {"X-CSRFToken": CSRF_TOKEN}

    def _client_options(
        self,
        api_key: str | None,
        headers: dict[str, str] | None,
        as_user: int | str | None,
        options: dict[str, Any],
    ) -> dict[str, Any]:
        merged = self._headers(api_key, headers)
        if as_user is not None:
            cookies, session_headers = self.session_credentials(as_user)
            merged = session_headers | merged
            options["cookies"] = cookies | dict(options.get("cookies") or {})
        options["headers"] = merged
        return options

    def _sync_transport(self) -> ThreadTransport:
        if self._loop is None:
            self._loop = EventLoopThread()
        return ThreadTransport(DroppingASGITransport(self.app), self._loop)

    def client(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
        **kwargs: Any,
    ) -> httpx.Client:
        """A sync httpx client: to the live server if started, else in-process (no socket).
        `as_user` signs it in as that user (`session_credentials`) instead of an API key."""
        if not self.is_live:
            kwargs.setdefault("transport", self._sync_transport())
        options = self._client_options(api_key, headers, as_user, kwargs)
        return httpx.Client(base_url=self.base_url(namespace), **options)

    def async_client(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncClient:
        """An async httpx client: to the live server if started, else in-process."""
        if not self.is_live:
            kwargs.setdefault("transport", DroppingASGITransport(self.app))
        options = self._client_options(api_key, headers, as_user, kwargs)
        return httpx.AsyncClient(base_url=self.base_url(namespace), **options)

    def requests_session(
        self,
        namespace: str | None = None,
        *,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        as_user: int | str | None = None,
    ) -> requests.Session:
        """A `requests.Session` with the base URL put before relative URLs: to the live server
        if started, else in-process through a transport adapter (no socket). Needs `requests`
        (`pip install fakeserver[requests]`)."""
        from fakeserver.app.in_process_requests import BaseURLSession, InProcessAdapter

        session = BaseURLSession(self.base_url(namespace))
        if not self.is_live:
            session.mount(IN_PROCESS_URL + "/", InProcessAdapter(self._sync_transport()))
        options = self._client_options(api_key, headers, as_user, {})
        session.headers.update(options["headers"])
        session.cookies.update(options.get("cookies", {}))
        return session
