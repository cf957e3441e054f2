"""What `FakeServer`'s clients carry: the API key or a fixture user's browser sign-in (PostHog's
session cookie, CSRF cookie and header), merged with the caller's own headers and cookies."""

from __future__ import annotations

from typing import Any, Final

from fakeserver.api.auth import CSRF_COOKIES, SESSION_COOKIE
from fakeserver.domain.store import Seed

IN_PROCESS_URL: Final = "http://fakeserver"
CSRF_TOKEN: Final = "fakeserverCsrfSecret0123456789ab"
"""The CSRF secret of `session_credentials`: 32 letters, as Django's unmasked secret."""


def session_credentials(seed: Seed, user: int | str) -> tuple[dict[str, str], dict[str, str]]:
    """(cookies, headers) of a browser signed in as `user` (an id or an email)."""
    found = seed.users.get(user) if isinstance(user, int) else None
    found = found or next((u for u in seed.users.values() if u.email == user), None)
    if found is None:
        raise ValueError(f"no user {user!r} in the fixture")
    if not found.session:
        raise ValueError(f"user {found.email} has no session in the fixture (key `session`)")
    cookies = {SESSION_COOKIE: found.session, CSRF_COOKIES[0]: CSRF_TOKEN}
    return cookies, {"X-CSRFToken": CSRF_TOKEN}


def client_options(
    seed: Seed,
    api_key: str | None,
    headers: dict[str, str] | None,
    as_user: int | str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """A client's keyword arguments: `options` with the credentials' headers and cookies."""
    merged = ({"Authorization": f"Bearer {api_key}"} if api_key else {}) | (headers or {})
    if as_user is not None:
        cookies, session_headers = session_credentials(seed, as_user)
        merged = session_headers | merged
        options["cookies"] = cookies | dict(options.get("cookies") or {})
    options["headers"] = merged
    return options
