"""PostHog's limits on the conversations API: rules over counters, on the workspace's clock.

- **AI throttles** (`create`, `open`), per user: `ai_burst` 10/minute then `ai_sustained`
  100/day; a research request counts in `ai_research_burst` 3/minute then
  `ai_research_sustained` 10/day instead (posthog/rate_limit.py; ee/api/conversation.py
  `check_throttles`). The windows are tried in order and the first full one refuses, so the
  windows before it have counted the refused request.
- **API-key rate limits** (every other action), per personal API key found in the
  Authorization header or the query string: `burst` 480/minute and `sustained` 4800/hour
  (`BurstRateThrottle`, `SustainedRateThrottle`). As DRF's `APIView.check_throttles` runs them,
  every window is tried, each one that admits the request counts it, and the longest wait
  is reported.
- **AI-credit quota** (`create`, `open`): refused while the organization is over it.

Each window is DRF's `SimpleRateThrottle`: the times of the requests it counted; a time drops
out once it is a whole period old; a request is refused while `limit` times remain, and the
wait it is told is `(period - age of the oldest time) / (limit - count + 1)`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fakeserver.domain.clock import Clock
from fakeserver.domain.models import Conversation, PersonalApiKey, Project
from fakeserver.domain.store import Seed

MINUTE: Final = 60
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR

OFF: Final = "off"
POSTHOG: Final = "posthog"
POSTHOG_DEBUG: Final = "posthog-debug"
LIMIT_MODES: Final = (OFF, POSTHOG, POSTHOG_DEBUG)
"""`off`: nothing is limited (the default). `posthog`: PostHog Cloud's limits. `posthog-debug`:
a PostHog running with DEBUG on (self-hosted development): no throttle applies (the AI ones
are skipped in DEBUG, and RATE_LIMIT_ENABLED, which gates the API-key ones, is off unless set),
while the AI-credit quota still does."""

AI_ACTIONS: Final = frozenset({"create", "open"})
"""The actions PostHog gives the AI throttles and the AI-credit quota; every other action of
the viewset has the API-key rate limits."""

QUOTA_DETAIL: Final = (
    "Your organization reached its AI credit usage limit. Increase the limits in Billing "
    "settings, or ask an org admin to do so."
)
AI_THROTTLE_DETAIL: Final = (
    "You've reached PostHog AI's usage limit for the moment. Please try again {retry_after}."
)
RESEARCH_THROTTLE_DETAIL: Final = (
    "You've reached the usage limit for Research mode, which is currently in beta with limited "
    "capacity. Please try again {retry_after}, or switch to a regular conversation for "
    "continued access."
)
DRF_THROTTLE_DETAIL: Final = "Request was throttled."
RESEARCH_MODE: Final = "research"
RESEARCH_TYPE: Final = "deep_research"

_PERIOD_NAMES: Final = {1: "second", MINUTE: "minute", HOUR: "hour", DAY: "day"}


def limit_mode(name: str) -> str:
    """`name` if it is a limits mode; raises ValueError naming the modes otherwise."""
    if name not in LIMIT_MODES:
        raise ValueError(
            f"unknown limits mode {name!r} (expected one of: {', '.join(LIMIT_MODES)})"
        )
    return name


@dataclass(frozen=True, slots=True)
class Rate:
    """One of PostHog's throttles: its scope (the name of its counters) and its rate."""

    scope: str
    limit: int
    period: int
    """Seconds."""

    @property
    def text(self) -> str:
        """The rate as PostHog writes it, e.g. `10/minute`."""
        return f"{self.limit}/{_PERIOD_NAMES[self.period]}"


AI_BURST: Final = Rate("ai_burst", 10, MINUTE)
AI_SUSTAINED: Final = Rate("ai_sustained", 100, DAY)
AI_RESEARCH_BURST: Final = Rate("ai_research_burst", 3, MINUTE)
AI_RESEARCH_SUSTAINED: Final = Rate("ai_research_sustained", 10, DAY)
KEY_BURST: Final = Rate("burst", 480, MINUTE)
KEY_SUSTAINED: Final = Rate("sustained", 4800, HOUR)

