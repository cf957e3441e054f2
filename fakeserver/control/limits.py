"""The control API's limits and clock endpoints (mounted with the rest under `/_fakeserver/`).

- `GET /limits`: the namespace's limits (`limit_report.limits_report`).
- `PUT /limits` `{"mode": "posthog"}`: a namespace's mode (through its prefix or
  `?namespace=`), else the server's; `null` hands the choice back to the fixture.
- `PUT /limits/quota` `{"organization": "acme", "exceeded": true}` (or `"project": 1` for the
  project's organization): put an organization over its AI-credit quota, or back under it.
- `GET /clock`; `POST /clock` `{"advance": 60}` and/or `{"freeze": true}`: move the
  namespace's clock forward, hold it still, or let it run again.

Calls without a namespace act on the default one, except `PUT /limits`.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from fakeserver.api.json import json_response
from fakeserver.control.access import ControlError
from fakeserver.control.api import (
    ControlledServer,
    json_body,
    namespace_of_call,
    route,
)
from fakeserver.control.limit_report import clock_report, limits_report
from fakeserver.domain.limits import LIMIT_MODES
from fakeserver.domain.workspace import Workspace
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE


def _workspace(request: Request, state: ControlledServer) -> tuple[str, Workspace]:
    name = namespace_of_call(request) or DEFAULT_NAMESPACE
    return name, state.namespace(name)


def _object(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_input", "Send a JSON object.")
    unknown = sorted(set(body) - allowed - {"namespace"})
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise ControlError(
            400, "invalid_input", f"Unknown key {unknown[0]!r} (expected: {expected})."
        )
    return body


async def read_limits(request: Request, state: ControlledServer) -> Response:
    name, workspace = _workspace(request, state)
    return json_response({"namespace": name, **limits_report(workspace, state.limit_mode(name))})


async def set_limits(request: Request, state: ControlledServer) -> Response:
    body = _object(await json_body(request), {"mode"})
    if "mode" not in body:
        raise ControlError(400, "invalid_input", 'Send {"mode": "posthog"} (or "off", null).')
    mode = body["mode"]
    if mode is not None and mode not in LIMIT_MODES:
        choices = ", ".join(LIMIT_MODES)
        raise ControlError(400, "invalid_limits", f"mode must be one of {choices}, or null.")
    namespace = namespace_of_call(request, body)
    state.set_limits(mode, namespace)
    name = namespace or DEFAULT_NAMESPACE
    return json_response({"namespace": namespace, "mode": state.limit_mode(name)})


async def set_quota(request: Request, state: ControlledServer) -> Response:
    body = _object(await json_body(request), {"organization", "project", "exceeded"})
    exceeded = body.get("exceeded")
    if not isinstance(exceeded, bool):
        raise ControlError(400, "invalid_input", "exceeded must be true or false.")
    name, workspace = _workspace(request, state)
    seed = workspace.seed
    if ("organization" in body) == ("project" in body):
        raise ControlError(400, "invalid_input", "Name either an organization or a project.")
    if "project" in body:
        project = seed.projects.get(body["project"]) if isinstance(body["project"], int) else None
        if project is None or isinstance(body["project"], bool):
            raise ControlError(404, "not_found", f"No project with id {body['project']!r}.")
        organization_id = project.organization_id
    else:
        organization_id = body["organization"]
        if not isinstance(organization_id, str) or organization_id not in seed.organizations:
            raise ControlError(404, "not_found", f"No organization with id {organization_id!r}.")
    workspace.limiter.set_quota_exceeded(organization_id, exceeded)
    return json_response(
        {"namespace": name, "organization": organization_id, "ai_credit_quota_exceeded": exceeded}
    )


async def read_clock(request: Request, state: ControlledServer) -> Response:
    name, workspace = _workspace(request, state)
    return json_response({"namespace": name, **clock_report(workspace)})


async def move_clock(request: Request, state: ControlledServer) -> Response:
    body = _object(await json_body(request), {"advance", "freeze"})
    advance, freeze = body.get("advance", 0), body.get("freeze")
    if not ("advance" in body or "freeze" in body):
        raise ControlError(400, "invalid_input", 'Send {"advance": seconds} or {"freeze": true}.')
    if isinstance(advance, bool) or not isinstance(advance, int | float):
        raise ControlError(400, "invalid_input", "advance must be a number of seconds.")
    if not (math.isfinite(advance) and advance >= 0):
        raise ControlError(
            400, "invalid_input", "advance must be >= 0: the clock only moves forward."
        )
    if freeze is not None and not isinstance(freeze, bool):
        raise ControlError(400, "invalid_input", "freeze must be true or false.")
    name, workspace = _workspace(request, state)
    clock = workspace.clock
    if freeze is True:
        clock.freeze()
    elif freeze is False:
        clock.unfreeze()
    clock.advance(advance)
    return json_response({"namespace": name, **clock_report(workspace)})


def limit_routes() -> list[BaseRoute]:
    return [
        route("/limits", get=read_limits, put=set_limits),
        route("/limits/quota", put=set_quota),
        route("/clock", get=read_clock, post=move_clock),
    ]
