"""The control API under `/_fakeserver/`: reset, load fixtures, dump state, journal, faults.

JSON in and out, off the PostHog paths. Calls made through a namespace prefix
(`/_ns/{name}/_fakeserver/...`) act on that namespace unless `?namespace=` says otherwise.
Every call passes the gate of `control_access` first (host, origin, control token, JSON
bodies only), so a web page in the developer's browser cannot drive it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import fields
from datetime import datetime
from importlib.metadata import version
from pathlib import PurePath
from typing import Any, Final, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router

from fakeserver.api.json import json_response, loads
from fakeserver.api.profiles import Profile
from fakeserver.api.serializers import drf_datetime
from fakeserver.control.access import ControlAccess, ControlError, ControlGate
from fakeserver.control.limit_report import limits_report
from fakeserver.domain.models import Conversation, QueueMessage
from fakeserver.domain.posthog_version import posthog_mirror
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace
from fakeserver.fixture_files import FixtureError, FixtureSource, FixtureText
from fakeserver.fixture_files.schema import CONVERSATION_KEYS
from fakeserver.harness.fault_registry import FaultRegistry
from fakeserver.harness.fault_rules import FaultError
from fakeserver.harness.journal import Journal
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY, is_valid_name
from fakeserver.harness.operations import UnknownOperationId


class ControlledServer(Protocol):
    """What the control API reads and changes (the assembly's `ServerState` is one). The
    control API receives it through the app; it never imports the assembly."""

    profile: Profile
    seed: Seed
    workspaces: dict[str, Workspace]
    journal: Journal
    faults: FaultRegistry
    control_access: ControlAccess
    """Who may call (host, origin, token, body type): checked before any control route."""
    sources: list[FixtureSource]
    """The fixtures the seed was loaded from (shown by the dashboard)."""
    namespace_sources: dict[str, list[FixtureSource]]
    """A namespace's own fixtures, when one was loaded into it."""

    def reset(self, namespace: str | None = None) -> list[str]: ...

    def load_fixture(
        self, source: FixtureSource, namespace: str | None = None, replace: bool = False
    ) -> Seed: ...

    def set_profile(self, name: str) -> None: ...

    def namespace(self, name: str) -> Workspace:
        """The namespace's workspace, created on first use."""
        ...

    def limit_mode(self, name: str) -> str:
        """The namespace's limits mode, whoever chose it."""
        ...

    def set_limits(self, mode: str | None, namespace: str | None = None) -> None: ...


CONTROL_PREFIX: Final = "/_fakeserver"


def _state(request: Request) -> ControlledServer:
    state: ControlledServer = request.app.state.fakeserver
    return state


def _namespace(request: Request, body: Any = None) -> str | None:
    """`?namespace=`, else the request prefix's namespace, else the body's `namespace`, else
    None (all namespaces / the server)."""
    name = request.query_params.get("namespace") or request.scope.get(NAMESPACE_SCOPE_KEY)
    if name is None and isinstance(body, dict):
        name = body.get("namespace")
    if name is not None and not (isinstance(name, str) and is_valid_name(name)):
        raise ControlError(400, "invalid_namespace", f"{name!r} is not a valid namespace name.")
    return name


async def _json_body(request: Request, default: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return loads(raw)
    except ValueError as error:
        raise ControlError(400, "parse_error", f"JSON parse error - {error}") from None


def _flag(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false", "1", "0"):
        raise ControlError(400, "invalid_query", f"{name} must be true or false.")
    return raw.lower() in ("true", "1")


Handler = Callable[[Request, ControlledServer], Awaitable[Response]]


def _route(path: str, **handlers: Handler) -> Route:
    """One route per path, so a 405 lists every method the path has."""

    async def endpoint(request: Request) -> Response:
        try:
            # Starlette adds HEAD to a GET route: it is answered as the GET.
            handler = handlers.get(request.method.lower()) or handlers["get"]
            return await handler(request, _state(request))
        except ControlError as error:
            return error.response()

    return Route(path, endpoint, methods=[method.upper() for method in handlers])


# What the control API's other modules (control/limits.py) build their endpoints with.
route, json_body, namespace_of_call = _route, _json_body, _namespace


# Endpoints -------------------------------------------------------------------------------


async def info(request: Request, state: ControlledServer) -> Response:
    rules = state.faults.rules()
    return json_response(
        {
            "version": version("fakeserver"),
            "posthog": posthog_mirror().as_dict(),
            "profile": state.profile.name,
            "namespaces": sorted(state.workspaces),
            "journal": {"entries": len(state.journal), "size": state.journal.size},
            "faults": sum(not rule.spent for rule in rules),
            "faults_spent": sum(rule.spent for rule in rules),
        }
    )


async def reset(request: Request, state: ControlledServer) -> Response:
    body = await _json_body(request, {})
    return json_response({"reset": state.reset(_namespace(request, body))})


async def load_fixture(request: Request, state: ControlledServer) -> Response:
    body = await _json_body(request)
    forms = ("fixture", "path", "fixture_text")
    if not isinstance(body, dict) or sum(form in body for form in forms) != 1:
        raise ControlError(
            400,
            "invalid_input",
            'Send {"fixture": {...}} (a fixture document), {"path": "file.yaml"} or '
            '{"fixture_text": "...", "filename": "file.yaml"} (a file\'s content).',
        )
    source = _fixture_source(body)
    namespace = _namespace(request, body)
    replace = bool(body.get("replace", False))
    try:
        seed = state.load_fixture(source, namespace, replace=replace)
    except FixtureError as error:
        return json_response(
            {
                "type": "validation_error",
                "code": "invalid_fixture",
                "detail": str(error),
                "attr": None,
                "problems": error.problems,
            },
            400,
        )
    return json_response(
        {
            "namespace": namespace,
            "replace": replace,
            "projects": len(seed.projects),
            "users": len(seed.users),
            "conversations": len(seed.conversations),
        }
    )


def _fixture_source(body: dict[str, Any]) -> FixtureSource:
    if "path" in body:
        return str(body["path"])
    if "fixture" in body:
        if not isinstance(body["fixture"], dict):
            raise ControlError(
                400, "invalid_input", "fixture must be a JSON object in the fixture format."
            )
        fixture: FixtureSource = body["fixture"]
        return fixture
    text, filename = body["fixture_text"], body.get("filename", "upload.yaml")
    if not isinstance(text, str) or not isinstance(filename, str):
        raise ControlError(400, "invalid_input", "fixture_text and filename must be strings.")
    # Only the name is kept: it labels the checker's messages, it never opens a file.
    return FixtureText(text, PurePath(filename).name or "upload.yaml")


async def dump_state(request: Request, state: ControlledServer) -> Response:
    name = _namespace(request) or DEFAULT_NAMESPACE
    # A namespace never used is at its fixture state: show that without creating it.
    workspace = state.workspaces.get(name) or Workspace(state.seed)
    conversations = sorted(workspace.store.conversations(), key=lambda c: (c.created_at, c.id))
    return json_response(
        {
            "namespace": name,
            "profile": state.profile.name,
            "projects": [{"id": p.id, "name": p.name} for p in workspace.seed.projects.values()],
            "conversations": [dump_conversation(c) for c in conversations],
            "limits": limits_report(workspace, state.limit_mode(name)),
        }
    )


async def read_journal(request: Request, state: ControlledServer) -> Response:
    query = request.query_params
    status = query.get("status")
    if status is not None and not (status.isascii() and status.isdigit() and len(status) < 4):
        raise ControlError(400, "invalid_query", "status must be an integer.")
    try:
        entries = state.journal.filter(
            query.get("operation_id"),
            method=query.get("method"),
            path=query.get("path"),
            namespace=_namespace(request),
            status=int(status) if status is not None else None,
            matched=_flag(request, "matched"),
        )
    except UnknownOperationId as error:
        raise ControlError(400, "invalid_operation_id", str(error)) from None
    return json_response({"entries": [entry.as_json() for entry in entries]})


async def clear_journal(request: Request, state: ControlledServer) -> Response:
    state.journal.clear(_namespace(request))
    return Response(status_code=204)


async def list_faults(request: Request, state: ControlledServer) -> Response:
    namespace = _namespace(request)
    rules = [r for r in state.faults.rules() if namespace is None or r.namespace == namespace]
    return json_response({"rules": [rule.as_json() for rule in rules]})


async def add_fault(request: Request, state: ControlledServer) -> Response:
    body = await _json_body(request)
    namespace = request.scope.get(NAMESPACE_SCOPE_KEY)
    if isinstance(body, dict) and namespace is not None:
        body = {"namespace": namespace, **body}
    try:
        rule = state.faults.add_json(body)
    except FaultError as error:
        raise ControlError(400, "invalid_fault", str(error)) from None
    return json_response(rule.as_json(), 201)


async def clear_faults(request: Request, state: ControlledServer) -> Response:
    state.faults.clear(_namespace(request))
    return Response(status_code=204)


async def remove_fault(request: Request, state: ControlledServer) -> Response:
    if not state.faults.remove(request.path_params["rule_id"]):
        raise ControlError(404, "not_found", "No fault rule with that id.")
    return Response(status_code=204)


async def set_profile(request: Request, state: ControlledServer) -> Response:
    body = await _json_body(request)
    name = body.get("profile") if isinstance(body, dict) else None
    try:
        state.set_profile(str(name))
    except ValueError as error:
        raise ControlError(400, "invalid_profile", str(error)) from None
    return json_response({"profile": state.profile.name})


def control_route(path: str, **handlers: Handler) -> Route:
    """A route under the control API's access rules, for routes defined elsewhere (the
    dashboard's)."""
    return _route(path, **handlers)


def control_routes(*extra: BaseRoute, pages: frozenset[str] = frozenset()) -> list[BaseRoute]:
    """The control API's routes; `extra` routes (the dashboard's) join its Mount and rules.
    `pages`: paths of `extra` that a browser opens by address (see `ControlGate`)."""
    return [
        Mount(
            CONTROL_PREFIX,
            app=ControlGate(
                Router(
                    [
                        *extra,
                        _route("/", get=info),
                        _route("/reset", post=reset),
                        _route("/fixtures", post=load_fixture),
                        _route("/state", get=dump_state),
                        _route("/profile", put=set_profile),
                        _route("/journal", get=read_journal, delete=clear_journal),
                        _route("/faults", get=list_faults, post=add_fault, delete=clear_faults),
                        _route("/faults/{rule_id}", delete=remove_fault),
                    ]
                ),
                pages,
            ),
        )
    ]


# State dump ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return drf_datetime(value)
    if isinstance(value, QueueMessage):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


_RENAMED: Final = {"project_id": "project", "user_id": "user", "task_id": "task"}


def dump_conversation(conversation: Conversation) -> dict[str, Any]:
    """A conversation in the fixture format, so a dump can be loaded back as a fixture.

    Run-time bookkeeping that a fixture cannot express (e.g. a sandbox run's id) is left out.
    """
    dumped = {}
    for f in fields(conversation):
        key = _RENAMED.get(f.name, f.name)
        if key in CONVERSATION_KEYS:
            dumped[key] = _plain(getattr(conversation, f.name))
    return dumped
