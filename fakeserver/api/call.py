"""What every conversations endpoint does first: pick the profile, authenticate, authorize.

The result, a `Call`, carries everything an endpoint needs; endpoints hold no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from fakeserver.api import auth
from fakeserver.api.body import RequestBody
from fakeserver.api.profiles import Profile, profile_for
from fakeserver.domain.models import Project, User
from fakeserver.domain.workspace import Workspace

if TYPE_CHECKING:
    from fakeserver.app import ServerState


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.fakeserver
    return state


@dataclass(frozen=True, slots=True)
class Call:
    request: Request
    profile: Profile
    workspace: Workspace
    caller: auth.Caller
    project: Project
    body: RequestBody

    @property
    def user(self) -> User:
        return self.caller.user

    @property
    def conversation_id(self) -> str:
        return str(self.request.path_params["conversation"])

    @property
    def queue_id(self) -> str:
        return str(self.request.path_params["queue_id"])

    @property
    def session_id(self) -> str | None:
        """PostHog stores the `X-POSTHOG-SESSION-ID` header, not the body's `session_id`."""
        return self.request.headers.get("x-posthog-session-id")


async def begin(request: Request, action: str) -> Call:
    """Authenticate and authorize a request for `action` (PostHog's viewset action name)."""
    state = server_state(request)
    profile = profile_for(request, state.profile)
    workspace = state.workspace_for(request.scope)
    body = RequestBody(request)
    body.check_declared_size()
    caller = await auth.authenticate(request, body, profile, workspace.seed)
    auth.check_action(caller, action, profile)
    project = auth.resolve_project(
        str(request.path_params["project_id"]), caller, action, workspace.seed
    )
    return Call(request, profile, workspace, caller, project, body)
