"""Fidelity profiles: how each operation's result is rendered, and the auth policy.

`documented` answers as PostHog's API docs promise; `actual` as PostHog's server code behaves.
Endpoints call the same methods on whichever profile the request uses and never test its name;
a third profile is one more subclass. Every difference is listed in `fakeserver.api.divergences`.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar, Final

from starlette.requests import Request
from starlette.responses import Response

from fakeserver.api import openapi_documents, serializers
from fakeserver.api.errors import envelope
from fakeserver.api.json import JSON_MEDIA_TYPE, dumps, json_response
from fakeserver.api.pagination import PageRequest
from fakeserver.api.rendered import RENDERED
from fakeserver.api.stream import accepts_event_stream, sse_response
from fakeserver.domain.models import Conversation, JSONValue
from fakeserver.domain.sandbox import SandboxRun
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Page, StreamSubscription

PROFILE_HEADER: Final = "x-fakeserver-profile"


class Profile:
    """The `documented` profile, and the base every other profile refines."""

    name: ClassVar[str] = "documented"
    description: ClassVar[str] = "status codes and bodies as PostHog's API docs give them"
    accepts_session_auth: ClassVar[bool] = False
    """The docs describe personal API keys only."""
    keys_allowed_on_unscoped_actions: ClassVar[bool] = True
    """The docs' curl examples use a personal API key on the queue actions."""
    conversation_shape: ClassVar[serializers.ConversationShape] = serializers.ConversationShape(
        serializers.DOCUMENTED_FIELDS
    )
    minimal_shape: ClassVar[serializers.ConversationShape] = serializers.ConversationShape(
        serializers.MINIMAL_FIELDS
    )

    # Conversations -----------------------------------------------------------------------

    def conversation_page(
        self, request: Request, page: Page, paging: PageRequest, seed: Seed
    ) -> Response:
        url = str(request.url)
        links = dumps(
            {
                "count": page.count,
                "next": paging.next_link(url, page.count),
                "previous": paging.previous_link(url),
            }
        )
        results = RENDERED.joined_json(page.conversations, seed, self.minimal_shape)
        body = links[:-1] + b',"results":[' + results + b"]}"
        return Response(body, media_type=JSON_MEDIA_TYPE)

    def conversation(self, conversation: Conversation, seed: Seed) -> Response:
        body = RENDERED.json(conversation, seed, self.conversation_shape)
        return Response(body, media_type=JSON_MEDIA_TYPE)

    def conversation_deleted(self) -> Response:
        return Response(status_code=204)

    # Queue -------------------------------------------------------------------------------

    def queue(self, conversation: Conversation, seed: Seed) -> Response:
        """GET/POST queue, PATCH queue item and POST clear: the docs promise a Conversation."""
        return self.conversation(conversation, seed)

    def queue_item_deleted(self, conversation: Conversation, seed: Seed) -> Response:
        return Response(status_code=204)

    # Runs --------------------------------------------------------------------------------

    def stream_started(
        self,
        request: Request,
        echo: dict[str, JSONValue],
        subscription: StreamSubscription,
        seed: Seed,
        keepalive: float,
    ) -> Response:
        """POST conversations/: the docs promise 201 with the message echoed; a client that
        accepts `text/event-stream` gets the stream (the run happens either way)."""
        if accepts_event_stream(request.headers.get("accept", "")):
            return sse_response(subscription, seed, self.minimal_shape, keepalive)
        return json_response(echo, 201)

    def message_appended(self, message: dict[str, JSONValue]) -> Response:
        return json_response({"content": message["content"]})

    def conversation_canceled(self) -> Response:
        return Response(status_code=204)

    def sandbox_opened(self, run: SandboxRun) -> Response:
        return json_response(
            {
                "task_id": run.task_id,
                "run_id": run.run_id,
                "trace_id": run.trace_id,
                "run_status": run.run_status,
                "just_created_run": run.just_created_run,
            }
        )

    def sandbox_not_provisioned(self) -> Response:
        """A warm open that provisioned nothing (the docs and the server agree: 204)."""
        return Response(status_code=204)

    # Contract ----------------------------------------------------------------------------

    @cached_property
    def openapi_yaml(self) -> str:
        """The profile's OpenAPI document as YAML, with a comment that says where it comes from."""
        return openapi_documents.as_yaml(self.name)

    @cached_property
    def openapi_document(self) -> bytes:
        """The same document as JSON, as `/api/schema/` serves it (built once, then kept)."""
        return dumps(openapi_documents.openapi_document(self.name))

    def schema(self) -> Response:
        return Response(self.openapi_document, media_type="application/json")


class ActualProfile(Profile):
    """What PostHog's server code really does."""

    name: ClassVar[str] = "actual"
    description: ClassVar[str] = "what PostHog's server code really does"
    accepts_session_auth: ClassVar[bool] = True
    keys_allowed_on_unscoped_actions: ClassVar[bool] = False
    conversation_shape: ClassVar[serializers.ConversationShape] = serializers.ConversationShape(
        serializers.ACTUAL_FIELDS
    )
    minimal_shape: ClassVar[serializers.ConversationShape] = serializers.ConversationShape(
        serializers.ACTUAL_MINIMAL_FIELDS
    )

    def queue(self, conversation: Conversation, seed: Seed) -> Response:
        body = RENDERED.queue_json(conversation, seed, serializers.render_queue)
        return Response(body, media_type=JSON_MEDIA_TYPE)

    def queue_item_deleted(self, conversation: Conversation, seed: Seed) -> Response:
        return self.queue(conversation, seed)

    def stream_started(
        self,
        request: Request,
        echo: dict[str, JSONValue],
        subscription: StreamSubscription,
        seed: Seed,
        keepalive: float,
    ) -> Response:
        return sse_response(subscription, seed, self.minimal_shape, keepalive)

    def message_appended(self, message: dict[str, JSONValue]) -> Response:
        return json_response({"id": message["id"]}, 201)


PROFILES: Final[dict[str, Profile]] = {
    profile.name: profile for profile in (Profile(), ActualProfile())
}


def profile_named(name: str) -> Profile:
    """The profile called `name`; raises ValueError naming the valid choices."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown profile {name!r}; choose one of: {choices}") from None


def profile_for(request: Request, default: Profile) -> Profile:
    """The server's profile, or the one the request asks for with `X-Fakeserver-Profile`."""
    requested = request.headers.get(PROFILE_HEADER)
    if requested is None:
        return default
    exact = PROFILES.get(requested)  # as clients send it: no spaces, lower case
    if exact is not None:
        return exact
    try:
        return profile_named(requested.strip().lower())
    except ValueError as error:
        raise envelope(
            400, "invalid_request", "invalid_profile", f"X-Fakeserver-Profile: {error}."
        ) from None
