"""The dashboard's routes, inside the control API's Mount and under its access rules.

`GET /_fakeserver/ui` is the page: one HTML document with its style and script inlined from
the package's static files, so a browser makes one request for it and the page loads nothing
from anywhere else. The page reads `/_fakeserver/ui/api/...` (below) and acts through the
control API's own endpoints.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from html import escape as html_escape
from importlib import resources
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from fakeserver.api.json import json_response
from fakeserver.control.access import ControlError
from fakeserver.control.api import control_route, dump_conversation
from fakeserver.control.dashboard import views
from fakeserver.control.dashboard.listing import (
    ListingError,
    conversation_page,
    decode_cursor,
    read_filter,
)
from fakeserver.control.dashboard.views import DashboardServer
from fakeserver.domain.posthog_version import posthog_mirror
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE, NAMESPACE_SCOPE_KEY, is_valid_name

PAGE_PATH: Final = "/ui"
"""Under the control prefix: the dashboard is at /_fakeserver/ui."""
PAGES: Final = frozenset({PAGE_PATH, PAGE_PATH + "/"})
"""What a browser opens by address: the control API's gate takes the token as `?token=` on
these (a navigation cannot send a header); the page's script sends the header from then on."""
DEFAULT_PAGE_SIZE: Final = 25


@functools.cache
def page_document() -> tuple[bytes, str]:
    """The page, and its Content-Security-Policy: only its own inline style and script run,
    it talks only to this server, and no other site may frame it."""
    static = resources.files(__package__) / "static"
    html = (static / "index.html").read_text(encoding="utf-8")
    style = (static / "dashboard.css").read_text(encoding="utf-8")
    script = (static / "dashboard.js").read_text(encoding="utf-8")
    mirror = html_escape(posthog_mirror().label)
    document = (
        html.replace("/*style*/", style)
        .replace("/*script*/", script)
        .replace("<!--mirror-->", mirror)
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            f"style-src '{_sha256(style)}'",
            f"script-src '{_sha256(script)}'",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return document.encode(), policy


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


async def page(request: Request, _server: DashboardServer) -> Response:
    document, policy = page_document()
    return Response(
        document,
        media_type="text/html; charset=utf-8",
        headers={
            "content-security-policy": policy,
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",  # the address may hold the control token
            "cache-control": "no-store",
        },
    )


# Data --------------------------------------------------------------------------------------


def _namespace(request: Request) -> str:
    name = request.query_params.get("namespace") or request.scope.get(
        NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE
    )
    if not is_valid_name(name):
        raise ControlError(400, "invalid_namespace", f"{name!r} is not a valid namespace name.")
    return str(name)


async def version(request: Request, server: DashboardServer) -> Response:
    return json_response({"version": views.version(server)})


async def overview(request: Request, server: DashboardServer) -> Response:
    return json_response(views.overview(server, _namespace(request)))


async def conversations(request: Request, server: DashboardServer) -> Response:
    query = request.query_params
    workspace = views.workspace_of(server, _namespace(request))
    try:
        wanted = read_filter(
            query.get("status"),
            query.get("project"),
            query.get("user"),
            query.get("q"),
            query.get("visibility"),
        )
        after = decode_cursor(query.get("cursor"))
    except ListingError as error:
        raise ControlError(400, "invalid_query", str(error)) from None
    limit = query.get("limit", "")
    size = int(limit) if limit.isascii() and limit.isdigit() and len(limit) < 4 else None
    found = conversation_page(workspace.store, wanted, after, size or DEFAULT_PAGE_SIZE)
    return json_response(
        {
            "count": found.count,
            "next": found.next_cursor,
            "conversations": [views.conversation_row(c, workspace) for c in found.conversations],
        }
    )


async def conversation(request: Request, server: DashboardServer) -> Response:
    workspace = views.workspace_of(server, _namespace(request))
    conversation_id = request.path_params["conversation_id"]
    found = workspace.store.conversation(conversation_id)
    if found is None:
        raise ControlError(404, "not_found", "No conversation with that id in this namespace.")
    run = workspace.runs.active(found.id)
    body: dict[str, Any] = {
        "row": views.conversation_row(found, workspace),
        "conversation": dump_conversation(found),
        "run": views.run_json(run, workspace) if run is not None else None,
        "frame_kinds": [list(item) for item in workspace.runs.frame_kinds(found.id)],
    }
    return json_response(body)


async def activity(request: Request, server: DashboardServer) -> Response:
    namespace = _namespace(request)
    workspace = views.workspace_of(server, namespace)
    return json_response(
        {
            "runs": [views.run_json(run, workspace) for run in workspace.runs.running()],
            "streams": views.open_streams(server, namespace),
        }
    )


async def journal(request: Request, server: DashboardServer) -> Response:
    query = request.query_params
    status_class = query.get("status_class") or None
    if status_class is not None and status_class not in views.STATUS_CLASSES:
        raise ControlError(
            400, "invalid_query", f"status_class must be one of {', '.join(views.STATUS_CLASSES)}."
        )
    rows, count = views.journal_rows(
        server, _namespace(request), status_class, query.get("operation"), query.get("q")
    )
    return json_response({"count": count, "entries": rows})


async def journal_entry(request: Request, server: DashboardServer) -> Response:
    entry = views.find_entry(server, request.path_params["sequence"])
    if entry is None:
        raise ControlError(404, "not_found", "The journal holds no entry with that number.")
    return json_response(entry.as_json())


def dashboard_routes() -> list[BaseRoute]:
    """The dashboard's routes, relative to the control API's prefix."""
    return [
        *(control_route(path, get=page) for path in PAGES),
        control_route(PAGE_PATH + "/api/version", get=version),
        control_route(PAGE_PATH + "/api/overview", get=overview),
        control_route(PAGE_PATH + "/api/conversations", get=conversations),
        control_route(PAGE_PATH + "/api/conversations/{conversation_id}", get=conversation),
        control_route(PAGE_PATH + "/api/activity", get=activity),
        control_route(PAGE_PATH + "/api/journal", get=journal),
        control_route(PAGE_PATH + "/api/journal/{sequence:int}", get=journal_entry),
    ]
