"""Namespaces: fully separate states on one server, chosen by a base-URL prefix.

A request to `/_ns/{name}/api/...` is served exactly like `/api/...`, against the state of the
namespace `name` (created from the seed on first use). The prefix becomes part of the ASGI
`root_path`, so routing sees `/api/...` while `request.url` (and so every pagination link) keeps
the prefix, and a client that follows `next` stays in its namespace.
"""

from __future__ import annotations

import re
from typing import Final

from starlette.types import Scope

from fakeserver.api.request import route_path

NAMESPACE_SCOPE_KEY: Final = "fakeserver.namespace"
DEFAULT_NAMESPACE: Final = "default"
NAMESPACE_PREFIX: Final = "/_ns/"
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""What a namespace name may be: URL-safe, no slash, at most 64 characters."""


def is_valid_name(name: str) -> bool:
    return NAME_PATTERN.fullmatch(name) is not None


def namespace_prefix(name: str) -> str:
    """The path prefix that selects `name` (empty for the default namespace)."""
    return "" if name == DEFAULT_NAMESPACE else f"{NAMESPACE_PREFIX}{name}"


def namespace_of(scope: Scope) -> str:
    name: str = scope.get(NAMESPACE_SCOPE_KEY, DEFAULT_NAMESPACE)
    return name


def enter_namespace(scope: Scope) -> str:
    """Recognise `/_ns/{name}/...`: move the prefix into `root_path` and record the name.
    Returns the route path that is left (`route_path` of the scope afterwards).

    The gateway calls this on the scope the server made for the request, before routing.
    """
    path = route_path(scope)
    if path.startswith(NAMESPACE_PREFIX):
        name, slash, _rest = path[len(NAMESPACE_PREFIX) :].partition("/")
        if slash and is_valid_name(name):
            scope["root_path"] = scope.get("root_path", "") + NAMESPACE_PREFIX + name
            scope[NAMESPACE_SCOPE_KEY] = name
            return route_path(scope)
    return path
