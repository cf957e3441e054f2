"""A router that tries only the routes whose shape fits the path, and remembers what it found.

Starlette's router matches each route's regex in table order; with both prefixes and the control
API that is 30+ routes, ten or more regexes before a queue path matches. A route's template fixes
its number of segments (a path parameter never holds a `/`, except the `path` convertor) and often
its last segment, so a path can only match the routes indexed under its own (count, last
segment) key. Those are tried in table order, exactly as Starlette would; anything else (a miss,
a partial match) falls back to Starlette's full walk, so every answer is the same.

A full match of a `Route` depends on nothing but the method and the path, and suites request the
same paths over and over, so the route and its path parameters are kept per (method, path)
(except for the methods that name a fresh item each time).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from fakeserver.api.request import route_path

_Key = tuple[int, str | None]
"""(number of segments, last segment if the template fixes it, else None)."""


def _path_key(path: str) -> tuple[int, str]:
    # Routes of this app take an optional trailing slash: the shape ignores one.
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    count = path.count("/")
    return count, path[path.rfind("/") + 1 :]


def _template_key(route: BaseRoute) -> _Key | None:
    """The route's shape, or None when it may match paths of any shape."""
    if not isinstance(route, Route) or ":path}" in route.path:
        return None
    count, last = _path_key(route.path)
    return count, None if "{" in last else last


_RESOLVED_CACHE_SIZE: Final = 4096
_SINGLE_USE_METHODS: Final = frozenset({"DELETE", "PATCH"})
"""Not remembered: these nearly always name an item once (a queue message, a conversation),
and up to _RESOLVED_CACHE_SIZE one-off entries held until the next clear cost more than they
save."""

_Resolved = tuple[Route, dict[str, Any]]


class ShapeIndexedRouter(Router):
    """Starlette's `Router`, with the routes to try narrowed down by the path's shape."""

    _index_size: int = -1
    _fixed_last: frozenset[_Key] = frozenset()
    _candidates: dict[_Key, list[BaseRoute]]
    _unshaped: list[BaseRoute]
    _resolved: dict[tuple[str, str], _Resolved]

    def candidates(self, scope: Scope) -> Sequence[BaseRoute]:
        """The routes that may match `scope`'s path, in table order."""
        return self._candidates_for(route_path(scope))

    def _candidates_for(self, path: str) -> Sequence[BaseRoute]:
        if len(self.routes) != self._index_size:  # routes are added at run time by some tests
            self._build_index()
        count, last = _path_key(path)
        key: _Key = (count, last) if (count, last) in self._fixed_last else (count, None)
        return self._candidates.get(key, self._unshaped)

    def _build_index(self) -> None:
        shapes = [_template_key(route) for route in self.routes]
        counts = {shape[0] for shape in shapes if shape is not None}
        fixed = {shape for shape in shapes if shape is not None and shape[1] is not None}
        keys: set[_Key] = fixed | {(count, None) for count in counts}
        self._candidates = {
            key: [
                route
                for route, shape in zip(self.routes, shapes, strict=True)
                if shape is None or shape == key or shape == (key[0], None)
            ]
            for key in keys
        }
        self._unshaped = [
            route for route, shape in zip(self.routes, shapes, strict=True) if shape is None
        ]
        self._fixed_last = frozenset(fixed)
        self._resolved = {}
        self._index_size = len(self.routes)

    def _resolve(self, scope: Scope, method: str, path: str) -> _Resolved | None:
        """The route that fully matches `scope` (if it is the first candidate that matches at
        all, as in Starlette's walk) and its path parameters."""
        for route in self._candidates_for(path):
            match, child_scope = route.matches(scope)
            params = child_scope.get("path_params", {})
            if match is Match.FULL and isinstance(route, Route):
                return route, params
            if match is not Match.NONE:
                return None  # a partial match, or a Mount: Starlette's walk decides
        return None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mounted under another app, a scope brings path parameters of its own: not cached.
        if scope["type"] == "http" and "path_params" not in scope:
            key = method, path = scope["method"], route_path(scope)
            found = self._resolved.get(key) if self._index_size == len(self.routes) else None
            if found is None:
                found = self._resolve(scope, method, path)
                if found is not None and method not in _SINGLE_USE_METHODS:
                    if len(self._resolved) >= _RESOLVED_CACHE_SIZE:
                        self._resolved.clear()
                    self._resolved[key] = found
            if found is not None:
                route, path_params = found
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(path_params)
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)
