"""Signing in to a PostHog with a web session, as its own frontend does.

PostHog's web app authenticates with Django's session cookie `sessionid`. Unsafe methods also
need Django's CSRF check: the `posthog_csrftoken` cookie and the same value in the `X-CSRFToken`
header (what the frontend sends), plus the `Origin` and `Referer` a browser sends, which Django
compares with the host. A browser gets the CSRF cookie when it loads the app: `sign_in` loads the
app's page with the session cookie and takes the cookie it sets, unless a token is given.

A session reaches what personal API keys may not: the queue, cancel, append_message and open
actions. Its values never appear in a message.

    session = sign_in(client, project_id, cookie)      # TargetError (one line) if refused
    client.request("POST", path, body=..., credentials=session)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from fakeserver.conformance.access import detail
from fakeserver.conformance.client import Answer, ApiClient, TargetError

SESSION_COOKIE: Final = "sessionid"
CSRF_COOKIES: Final = ("posthog_csrftoken", "csrftoken")
"""PostHog's CSRF cookie name, then Django's default (a self-hosted PostHog may keep it)."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
APP_PAGE: Final = ""
"""The app's page, relative to the target: what a browser loads first."""
MAX_REDIRECTS: Final = 3
DOCS: Final = "docs/verify.md"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser's credentials: the session cookie, and the CSRF token that unsafe
    methods send both as the cookie and as the `X-CSRFToken` header."""

    cookie: str
    csrf_token: str | None
    origin: str
    """The target's scheme and host: the `Origin` (and `Referer`) of unsafe requests."""

    def headers(self, method: str) -> dict[str, str]:
        cookies = {SESSION_COOKIE: self.cookie}
        headers: dict[str, str] = {}
        if method.upper() not in SAFE_METHODS and self.csrf_token:
            cookies[CSRF_COOKIES[0]] = self.csrf_token
            headers |= {
                "X-CSRFToken": self.csrf_token,
                "Origin": self.origin,
                "Referer": self.origin + "/",
            }
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return headers

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.cookie, self.csrf_token) if self.csrf_token else (self.cookie,)


def session_cookie_value(given: str) -> str:
    """The cookie's value, also when pasted as `sessionid=...` (a browser's cookie list shows
    name and value)."""
    value = given.strip()
    prefix = SESSION_COOKIE + "="
    return value[len(prefix) :].strip() if value.startswith(prefix) else value


def sign_in(
    client: ApiClient,
    project_id: int,
    cookie: str,
    *,
    csrf_token: str | None = None,
    need_csrf: bool = True,
) -> WebSession:
    """A checked session: the list answers it, and (unless `need_csrf` is False: reads only)
    it has a CSRF token, given or set by the app's page as a browser gets it. Raises a one-line
    `TargetError` saying what to do."""
    session = WebSession(session_cookie_value(cookie), None, client.origin)
    answer = client.request(
        "GET",
        f"api/projects/{project_id}/conversations/",
        params={"limit": "1"},
        credentials=session,
    )
    _check_session_answer(answer, client.origin, project_id)
    token = csrf_token.strip() if csrf_token and csrf_token.strip() else None
    if not need_csrf:
        return WebSession(session.cookie, token, client.origin)
    token = token or _csrf_from_app_page(client, session)
    if token is None:
        raise TargetError(
            f"{client.origin} set no CSRF cookie ({CSRF_COOKIES[0]}) when its app page was "
            "loaded with the session; give --csrf-token (that cookie's value in your browser, "
            f"see {DOCS})"
        )
    return WebSession(session.cookie, token, client.origin)


def _check_session_answer(answer: Answer, origin: str, project_id: int) -> None:
    said = detail(answer)
    if answer.status in (401, 403) and "project" not in said.lower():
        raise TargetError(
            f"{origin} refused the session cookie ({answer.status}: {said or 'not signed in'}); "
            f"copy a fresh sessionid cookie from a browser signed in to {origin} (see {DOCS})"
        )
    if answer.status == 403 or answer.status == 404:
        raise TargetError(
            f"the session's user cannot read project {project_id} on {origin} "
            f"({answer.status}: {said}); sign in as the personal API key's owner"
        )
    if answer.status != 200 or not isinstance(answer.json if answer.is_json else None, dict):
        raise TargetError(
            f"{origin} answered {answer.status} to the session's first request (GET "
            f"/api/projects/{project_id}/conversations/); check the target and try later"
        )


def _csrf_from_app_page(client: ApiClient, session: WebSession) -> str | None:
    """The CSRF cookie the app's page sets, following its redirects on the same origin (each
    request with the session cookie, as a browser sends it)."""
    path = APP_PAGE
    for _ in range(MAX_REDIRECTS + 1):
        page = client.request("GET", path, credentials=session, headers={"Accept": "text/html"})
        for name in CSRF_COOKIES:
            if page.cookies.get(name):
                return page.cookies[name]
        location = page.headers.get("location")
        if not (300 <= page.status < 400 and location):
            return None
        next_path = _same_origin_path(location, client)
        if next_path is None:
            return None
        path = next_path
    return None


def _same_origin_path(location: str, client: ApiClient) -> str | None:
    """A redirect's path relative to the target, or None when it leaves the target."""
    parts = urlsplit(location)
    if parts.netloc and f"{parts.scheme}://{parts.netloc}" != client.origin:
        return None
    base_path = urlsplit(client.base_url).path.rstrip("/")
    path = parts.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :]
    return path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