AI_RATES: Final = (AI_BURST, AI_SUSTAINED)
AI_RESEARCH_RATES: Final = (AI_RESEARCH_BURST, AI_RESEARCH_SUSTAINED)
USER_RATES: Final = (*AI_RATES, *AI_RESEARCH_RATES)
KEY_RATES: Final = (KEY_BURST, KEY_SUSTAINED)


# Texts and the Retry-After arithmetic -----------------------------------------------------


def retry_after_phrase(wait: float | None) -> str:
    """How the AI throttles word the wait: truncated, not rounded (`int(wait)`), and "minutes"
    even for one."""
    if wait is None:
        return "later"
    if wait < MINUTE:
        return f"in {int(wait)} seconds"
    if wait < HOUR:
        return f"in {int(wait / MINUTE)} minutes"
    return "later today"


def retry_after_seconds(wait: float | None) -> int | None:
    """DRF's `Throttled.wait` (the Retry-After header and the "Expected available" figure):
    the wait rounded up to whole seconds, None when there is none."""
    return None if wait is None else math.ceil(wait)


def expected_available(wait: float | None) -> str:
    """The sentence DRF's `Throttled` appends to every detail when it is given a wait."""
    seconds = retry_after_seconds(wait)
    if seconds is None:
        return ""
    unit = "second" if seconds == 1 else "seconds"
    return f" Expected available in {seconds} {unit}."


# Windows ----------------------------------------------------------------------------------


class SlidingWindow:
    """The times of the requests one throttle counted for one user or key, oldest first."""

    __slots__ = ("history", "rate")

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.history: deque[float] = deque()

    def _expire(self, now: float) -> None:
        cutoff = now - self.rate.period
        history = self.history
        while history and history[0] <= cutoff:
            history.popleft()

    def admit(self, now: float) -> bool:
        """Count a request at `now` if the window has room; False (nothing counted) if not."""
        self._expire(now)
        if len(self.history) >= self.rate.limit:
            return False
        self.history.append(now)
        return True

    def wait(self, now: float) -> float | None:
        """DRF's `SimpleRateThrottle.wait`: the recommended seconds before the next request."""
        self._expire(now)
        history = self.history
        remaining = self.rate.period - (now - history[0]) if history else self.rate.period
        available = self.rate.limit - len(history) + 1
        return remaining / available if available > 0 else None

    def used(self, now: float) -> int:
        self._expire(now)
        return len(self.history)

    def resets_in(self, now: float) -> float | None:
        """Seconds until the oldest counted request drops out, None when none is counted."""
        self._expire(now)
        return self.rate.period - (now - self.history[0]) if self.history else None


# Decisions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throttled:
    """A request refused by a throttle: what PostHog answers with a 429."""

    rate: Rate
    wait: float | None
    kind: str
    """`ai`, `ai_research` or `api_key`: which family of throttles refused it."""

    @property
    def detail(self) -> str:
        if self.kind == "api_key":
            return DRF_THROTTLE_DETAIL + expected_available(self.wait)
        template = RESEARCH_THROTTLE_DETAIL if self.kind == "ai_research" else AI_THROTTLE_DETAIL
        # PostHog raises DRF's Throttled(wait=..., detail=...), which appends its own sentence.
        return template.format(retry_after=retry_after_phrase(self.wait)) + expected_available(
            self.wait
        )

    @property
    def retry_after(self) -> int | None:
        return retry_after_seconds(self.wait)

    def as_json(self) -> dict[str, Any]:
        """How the journal and the control API describe the refusal."""
        return {
            "limit": self.kind,
            "throttle": self.rate.scope,
            "rate": self.rate.text,
            "wait_seconds": self.wait,
            "retry_after": self.retry_after,
        }


QUOTA_REFUSAL: Final = {"limit": "ai_credit_quota", "throttle": None, "rate": None}
"""How the journal describes a request refused for the AI-credit quota."""


def is_research_request(
    data: Any, project_id: int, find: Callable[[str], Conversation | None]
) -> bool:
    """PostHog's `_is_research_request`: the body asks for research mode, or names an existing,
    non-deleted deep-research conversation of the project (any user's). Read before the body
    is validated, so any body is classified."""
    if not isinstance(data, dict):
        return False
    if data.get("agent_mode") == RESEARCH_MODE:
        return True
    conversation_id = data.get("conversation")
    if not (conversation_id and isinstance(conversation_id, str)):
        return False  # PostHog's lookup fails on it, which counts as not research
    conversation = find(conversation_id)
    return (
        conversation is not None
        and not conversation.deleted
        and conversation.project_id == project_id
        and conversation.type == RESEARCH_TYPE
    )


