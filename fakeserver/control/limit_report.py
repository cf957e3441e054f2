"""What a namespace's limits look like from outside: the mode, the clock, who is exempt and
what is left of each user's and key's windows (the control API and the state dump show it)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fakeserver.api.serializers import drf_datetime
from fakeserver.domain.limits import KEY_RATES, USER_RATES
from fakeserver.domain.workspace import Workspace


def limits_report(workspace: Workspace, mode: str) -> dict[str, Any]:
    limiter, seed = workspace.limiter, workspace.seed
    return {
        "mode": mode,
        "clock": clock_report(workspace),
        "organizations": [
            {
                "id": organization.id,
                "name": organization.name,
                "customer_id": organization.customer_id,
                "paying": organization.is_paying,
                "ai_credit_quota_exceeded": limiter.organization_quota_exceeded(organization.id),
            }
            for organization in seed.organizations.values()
        ],
        "projects": [
            {
                "id": project.id,
                "organization": project.organization_id,
                "research_exempt": project.research_exempt,
            }
            for project in seed.projects.values()
        ],
        "users": [
            {
                "user": user.id,
                "email": user.email,
                "windows": [asdict(budget) for budget in limiter.budgets(USER_RATES, user.id)],
            }
            for user in seed.users.values()
        ],
        "keys": [
            {
                "key": key.value,
                "user": key.user_id,
                "windows": [asdict(budget) for budget in limiter.budgets(KEY_RATES, key.value)],
            }
            for key in seed.api_keys.values()
        ],
    }


def clock_report(workspace: Workspace) -> dict[str, Any]:
    clock = workspace.clock
    return {"now": drf_datetime(clock.now()), "frozen": clock.frozen}
