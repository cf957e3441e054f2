"""PostHog's limits applied where PostHog applies them, and answered as PostHog answers.

DRF runs a view's throttles in `initial()`, after authentication and the permission checks and
before the action: so a request that gets a 401, 403 or 404 from those is never counted. The
AI-credit quota is the first thing `create` and `open` do, before their body is validated.
Only called while a namespace's limits are on (`Workspace.limits`): with them off, a request
pays one attribute check and nothing of this module.
"""

from __future__ import annotations

from typing import Any, Final

from fakeserver.api import errors
from fakeserver.api.auth import Caller
from fakeserver.api.body import RequestBody
from fakeserver.domain.limits import (
    AI_ACTIONS,
    QUOTA_DETAIL,
    QUOTA_REFUSAL,
    Limiter,
    Throttled,
    is_research_request,
)
from fakeserver.domain.models import Project
from fakeserver.domain.workspace import Workspace

UNTHROTTLED_KEY_SOURCE: Final = "body"
"""PostHog's API-key throttles look for the key as authentication does, but without the body
(`find_key_with_source(request, request_data={})`): a request whose key is in its body is
authenticated by it, and counted as if it had come with a session, which is not at all."""


class LimitRefusal(errors.ApiError):
    """An answer given because of one of PostHog's limits; `limit` says which, for the journal."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str], limit: dict[str, Any]
    ) -> None:
        super().__init__(status, body, headers)
        self.limit = limit


def throttled(refusal: Throttled) -> LimitRefusal:
    """DRF's `Throttled` in drf-exceptions-hog's envelope, with `Retry-After` in whole seconds."""
    body = {"type": "throttled_error", "code": "throttled", "detail": refusal.detail, "attr": None}
    seconds = refusal.retry_after
    headers = {"Retry-After": str(seconds)} if seconds else {}
    return LimitRefusal(429, body, headers, refusal.as_json())


def quota_exceeded() -> LimitRefusal:
    """PostHog's `QuotaLimitExceeded` (an APIException, so typed server_error)."""
    body = {
        "type": "server_error",
        "code": "quota_limit_exceeded",
        "detail": QUOTA_DETAIL,
        "attr": None,
    }
    return LimitRefusal(402, body, {}, dict(QUOTA_REFUSAL))


async def apply_limits(
    limiter: Limiter,
    action: str,
    caller: Caller,
    project: Project,
    body: RequestBody,
    workspace: Workspace,
) -> None:
    """Count the request against its limits; raise the refusal if one refuses it."""
    if action in AI_ACTIONS:
        # PostHog classifies before any exemption, reading the body (a malformed one is a 400).
        research = limiter.throttling and is_research_request(
            await body.data(), project.id, workspace.find
        )
        refusal = limiter.check_ai(caller.user.id, project, research)
        if refusal is not None:
            raise throttled(refusal)
        if limiter.quota_exceeded(project):
            raise quota_exceeded()
        return
    key = caller.key
    if key is not None and caller.key_source != UNTHROTTLED_KEY_SOURCE:
        refusal = limiter.check_key(key)
        if refusal is not None:
            raise throttled(refusal)
