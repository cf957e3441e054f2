"""Authentication and permissions, in PostHog's order.

1. Authenticate: a personal API key (Authorization header, else the body's `personal_api_key`,
   else the query parameter; only the first candidate found is tried), then the session cookie
   (where the profile accepts it), with Django's CSRF check on unsafe methods.
2. `IsAuthenticated`: 401.
3. `APIScopePermission` (keys only): actions without a scope refuse keys, project-restricted keys
   are held to their projects, then the action's scope is required.
4. `TeamMemberAccessPermission`: the project must exist (404) and the user be a member (403).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request

from fakeserver.api import errors
from fakeserver.api.body import RequestBody
from fakeserver.api.profiles import Profile
from fakeserver.domain.models import READ_SCOPE, WRITE_SCOPE, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed

ACTION_SCOPES: Final[dict[str, str]] = {
    "list": READ_SCOPE,
    "retrieve": READ_SCOPE,
    "create": WRITE_SCOPE,
    "destroy": WRITE_SCOPE,
}
"""Scopes PostHog derives for `scope_object = "conversation"`; other actions have none."""

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_COOKIES: Final = ("posthog_csrftoken", "csrftoken")
"""PostHog sets CSRF_COOKIE_NAME = "posthog_csrftoken"; Django's default name is accepted too."""
SESSION_COOKIE: Final = "sessionid"
_BEARER: Final = re.compile(r"^Bearer\s+(\S.+)$")
_CSRF_CHARS: Final = string.ascii_letters + string.digits
_CSRF_SECRET_LENGTH: Final = 32


@dataclass(frozen=True, slots=True)
class Caller:
    user: User
    key: PersonalApiKey | None
    """None when the request authenticated with a session."""
    key_source: str | None = None
    """Where the key was found: `Authorization header`, `body` or `query string`."""


def _not_authenticated(request: Request) -> errors.ApiError:
    site = f"{request.url.scheme}://{request.url.netloc}"
    return errors.envelope(
        401,
        "authentication_error",
        "not_authenticated",
        "Authentication credentials were not provided.",
        WWW_Authenticate=f'Bearer resource_metadata="{site}/.well-known/oauth-protected-resource"',
    )


def _authentication_failed(request: Request, detail: str) -> errors.ApiError:
    error = _not_authenticated(request)
    error.body.update(code="authentication_failed", detail=detail)
    return error


def _bearer_token(authorization: str) -> str | None:
    match = _BEARER.match(authorization)
    return match.group(1).strip() if match else None


async def _find_personal_api_key(request: Request, body: RequestBody) -> tuple[str, str] | None:
    """(key, where it was found), trying only the first place that has one."""
    key = _bearer_token(request.headers.get("authorization", ""))
    if key is not None:
        return key, "Authorization header"
    key = await body.personal_api_key()
    if key:
        return key, "body"
    has_query = bool(request.scope.get("query_string"))
    key = request.query_params.get("personal_api_key") if has_query else None
    if key:
        return key, "query string"
    return None


async def authenticate(request: Request, body: RequestBody, profile: Profile, seed: Seed) -> Caller:
    return _identify(request, await _find_personal_api_key(request, body), profile, seed)


def _identify(
    request: Request, key_found: tuple[str, str] | None, profile: Profile, seed: Seed
) -> Caller:
    if key_found is not None:
        value, source = key_found
        if value.startswith("pha_"):
            # An OAuth access token: the fake issues none, so every one is unknown.
            raise _authentication_failed(request, "Invalid access token.")
        key = seed.api_keys.get(value)
        if key is None:
            raise _authentication_failed(
                request, f"Personal API key found in request {source} is invalid."
            )
        return Caller(seed.users[key.user_id], key, source)
    session = request.cookies.get(SESSION_COOKIE)
    user_id = seed.sessions.get(session) if session and profile.accepts_session_auth else None
    if user_id is None:
        raise _not_authenticated(request)
    if request.method not in SAFE_METHODS:
        _enforce_csrf(request)
    return Caller(seed.users[user_id], None)


_DECISIONS_KEPT: Final = 1024

_Decision = tuple[Seed, Caller, Project]


