"""The conversations endpoints: one `HTTPEndpoint` per path, so a 405 carries the right `Allow`.

Each method authenticates (`begin`), asks the domain, and lets the profile render the result.
Domain refusals propagate as exceptions; the gateway renders them (`errors.error_response`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Final

from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fakeserver.api import errors
from fakeserver.api.call import api_host, authenticate, begin
from fakeserver.api.pagination import PageRequest
from fakeserver.api.request import ApiRequest
from fakeserver.api.validation import Field, validate
from fakeserver.domain.models import AGENT_MODES, JSONValue
from fakeserver.domain.sandbox import OpenRequest
from fakeserver.domain.workspace import QueueDraft, StreamRequest

QUEUE_MESSAGE_FIELDS: Final = (
    Field("content", "string", required=True, max_length=40000),
    Field("contextual_tools", "dict"),
    Field("ui_context", "json"),
    Field("billing_context", "json"),
    Field("agent_mode", "choice", choices=AGENT_MODES),
)
"""PostHog's `QueueMessageSerializer`."""

QUEUE_UPDATE_FIELDS: Final = (Field("content", "string", required=True, max_length=40000),)

MESSAGE_FIELDS: Final = (
    Field("content", "string", required=True, allow_null=True, max_length=40000),
    Field("conversation", "uuid", required=True),
    Field("trace_id", "uuid", required=True),
    Field("contextual_tools", "dict"),
    Field("ui_context", "json"),
    Field("billing_context", "json"),
    Field("session_id", "string"),
    Field("agent_mode", "choice", choices=AGENT_MODES),
    Field("is_sandbox", "boolean"),
    Field("resume_payload", "json", allow_null=True),
)
"""PostHog's `MessageSerializer` (POST conversations/), in its field order. Its JSON fields
refuse null, as DRF's `JSONField` does without `allow_null`."""


def check_human_message(fields: dict[str, JSONValue]) -> None:
    """The serializers' `HumanMessage` check, after the fields: a `ui_context` that is not an
    object cannot be a `MaxUIContext` (its keys are not checked)."""
    ui_context = fields.get("ui_context")
    if ui_context is not None and not isinstance(ui_context, dict):
        raise errors.validation_error("Invalid message content.")


APPEND_MESSAGE_FIELDS: Final = (Field("content", "string", required=True, max_length=10000),)
"""PostHog's `MessageMinimalSerializer`."""

PERMISSION_MODES: Final = ("default", "acceptEdits", "plan", "bypassPermissions", "auto")
ATTACHED_CONTEXT_TYPES: Final = (
    "action",
    "dashboard",
    "error_tracking_issue",
    "evaluation",
    "event",
    "insight",
    "notebook",
    "text",
)
ATTACHED_CONTEXT_ITEM_FIELDS: Final = (
    Field("type", "choice", required=True, choices=ATTACHED_CONTEXT_TYPES),
    Field("id", "json"),
    Field("name", "string"),
    Field("value", "string"),
)
"""PostHog's `SandboxAttachedContextItemSerializer` (`id` is any JSON but null)."""
SANDBOX_OPEN_FIELDS: Final = (
    Field("content", "string", allow_null=True, allow_blank=True, max_length=40000),
    Field("trace_id", "uuid"),
    Field("attached_context", "list", item_fields=ATTACHED_CONTEXT_ITEM_FIELDS),
    Field("initial_permission_mode", "choice", choices=PERMISSION_MODES),
    Field("task_id", "uuid"),
)
"""PostHog's `SandboxOpen` serializer."""


