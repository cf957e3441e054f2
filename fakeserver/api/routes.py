"""The route table: every PostHog path the fake serves, under both prefixes, with operationIds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from fakeserver.api import endpoints


class _DrfLookupConvertor(Convertor[str]):
    """DRF's default lookup regex `[^/.]+`: an id with a dot matches no route."""

    regex = "[^/.]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("lookup", _DrfLookupConvertor())


class EndpointRoute(Route):
    """A `Route` to a PostHog endpoint, served by one shared endpoint instance."""

    def __init__(self, path: str, endpoint: type[endpoints.PostHogEndpoint]) -> None:
        super().__init__(path, endpoint)
        self.app = endpoint.asgi_app()


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
        slash_optional(EndpointRoute(f"/api/{prefix}/{{project_id}}{spec.suffix}", spec.endpoint))
        for prefix in PREFIXES
        for spec in CONVERSATION_PATHS
    ]
