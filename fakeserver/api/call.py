"""What every conversations endpoint does first: pick the profile, authenticate, authorize.

The result, a `Call`, carries everything an endpoint needs; endpoints hold no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request
from starlette.types import Scope

from fakeserver.api import auth
from fakeserver.api.body import RequestBody
from fakeserver.api.limits import apply_limits
from fakeserver.api.profiles import Profile, profile_for
from fakeserver.domain.models import Project, User
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace


class ApiHost(Protocol):
    """What the conversations endpoints need of the server that hosts them (the assembly's
    `ServerState` is one). The API receives it through the app; it never imports the assembly."""

    profile: Profile
    """The server's default profile (a request may choose another)."""
    authorizer: auth.Authorizer
    keepalive: float
    """Seconds of silence after which a stream writes `: keepalive`."""

    def seed_for(self, scope: Scope) -> Seed:
        """The seed of the request's namespace, without creating the namespace."""
        ...

    def workspace_for(self, scope: Scope) -> Workspace:
        """The request's namespace's workspace (created on first use)."""
        ...


def api_host(request: Request) -> ApiHost:
    # The app keeps its host as `app.server_state`: read without Starlette's `State.__getattr__`.
    host: ApiHost = request.scope["app"].server_state
    return host


@dataclass(slots=True)  # not frozen: made per request, and a frozen __init__ is 4x slower
class Call:
    request: Request
    profile: Profile
    workspace: Workspace
    caller: auth.Caller
    project: Project
    body: RequestBody
    path_params: dict[str, str]
    """The route's path parameters (all kept as matched: strings)."""

    @property
    def user(self) -> User:
        return self.caller.user

    @property
    def conversation_id(self) -> str:
        return self.path_params["conversation"]

    @property
    def target(self) -> tuple[str, int, int]:
        """(conversation id from the path, project id, user id): what the workspace's
        user-scoped operations take."""
        return (self.path_params["conversation"], self.project.id, self.caller.user.id)

    @property
    def queue_id(self) -> str:
        return self.path_params["queue_id"]

    @property
    def session_id(self) -> str | None:
        """PostHog stores the `X-POSTHOG-SESSION-ID` header, not the body's `session_id`."""
        return self.request.headers.get("x-posthog-session-id")


def _prepared(request: Request) -> tuple[ApiHost, Profile, RequestBody]:
    """The request's host, its profile and its body (refused if declared too big)."""
    state = api_host(request)
    profile = profile_for(request, state.profile)
    body = RequestBody(request)
    body.check_declared_size()
    return state, profile, body


async def authenticate(request: Request) -> auth.Caller:
    """The request's caller, checked against its namespace's seed (and nothing else: what a
    request answered with 405 gets). A namespace is only created once a request to it is
    authorized, so a refused request leaves no namespace behind."""
    state, profile, body = _prepared(request)
    return await auth.authenticate(request, body, profile, state.seed_for(request.scope))


async def begin(request: Request, action: str) -> Call:
    """Authenticate and authorize a request for `action` (PostHog's viewset action name)."""
    state, profile, body = _prepared(request)
    scope = request.scope
    path_params: dict[str, str] = scope["path_params"]
    caller, project = await state.authorizer.authorize(
        request, body, profile, state.seed_for(scope), action, path_params["project_id"]
    )
    workspace = state.workspace_for(scope)
    limiter = workspace.limits
    if limiter is not None:  # all that limits cost while they are off
        await apply_limits(limiter, action, caller, project, body, workspace)
    return Call(request, profile, workspace, caller, project, body, path_params)