def message_echo(fields: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """The validated `Message`, as the docs' 201 response shows it (`is_sandbox` defaults)."""
    echo = {spec.name: fields[spec.name] for spec in MESSAGE_FIELDS if spec.name in fields}
    if not isinstance(echo.get("billing_context", {}), dict):
        del echo["billing_context"]  # PostHog silently drops a billing context it cannot parse
    echo.setdefault("is_sandbox", False)
    return echo


_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


class PostHogEndpoint(HTTPEndpoint):
    """`HTTPEndpoint` with its per-request set-up done once per class. Handlers are coroutines
    and keep no state, so one instance (`asgi_app`) can serve every request."""

    allowed_methods: ClassVar[tuple[str, ...]] = ()
    _handlers: ClassVar[dict[str, Callable[[Any, Request], Awaitable[Response]]]] = {}
    """HTTP method -> handler (HEAD answered by `get` unless the class has `head`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = {method: getattr(cls, method.lower(), None) for method in _METHODS}
        if found["HEAD"] is None:
            found["HEAD"] = found["GET"]
        cls._handlers = {method: handler for method, handler in found.items() if handler}
        cls.allowed_methods = tuple(cls._handlers)

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope, self.receive, self.send = scope, receive, send

    @classmethod
    def asgi_app(cls) -> ASGIApp:
        """The endpoint as an ASGI app without an instance (and `HTTPEndpoint`'s `__await__`)
        per request: what its route calls."""
        return cls.__new__(cls).respond

    async def dispatch(self) -> None:
        await self.respond(self.scope, self.receive, self.send)

    async def respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = ApiRequest(scope, receive, send)
        handler = self._handlers.get(scope["method"], PostHogEndpoint.method_not_allowed)
        response = await handler(self, request)
        await response(scope, receive, send)

    async def method_not_allowed(self, request: Request) -> Response:
        """DRF authenticates before it looks for a handler: 401 beats 405."""
        await authenticate(request)
        allowed = ", ".join(self.allowed_methods)
        raise errors.method_not_allowed(request.method, allowed)


class ConversationsEndpoint(PostHogEndpoint):
    """`conversations/`: list (and, with agent runs, create)."""

    async def get(self, request: Request) -> Response:
        call = await begin(request, "list")
        paging = PageRequest.from_request(request)
        page = call.workspace.page(call.project.id, call.user.id, paging.offset, paging.limit)
        return call.profile.conversation_page(request, page, paging, call.workspace.seed)

    async def post(self, request: Request) -> Response:
        call = await begin(request, "create")
        fields = validate(await call.body.data(), MESSAGE_FIELDS)
        if fields["content"] is not None:
            check_human_message(fields)
        subscription = call.workspace.start_stream(
            call.project.id,
            call.user.id,
            StreamRequest(
                conversation_id=fields["conversation"],
                content=fields["content"],
                trace_id=fields["trace_id"],
                agent_mode=fields.get("agent_mode"),
                is_sandbox=fields.get("is_sandbox", False),
                resume_payload=fields.get("resume_payload"),
                billing_context=fields.get("billing_context"),
            ),
        )
        keepalive = api_host(request).keepalive
        return call.profile.stream_started(
            request, message_echo(fields), subscription, call.workspace.seed, keepalive
        )


class ConversationEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/`: retrieve and (soft) destroy; no update exists."""

    async def get(self, request: Request) -> Response:
        call = await begin(request, "retrieve")
        conversation = call.workspace.retrievable(
            call.conversation_id, call.project.id, call.user.id
        )
        return call.profile.conversation(conversation, call.workspace.seed)

    async def delete(self, request: Request) -> Response:
        call = await begin(request, "destroy")
        call.workspace.destroy(*call.target)
        return call.profile.conversation_deleted()


class QueueEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/queue/`: read the queue, or add a follow-up message."""

    async def get(self, request: Request) -> Response:
        call = await begin(request, "queue")
        conversation = call.workspace.queue_of(*call.target)
        return call.profile.queue(conversation, call.workspace.seed)

    async def post(self, request: Request) -> Response:
        call = await begin(request, "queue")
        call.workspace.queue_of(*call.target)
        fields = validate(await call.body.data(), QUEUE_MESSAGE_FIELDS)
        check_human_message(fields)
        billing = fields.get("billing_context")
        draft = QueueDraft(
            content=fields["content"],
            contextual_tools=fields.get("contextual_tools"),
            ui_context=fields.get("ui_context"),
            billing_context=billing if isinstance(billing, dict) else None,
            agent_mode=fields.get("agent_mode"),
            session_id=call.session_id,
        )
        conversation = call.workspace.enqueue(*call.target, draft)
        return call.profile.queue(conversation, call.workspace.seed)


class QueueItemEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/queue/{queue_id}/`: edit or drop one queued message."""

    async def patch(self, request: Request) -> Response:
        call = await begin(request, "queue_item")
        call.workspace.check_queued(*call.target, call.queue_id)
        content = validate(await call.body.data(), QUEUE_UPDATE_FIELDS)["content"]
        conversation = call.workspace.replace_queued(*call.target, call.queue_id, content)
        return call.profile.queue(conversation, call.workspace.seed)

    async def delete(self, request: Request) -> Response:
        call = await begin(request, "queue_item")
        conversation = call.workspace.remove_queued(*call.target, call.queue_id)
        return call.profile.queue_item_deleted(conversation, call.workspace.seed)


class QueueClearEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/queue/clear/`: never reads its body (the docs send junk)."""

    async def post(self, request: Request) -> Response:
        call = await begin(request, "clear_queue")
        conversation = call.workspace.clear_queue(*call.target)
        return call.profile.queue(conversation, call.workspace.seed)


class AppendMessageEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/append_message/`: write an assistant message."""

    async def post(self, request: Request) -> Response:
        call = await begin(request, "append_message")
        call.workspace.owned(*call.target)
        content = validate(await call.body.data(), APPEND_MESSAGE_FIELDS)["content"]
        return call.profile.message_appended(call.workspace.append_message(*call.target, content))


class CancelEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/cancel/`: stop the run; never reads its body."""

    async def patch(self, request: Request) -> Response:
        call = await begin(request, "cancel")
        call.workspace.cancel(*call.target)
        return call.profile.conversation_canceled()


class OpenEndpoint(PostHogEndpoint):
    """`conversations/{conversation}/open/`: the sandbox runtime's opener."""

    async def post(self, request: Request) -> Response:
        call = await begin(request, "open")
        fields = validate(await call.body.data(), SANDBOX_OPEN_FIELDS)
        opening = OpenRequest(fields.get("content"), fields.get("trace_id"), fields.get("task_id"))
        run = call.workspace.open_sandbox(*call.target, opening)
        if run is None:
            return call.profile.sandbox_not_provisioned()
        return call.profile.sandbox_opened(run)
