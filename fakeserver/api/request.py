"""The request object the endpoints see: Starlette's `Request`, with headers looked up in a dict.

A request asks for half a dozen headers, and Starlette's `Headers` scans the raw list for each.
The gateway indexes them once per request (`index_headers`); endpoints reuse that index.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

HEADERS_SCOPE_KEY: Final = "fakeserver.headers"


def route_path(scope: Scope) -> str:
    """The path the router matches: `path` without the `root_path` the app is served under
    (a namespace prefix, say), computed as Starlette's router does (its helper is private)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    rest = path[len(root_path) :]
    return rest if rest == "" or rest.startswith("/") else path


def index_headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by lower-case name, the first occurrence winning as in `Headers`;
    built once per request and kept in the scope, with the list it was built from, so that a
    middleware that gives the scope other headers gets a new index."""
    raw = scope["headers"]
    kept: tuple[list[tuple[bytes, bytes]], int, dict[bytes, bytes]] | None
    kept = scope.get(HEADERS_SCOPE_KEY)
    index: dict[bytes, bytes]
    if kept is not None and kept[0] is raw and kept[1] == len(raw):
        index = kept[2]
        return index
    if not isinstance(raw, list):  # ASGI allows any iterable; Starlette makes it a list
        raw = scope["headers"] = list(raw)
    index = dict(reversed(raw))
    scope[HEADERS_SCOPE_KEY] = (raw, len(raw), index)
    return index


_NAMES_KEPT: Final = 256
_raw_names: dict[str, bytes] = {}


def _raw_name(name: str) -> bytes:
    """A header name as the index holds it; the names asked for are few and fixed."""
    raw = _raw_names.get(name)
    if raw is None:
        raw = name.lower().encode("latin-1")
        if len(_raw_names) < _NAMES_KEPT:
            _raw_names[name] = raw
    return raw


class IndexedHeaders(Headers):
    """Starlette's `Headers`, with single lookups answered from the request's header index."""

    def __init__(self, scope: Scope) -> None:
        self.index = index_headers(scope)  # first: it makes scope["headers"] a list
        """Raw lower-case name -> first value (read-only)."""
        super().__init__(raw=scope["headers"])

    def __getitem__(self, key: str) -> str:
        return self.index[_raw_name(key)].decode("latin-1")

    def get(self, key: str, default: Any = None) -> Any:
        # The memo is read here, not through `_raw_name`: this runs several times per request.
        value = self.index.get(_raw_names.get(key) or _raw_name(key))
        return default if value is None else value.decode("latin-1")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _raw_name(key) in self.index

    def getlist(self, key: str) -> list[str]:
        if len(self.index) == len(self._list):  # no name repeats: the index has every value
            value = self.index.get(_raw_names.get(key) or _raw_name(key))
            return [] if value is None else [value.decode("latin-1")]
        return super().getlist(key)


class ApiRequest(Request):
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope, receive, send)
        self._headers = IndexedHeaders(scope)

    # Starlette's `headers` and `method` check for a cached value or cast on every read.
    @property
    def headers(self) -> Headers:
        return self._headers

    @property
    def method(self) -> str:
        method: str = self.scope["method"]
        return method