class Authorizer:
    """Authentication and both permission checks, each outcome remembered.

    An outcome depends on nothing but the seed (never mutated), the profile, the action, the
    path's project id and what the request presents: the key found, or the Cookie headers with
    the X-CSRFToken header and whether the method is safe. A suite sends the same credentials
    over and over. Refusals are not remembered: each raises a new error.
    """

    def __init__(self) -> None:
        self._decisions: dict[tuple[object, ...], _Decision] = {}

    async def authorize(
        self,
        request: Request,
        body: RequestBody,
        profile: Profile,
        seed: Seed,
        action: str,
        raw_project_id: str,
    ) -> tuple[Caller, Project]:
        key_found = await _find_personal_api_key(request, body)
        presented: tuple[object, ...]
        if key_found is not None:
            presented = key_found
        else:
            headers = request.headers
            unsafe = request.method not in SAFE_METHODS
            csrf_header = headers.get("x-csrftoken") if unsafe else None
            presented = (tuple(headers.getlist("cookie")), unsafe, csrf_header)
        key = (id(seed), profile.name, action, raw_project_id, presented)
        found = self._decisions.get(key)
        if found is not None and found[0] is seed:  # an id is only unique while its seed lives
            return found[1], found[2]
        caller = _identify(request, key_found, profile, seed)
        check_action(caller, action, profile)
        project = resolve_project(raw_project_id, caller, action, seed)
        if len(self._decisions) >= _DECISIONS_KEPT:
            self._decisions.clear()
        self._decisions[key] = (seed, caller, project)
        return caller, project


def _token_problem(token: str, source: str) -> str | None:
    """Django's token checks: 32 characters (a secret) or 64 (a masked secret), alphanumeric."""
    if len(token) not in (_CSRF_SECRET_LENGTH, 2 * _CSRF_SECRET_LENGTH):
        return f"CSRF Failed: CSRF {source} has incorrect length."
    if not (token.isascii() and token.isalnum()):  # [a-zA-Z0-9] only
        return f"CSRF Failed: CSRF {source} has invalid characters."
    return None


def _unmasked(token: str) -> str:
    """The secret a well-formed token carries."""
    if len(token) == _CSRF_SECRET_LENGTH:
        return token
    mask, cipher = token[:_CSRF_SECRET_LENGTH], token[_CSRF_SECRET_LENGTH:]
    return "".join(
        _CSRF_CHARS[(_CSRF_CHARS.index(c) - _CSRF_CHARS.index(m)) % len(_CSRF_CHARS)]
        for c, m in zip(cipher, mask, strict=True)
    )


_HEADER_SOURCE: Final = "token from the 'X-Csrftoken' HTTP header"


def _csrf_refusal(cookie: str | None, header: str) -> str | None:
    """Why Django's CsrfViewMiddleware (as DRF's SessionAuthentication runs it) refuses this
    CSRF cookie and X-CSRFToken header, or None when it accepts them."""
    if not cookie:
        return "CSRF Failed: CSRF cookie not set."
    problem = _token_problem(cookie, "cookie")
    if problem is not None:
        return problem
    if not header:
        return "CSRF Failed: CSRF token missing."
    problem = _token_problem(header, _HEADER_SOURCE)
    if problem is not None:
        return problem
    if _unmasked(header) != _unmasked(cookie):
        return f"CSRF Failed: CSRF {_HEADER_SOURCE} incorrect."
    return None


def _enforce_csrf(request: Request) -> None:
    """Django's CSRF check on an unsafe method: the first CSRF cookie present, and the header."""
    cookies = request.cookies
    cookie = None
    for name in CSRF_COOKIES:
        if name in cookies:
            cookie = cookies[name]
            break
    refusal = _csrf_refusal(cookie, request.headers.get("x-csrftoken", ""))
    if refusal is not None:
        raise errors.permission_denied(refusal)


def check_action(caller: Caller, action: str, profile: Profile) -> None:
    """`APIScopePermission`'s checks that do not depend on the project."""
    if caller.key is None:
        return  # session auth skips the scope check
    scope = ACTION_SCOPES.get(action)
    if scope is None and not profile.keys_allowed_on_unscoped_actions:
        raise errors.permission_denied("This action does not support personal API key access")


def resolve_project(raw_id: str, caller: Caller, action: str, seed: Seed) -> Project:
    """The path's project, after the key's project restriction, scope, and membership checks."""
    project_id = caller.user.current_project_id if raw_id == "@current" else _as_int(raw_id)
    project = seed.projects.get(project_id) if project_id is not None else None
    key = caller.key
    if key is not None:
        if project is None:
            raise errors.not_found("Project not found.")
        if key.project_ids is not None and project.id not in key.project_ids:
            raise errors.permission_denied(
                f"API key does not have access to the requested project: ID {project.id}."
            )
        scope = ACTION_SCOPES.get(action)
        if scope is not None and not key.grants(scope):
            raise errors.permission_denied(f"API key missing required scope '{scope}'")
    if project is None:
        raise errors.not_found("Project not found.")
    if not caller.user.is_member_of(project.id):
        raise errors.permission_denied("You don't have access to the project.")
    return project


def _as_int(raw: str) -> int | None:
    # Longer than any real id (and past Python's int-parsing digit limit): no such project.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None
