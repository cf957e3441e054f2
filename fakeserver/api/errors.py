"""PostHog's error responses, and the mapping from domain refusals to them.

Two formats exist side by side: the `{type, code, detail, attr}` envelope that PostHog's
exception handler (drf-exceptions-hog) renders for every DRF exception, and the bare
`{"error": ...}` / `{"detail": ...}` bodies some conversation views return themselves.
Both profiles answer errors the same way (the docs are silent on them).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fakeserver.api.json import json_response
from fakeserver.api.request import route_path
from fakeserver.domain import errors as domain

REQUEST_BODY_LIMIT: Final = 1024 * 1024


class ApiError(Exception):
    """An HTTP error answer, raised anywhere in the API layer and rendered by `render_api_error`."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def envelope(
    status: int, type_: str, code: str, detail: str, attr: str | None = None, **headers: str
) -> ApiError:
    """An error in drf-exceptions-hog's envelope."""
    body = {"type": type_, "code": code, "detail": detail, "attr": attr}
    return ApiError(
        status, body, {name.replace("_", "-"): value for name, value in headers.items()}
    )


def not_found(detail: str = "Not found.") -> ApiError:
    return envelope(404, "invalid_request", "not_found", detail)


def permission_denied(detail: str) -> ApiError:
    return envelope(403, "authentication_error", "permission_denied", detail)


def validation_error(detail: str, code: str = "invalid_input", attr: str | None = None) -> ApiError:
    return envelope(400, "validation_error", code, detail, attr)


def conflict(detail: str) -> ApiError:
    # PostHog's custom `Conflict` subclasses APIException, which the handler types server_error.
    return envelope(409, "server_error", "conflict", detail)


def method_not_allowed(method: str, allowed: str) -> ApiError:
    return envelope(
        405,
        "invalid_request",
        "method_not_allowed",
        f'Method "{method}" not allowed.',
        Allow=allowed,
    )


def parse_error(reason: str) -> ApiError:
    return envelope(400, "invalid_request", "parse_error", f"JSON parse error - {reason}")


def unsupported_media_type(content_type: str) -> ApiError:
    return envelope(
        415,
        "invalid_request",
        "unsupported_media_type",
        f'Unsupported media type "{content_type}" in request.',
    )


def body_too_large() -> ApiError:
    # Not PostHog's answer (its proxy decides); the fake keeps its own envelope for it.
    return envelope(
        413,
        "invalid_request",
        "request_too_large",
        f"Request body is larger than {REQUEST_BODY_LIMIT} bytes.",
    )


def view_error(status: int, **body: str) -> ApiError:
    """A body the view returns itself, outside the envelope."""
    return ApiError(status, dict(body))


QUEUE_FULL_DETAIL: Final = "Only two messages can be queued at a time."

TASK_NOT_FOUND: Final = "Task not found or not accessible."
PI_TASK: Final = "Pi tasks cannot be opened in PostHog AI."

_DOMAIN_ERRORS: Final[dict[type[domain.DomainError], ApiError]] = {
    domain.ConversationNotFound: not_found(),
    domain.QueueConversationNotFound: view_error(404, error="Conversation not found"),
    domain.OtherUsersConversation: view_error(
        403, error="Cannot access other users' conversations"
    ),
    domain.QueueFull: view_error(409, error="queue_full", detail=QUEUE_FULL_DETAIL),
    domain.QueueMessageNotFound: view_error(404, detail="Queue message not found."),
    domain.StreamOtherUsersConversation: view_error(
        400, error="Cannot access other users' conversations"
    ),
    domain.StreamConversationDeleted: view_error(404, error="Conversation does not exist"),
    domain.StreamFromNothing: view_error(400, error="Cannot stream from non-existent conversation"),
    domain.SandboxNotStreamable: validation_error(
        "Sandbox conversations must be opened via the open endpoint."
    ),
    domain.RunInProgress: conflict("Cannot resume streaming with a new message"),
    domain.IdleWithoutMessage: validation_error(
        "Cannot continue streaming from an idle conversation"
    ),
    domain.NotOnSandboxRuntime: validation_error(
        "This conversation is not on the sandbox runtime."
    ),
    domain.OpenOtherUsersConversation: permission_denied(
        "Cannot access other users' conversations"
    ),
    domain.OpenConversationDeleted: not_found("Conversation does not exist"),
    # `validate_task_id` is a field validator (attr task_id); the view checks the conversation's
    # own task again with the same function, outside the serializer (attr null).
    domain.SandboxTaskNotFound: validation_error(TASK_NOT_FOUND, attr="task_id"),
    domain.PiTaskNotOpenable: validation_error(PI_TASK, attr="task_id"),
    domain.BoundTaskNotFound: validation_error(TASK_NOT_FOUND),
    domain.BoundPiTaskNotOpenable: validation_error(PI_TASK),
}


def from_domain(error: domain.DomainError) -> ApiError:
    """The answer PostHog's conversation views give for a domain refusal."""
    return _DOMAIN_ERRORS[type(error)]


def render_api_error(error: ApiError) -> Response:
    return json_response(error.body, error.status, error.headers)


def _api_error_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return render_api_error(exc)


def _domain_error_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain.DomainError)
    if isinstance(exc, domain.RecordedAnswerReplayed):
        return Response(exc.body, exc.status, media_type=exc.content_type)
    return render_api_error(from_domain(exc))


def _http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown route, method without handler) in PostHog's envelope."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return render_api_error(method_not_allowed(request.method, allowed))
    if exc.status_code == 404:
        # PostHog's catch-all `api_not_found` view answers every unknown /api path, unauthenticated.
        api_path = route_path(request.scope).startswith("/api")  # without a /_ns/ prefix
        return render_api_error(not_found("Endpoint not found." if api_path else "Not found."))
    return render_api_error(envelope(exc.status_code, "invalid_request", "error", str(exc.detail)))


_EXPECTED: Final = (
    (ApiError, _api_error_response),
    (domain.DomainError, _domain_error_response),
    (HTTPException, _http_exception_response),
)


def error_response(request: Request, error: Exception) -> tuple[Response, bool]:
    """The answer to an exception raised while serving `request`, and whether the exception is
    an expected refusal. Anything else is a bug in the fake: it is answered in PostHog's 500
    envelope rather than Starlette's text, and should be raised again once that is sent."""
    for kind, respond in _EXPECTED:
        if isinstance(error, kind):
            return respond(request, error), True
    failure = envelope(500, "server_error", "error", "A server error occurred.")
    return render_api_error(failure), False