@dataclass(frozen=True, slots=True)
class WindowBudget:
    """What is left of one window for one user or key."""

    throttle: str
    rate: str
    limit: int
    used: int
    remaining: int
    resets_in_seconds: float | None


class Limiter:
    """One workspace's limits: the mode, the counters, and the AI-credit quota as changed at
    run time. `reset` puts all of it but the mode back to the seed's state."""

    def __init__(self, seed: Seed, clock: Clock, mode: str = OFF) -> None:
        self.seed = seed
        self.clock = clock
        self.mode = limit_mode(mode)
        self._windows: dict[tuple[str, object], SlidingWindow] = {}
        self._quota: dict[str, bool] = {}
        """Organization id -> over its AI-credit quota, where changed at run time."""

    @property
    def throttling(self) -> bool:
        return self.mode == POSTHOG

    def reset(self, seed: Seed | None = None) -> None:
        self.seed = seed or self.seed
        self._windows.clear()
        self._quota.clear()

    def _window(self, rate: Rate, ident: object) -> SlidingWindow:
        key = (rate.scope, ident)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(rate)
        return window

    # The rules ---------------------------------------------------------------------------

    def ai_rates(self, project: Project, research: bool) -> tuple[Rate, ...]:
        """The AI throttles a request is held to, after PostHog's exemptions."""
        if not self.throttling:
            return ()
        if research:
            return () if project.research_exempt else AI_RESEARCH_RATES
        return () if self.seed.organization_of(project).is_paying else AI_RATES

    def check_ai(self, user_id: int, project: Project, research: bool) -> Throttled | None:
        """Count a create/open request against its user's AI windows; the refusal, if any."""
        now = self.clock.seconds()
        for rate in self.ai_rates(project, research):
            window = self._window(rate, user_id)
            if not window.admit(now):
                return Throttled(rate, window.wait(now), "ai_research" if research else "ai")
        return None

    def check_key(self, key: PersonalApiKey) -> Throttled | None:
        """Count a request made with a personal API key against the key's windows."""
        if not self.throttling:
            return None
        now = self.clock.seconds()
        refusals = []
        for rate in KEY_RATES:
            window = self._window(rate, key.value)
            if not window.admit(now):  # every window is tried: the others still count it
                refusals.append(Throttled(rate, window.wait(now), "api_key"))
        if not refusals:
            return None
        waits = [refusal for refusal in refusals if refusal.wait is not None]
        return max(waits, key=lambda refusal: refusal.wait or 0.0) if waits else refusals[0]

    def quota_exceeded(self, project: Project) -> bool:
        """Whether the project's organization is over its AI-credit quota."""
        organization = self.seed.organization_of(project)
        return self._quota.get(organization.id, organization.ai_credit_quota_exceeded)

    def organization_quota_exceeded(self, organization_id: str) -> bool:
        organization = self.seed.organizations[organization_id]
        return self._quota.get(organization_id, organization.ai_credit_quota_exceeded)

    def set_quota_exceeded(self, organization_id: str, exceeded: bool) -> None:
        """Put an organization over its AI-credit quota, or back under it (until a reset).
        Raises KeyError for an organization the seed does not have."""
        if organization_id not in self.seed.organizations:
            raise KeyError(organization_id)
        self._quota[organization_id] = exceeded

    # What is left ------------------------------------------------------------------------

    def budgets(self, rates: tuple[Rate, ...], ident: object) -> list[WindowBudget]:
        """What is left of each window for a user (`USER_RATES`) or a key (`KEY_RATES`)."""
        now = self.clock.seconds()
        return [self._budget(rate, ident, now) for rate in rates]

    def _budget(self, rate: Rate, ident: object, now: float) -> WindowBudget:
        window = self._windows.get((rate.scope, ident))
        used = window.used(now) if window is not None else 0
        resets_in = window.resets_in(now) if window is not None else None
        return WindowBudget(
            rate.scope, rate.text, rate.limit, used, max(rate.limit - used, 0), resets_in
        )
