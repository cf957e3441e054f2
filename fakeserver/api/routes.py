"""The route table: every PostHog path the fake serves, under both prefixes, with operationIds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from starlette._utils import get_route_path
from starlette.convertors import Convertor, StringConvertor, register_url_convertor
from starlette.routing import Match, Route
from starlette.types import Scope

from fakeserver.api import endpoints


class _DrfLookupConvertor(Convertor[str]):
    """DRF's default lookup regex `[^/.]+`: an id with a dot matches no route."""

    regex = "[^/.]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lookup", _DrfLookupConvertor())


class PlainParamsRoute(Route):
    """A `Route` to a PostHog endpoint whose path parameters are all kept as matched (`str` or
    `lookup`), so matching skips Starlette's per-parameter convertor calls; everything else is
    `Route.matches`."""

    def __init__(self, path: str, endpoint: type[endpoints.PostHogEndpoint]) -> None:
        super().__init__(path, endpoint)
        self.app = endpoint.asgi_app()
        assert all(
            isinstance(convertor, StringConvertor | _DrfLookupConvertor)
            for convertor in self.param_convertors.values()
        ), path

    def match_path(self, method: str, path: str) -> tuple[Match, dict[str, Any]]:
        """How a request for `method` and route path `path` matches, and its path parameters."""
        found = self.path_regex.match(path)
        if found is None:
            return Match.NONE, {}
        params = found.groupdict()
        return Match.PARTIAL if self.methods and method not in self.methods else Match.FULL, params

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            match, params = self.match_path(scope["method"], get_route_path(scope))
            if match is not Match.NONE:
                if "path_params" in scope:
                    params = {**scope["path_params"], **params}
                return match, {"endpoint": self.endpoint, "path_params": params}
        return Match.NONE, {}


PREFIXES: Final = {"projects": "", "environments": "environments_"}
"""Path prefix -> operationId prefix. PostHog serves the same viewset under both."""


@dataclass(frozen=True, slots=True)
class PathSpec:
    suffix: str
    endpoint: type[endpoints.PostHogEndpoint]
    operations: dict[str, str]
    """HTTP method -> operationId (the /api/projects/ form)."""


CONVERSATION_PATHS: Final = (
    PathSpec(
        "/conversations",
        endpoints.ConversationsEndpoint,
        {"GET": "conversations_list", "POST": "conversations_create"},
    ),
    PathSpec(
        "/conversations/{conversation:lookup}",
        endpoints.ConversationEndpoint,
        {"GET": "conversations_retrieve", "DELETE": "conversations_destroy"},
    ),
    # Extra actions in PostHog's router order (alphabetical by method name).
    PathSpec(
        "/conversations/{conversation:lookup}/append_message",
        endpoints.AppendMessageEndpoint,
        {"POST": "conversations_append_message_create"},
    ),
    PathSpec(
        "/conversations/{conversation:lookup}/cancel",
        endpoints.CancelEndpoint,
        {"PATCH": "conversations_cancel_partial_update"},
    ),
    PathSpec(
        "/conversations/{conversation:lookup}/open",
        endpoints.OpenEndpoint,
        {"POST": "conversations_open_create"},
    ),
    PathSpec(
        "/conversations/{conversation:lookup}/queue",
        endpoints.QueueEndpoint,
        {"GET": "conversations_queue_retrieve", "POST": "conversations_queue_create"},
    ),
    # Before queue/{queue_id}: PostHog's `clear_queue` route wins, so PATCH/DELETE here are 405.
    PathSpec(
        "/conversations/{conversation:lookup}/queue/clear",
        endpoints.QueueClearEndpoint,
        {"POST": "conversations_queue_clear_create"},
    ),
    PathSpec(
        "/conversations/{conversation:lookup}/queue/{queue_id:lookup}",
        endpoints.QueueItemEndpoint,
        {"PATCH": "conversations_queue_partial_update", "DELETE": "conversations_queue_destroy"},
    ),
)


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    """The route's path template, e.g. /api/projects/{project_id}/conversations."""


def _operations() -> dict[tuple[str, str], Operation]:
    table = {}
    for prefix, id_prefix in PREFIXES.items():
        for spec in CONVERSATION_PATHS:
            path = f"/api/{prefix}/{{project_id}}{spec.suffix}"
            for method, operation_id in spec.operations.items():
                table[(path, method)] = Operation(id_prefix + operation_id, method, path)
    return table


OPERATIONS: Final = _operations()
"""(route path, method) -> Operation, for every PostHog operation the fake serves."""


def slash_optional(route: Route) -> Route:
    """Match the path with or without its trailing slash, as PostHog's router (`/?`) does."""
    pattern = route.path_regex.pattern
    assert pattern.endswith("$")
    route.path_regex = re.compile(pattern[:-1].removesuffix("/") + "/?$")
    return route


def conversation_routes() -> list[Route]:
    return [
        slash_optional(
            PlainParamsRoute(f"/api/{prefix}/{{project_id}}{spec.suffix}", spec.endpoint)
        )
        for prefix in PREFIXES
        for spec in CONVERSATION_PATHS
    ]
