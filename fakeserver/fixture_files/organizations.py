"""A fixture's organizations and its `limits:` setting: what PostHog's limits depend on.

A project belongs to the organization it names, else to the implicit `default` one (which a
fixture may define to make it paying or over its quota). An organization with a `customer_id`
is paying: its AI throttles are off. One with `ai_credit_quota_exceeded: true` gets 402 on
create and open. A project with `research_exempt: true` is on the research exemption list.
"""

from __future__ import annotations

from typing import Final

from fakeserver.domain.limits import LIMIT_MODES
from fakeserver.domain.models import DEFAULT_ORGANIZATION, AiUsage, Organization
from fakeserver.fixture_files import values as v
from fakeserver.fixture_files.records import Located, Problems, Record

ORGANIZATION_KEYS: Final = {"id", "name", "customer_id", "ai_credit_quota_exceeded"}
AI_USAGE_KEYS: Final = {
    "conversation_credits",
    "period_credits",
    "free_tier_credits",
    "billing_period_start",
    "billing_period_end",
}


def _credits(value: object) -> int:
    credits = v.integer(value)
    if credits < 0:
        raise v.InvalidValue(f"expected a count of credits (0 or more), got {credits}")
    return credits


LIMITS: Final = v.nullable(v.choice(LIMIT_MODES))


def read_ai_usage(project: Record) -> AiUsage:
    """A project's `ai_usage:` (what `/usage` reports); PostHog's defaults without one."""
    if "ai_usage" not in project.data:
        return AiUsage()
    record = project.record("ai_usage", AI_USAGE_KEYS)
    start = record.optional("billing_period_start", v.timestamp, None)
    end = record.optional("billing_period_end", v.timestamp, None)
    if (start is None) != (end is None) or (start is not None and end is not None and start >= end):
        record.problems.add(
            record.source,
            record.path,
            "billing_period_start and billing_period_end go together, start first",
        )
    period = (start, end) if start is not None and end is not None and start < end else None
    return AiUsage(
        conversation_credits=record.optional("conversation_credits", _credits, 0),
        period_credits=record.optional("period_credits", _credits, 0),
        free_tier_credits=record.optional("free_tier_credits", _credits, 2000),
        billing_period=period,
    )


class OrganizationsReader:
    """Reads the `organizations:` records and the `limits:` setting of each file in turn."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.organizations: dict[str, Located] = {}
        self.limits: str | None = None
        """The last file's `limits:` that sets one."""

    def read(self, top: Record) -> None:
        for record in top.records("organizations", ORGANIZATION_KEYS):
            self._organization(record)
        limits = top.optional("limits", LIMITS, None)
        if limits is not None:
            self.limits = limits

    def _organization(self, record: Record) -> None:
        organization_id = record.required("id", v.non_blank_string)
        organization = Organization(
            id=organization_id or "",
            name=record.optional("name", v.string, f"Organization {organization_id}"),
            customer_id=record.optional("customer_id", v.nullable(v.non_blank_string), None),
            ai_credit_quota_exceeded=record.optional("ai_credit_quota_exceeded", v.boolean, False),
        )
        if organization_id is None:
            return
        earlier = self.organizations.get(organization_id)
        if earlier is not None and earlier.source == record.source:
            self.problems.add(
                record.source,
                record.path,
                f"duplicate organization id {organization_id} (also at {earlier.path})",
            )
            return
        self.organizations[organization_id] = Located(organization, record.source, record.path)

    def resolve(self, projects: dict[int, Located]) -> list[Organization]:
        """Every organization, after checking that each project's exists."""
        for located in projects.values():
            organization_id = located.value.organization_id
            if (
                organization_id != DEFAULT_ORGANIZATION
                and organization_id not in self.organizations
            ):
                self.problems.add(
                    located.source,
                    f"{located.path}.organization",
                    f"no organization with id {organization_id}",
                )
        return [located.value for located in self.organizations.values()]
