"""Who may call the control API, so that a web page in the developer's browser cannot drive it.

A page on another origin can send "simple" requests (a `text/plain` POST, a form post) without
a preflight, and a DNS-rebinding page reaches the server under a name of its own. Like
Jupyter's and Vite's dev servers, the control API therefore refuses, in this order:

1. over a socket, a `Host` that is not the bound address, `localhost`, a loopback address, the
   address the connection arrived at, or a name allowed with `--allow-host` (in-process calls
   have no socket, and keep whatever host name their client's base URL uses);
2. an `Origin` other than the server's own (or `Sec-Fetch-Site: cross-site`), unless the origin
   is allowed with `--allow-origin`;
3. without the server's control token, when it has one;
4. a state-changing call whose body is not `application/json` (415).

The PostHog API paths are not behind this gate: clients of the fake API send whatever their
HTTP client sends.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fakeserver.api.json import json_response
from fakeserver.api.request import route_path

SOCKET_SCOPE_KEY: Final = "fakeserver.bound_host"
"""Set on requests that came over a socket, to the address the server was told to bind."""
TOKEN_HEADER: Final = "x-fakeserver-control-token"
ANY: Final = "*"
"""As an allowed host or origin: any (turns that check off)."""

_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class ControlError(Exception):
    """A control API refusal, answered in the control API's error format."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def response(self) -> Response:
        body = {"type": "invalid_request", "code": self.code, "detail": self.detail, "attr": None}
        return json_response(body, self.status)


def _host_name(host_header: str) -> str:
    """The name or address of a Host header, without its port: `[::1]:8010` -> `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True  # browsers resolve these themselves, to loopback (RFC 6761)
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_bind(host: str) -> bool:
    """Whether binding `host` keeps the server off the network."""
    return _is_loopback(_host_name(host))


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an origin or base URL, default ports filled in; None if it is
    not one (e.g. the `null` origin of a sandboxed or file:// page)."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.rstrip("."), port or _DEFAULT_PORTS.get(parts.scheme)


@dataclass(frozen=True)
class ControlAccess:
    """The server's control API access rules (see the module's docstring)."""

    token: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, token: str | None, allowed_origins: tuple[str, ...], allowed_hosts: tuple[str, ...]
    ) -> ControlAccess:
        return cls(
            token,
            frozenset(o.strip().lower().rstrip("/") for o in allowed_origins),
            frozenset(_host_name(h) if h != ANY else ANY for h in allowed_hosts),
        )

    def check(self, scope: Scope) -> None:
        """Raise a `ControlError` for a call these rules refuse."""
        headers = Headers(scope=scope)
        self._check_host(scope, headers)
        self._check_origin(scope, headers)
        self._check_token(headers)
        if scope["method"] not in _SAFE_METHODS:
            _check_json_body(headers)

    def _check_host(self, scope: Scope, headers: Headers) -> None:
        bound = scope.get(SOCKET_SCOPE_KEY)
        if bound is None or ANY in self.allowed_hosts:
            return
        host = _host_name(headers.get("host", ""))
        arrived_at = (scope.get("server") or ("",))[0]
        if host and (
            _is_loopback(host)
            or host in (_host_name(bound), _host_name(str(arrived_at)))
            or host in self.allowed_hosts
        ):
            return
        raise ControlError(
            403,
            "host_not_allowed",
            f"The control API does not answer for host {host or '(none)'!r}. Start the server "
            "with --allow-host NAME to allow a name (a guard against DNS rebinding).",
        )

    def _check_origin(self, scope: Scope, headers: Headers) -> None:
        origin = headers.get("origin")
        if origin is None:
            if headers.get("sec-fetch-site", "").lower() == "cross-site":
                raise _cross_site("(not sent)")
            return
        if (
            ANY in self.allowed_origins
            or origin.strip().lower().rstrip("/") in self.allowed_origins
        ):
            return
        own = _origin(f"{scope.get('scheme', 'http')}://{headers.get('host', '')}")
        if own is None or _origin(origin) != own:
            raise _cross_site(origin)

    def _check_token(self, headers: Headers) -> None:
        if self.token is None:
            return
        given = headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ControlError(
                401,
                "invalid_control_token",
                f"The control API needs the header {TOKEN_HEADER} with the server's token.",
            )


def _cross_site(origin: str) -> ControlError:
    return ControlError(
        403,
        "cross_origin",
        f"The control API refuses calls from another origin ({origin}). Start the server with "
        "--allow-origin ORIGIN to allow a page's origin.",
    )


def _check_json_body(headers: Headers) -> None:
    """A state-changing call sends JSON or no body: a form or text/plain body is what a
    cross-site page can send without a preflight."""
    content_type = headers.get("content-type")
    if content_type is None:
        has_body = headers.get("content-length", "0").strip() not in ("", "0")
        if not has_body and "transfer-encoding" not in headers:
            return
        content_type = "(none)"
    elif content_type.partition(";")[0].strip().lower() == "application/json":
        return
    raise ControlError(
        415,
        "unsupported_media_type",
        f'Unsupported media type "{content_type}" in request. The control API takes '
        "application/json bodies.",
    )


class ControlGate:
    """The ASGI gate in front of every control route (the dashboard's too)."""

    def __init__(self, app: ASGIApp, pages: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.pages = pages
        """Paths under the control prefix of pages a browser opens by address (the dashboard):
        a navigation cannot send the token's header, so a GET of one may carry the token as
        `?token=` instead. Only the page: the calls it makes send the header."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] in ("GET", "HEAD") and route_path(scope) in self.pages:
                scope = _token_from_address(scope)
            access: ControlAccess = scope["app"].state.fakeserver.control_access
            try:
                access.check(scope)
            except ControlError as refusal:
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _token_from_address(scope: Scope) -> Scope:
    """The scope with `?token=` as the token's header, when it has the one and not the other."""
    token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    if not token or any(name == TOKEN_HEADER.encode() for name, _value in scope["headers"]):
        return scope
    header = (TOKEN_HEADER.encode(), token[0].encode("latin-1", "replace"))
    return {**scope, "headers": [*scope["headers"], header]}


class OverSocket:
    """The app as a socket server (uvicorn) runs it: each request is marked with the bound
    address, so the control API applies its Host rule to it and not to in-process calls."""

    def __init__(self, app: ASGIApp, bound_host: str) -> None:
        self.app, self.bound_host = app, bound_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SOCKET_SCOPE_KEY] = self.bound_host
        await self.app(scope, receive, send)
