"""Reading the first answer of a target: is it PostHog, does the key work, is the project there?

Each refusal becomes a one-line `TargetError` that says what to fix.
"""

from __future__ import annotations

import re
from typing import Any, Final

from fakeserver.conformance.client import Answer, TargetError

_MISSING_SCOPE: Final = re.compile(r"missing required scope '([^']+)'")


def detail(answer: Answer) -> str:
    """The answer's `detail` or `error` text, else its first line (at most 200 characters)."""
    body: Any = answer.json if answer.is_json else None
    if isinstance(body, dict):
        for key in ("detail", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return answer.text.strip().splitlines()[0][:200] if answer.text.strip() else ""


def check_list_answer(answer: Answer, project_id: int, origin: str) -> dict[str, Any]:
    """The page of a successful `GET conversations/`, or a TargetError naming the fix."""
    said = detail(answer)
    if answer.status == 401:
        raise TargetError(
            f"{origin} refused the personal API key (401: {said or 'not authenticated'}); "
            "check --personal-api-key (a key from Settings > Personal API keys)"
        )
    if answer.status == 403:
        scope = _MISSING_SCOPE.search(said)
        if scope is not None:
            raise TargetError(
                f"the personal API key lacks the scope {scope.group(1)}; give it "
                "conversation:read (and conversation:write for --allow-writes)"
            )
        raise TargetError(
            f"no access to project {project_id} ({said or 'forbidden'}); check --project and "
            "the projects the key is limited to"
        )
    if answer.status == 404 and "project" in said.lower():
        raise TargetError(
            f"project {project_id} not found on {origin} ({said or 'not found'}); check "
            "--project, and that --target is the instance (US or EU cloud) that holds it"
        )
    if answer.status >= 500:
        raise TargetError(
            f"{origin} answered {answer.status} ({said or 'a server error'}) to "
            f"GET /api/projects/{project_id}/conversations/; the target has a problem, try later"
        )
    page = answer.json if answer.is_json else None
    if (
        answer.status != 200
        or not isinstance(page, dict)
        or not isinstance(page.get("results"), list)
    ):
        raise TargetError(
            f"{origin} answered {answer.status} {answer.content_type or 'without a body'} to "
            f"GET /api/projects/{project_id}/conversations/, not PostHog's conversation list; "
            "check --target"
        )
    return page
