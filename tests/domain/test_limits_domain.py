"""PostHog's limits as domain rules, without HTTP: the clock, windows, waits, texts,
exemptions, quota and research classification (over HTTP: tests/api/test_limits.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fakeserver.domain.clock import Clock
from fakeserver.domain.limits import (
    AI_BURST,
    AI_RESEARCH_BURST,
    AI_RESEARCH_SUSTAINED,
    AI_SUSTAINED,
    KEY_BURST,
    KEY_RATES,
    KEY_SUSTAINED,
    OFF,
    POSTHOG,
    POSTHOG_DEBUG,
    QUOTA_DETAIL,
    USER_RATES,
    Limiter,
    Rate,
    SlidingWindow,
    Throttled,
    is_research_request,
    limit_mode,
    retry_after_phrase,
    retry_after_seconds,
)
from fakeserver.domain.models import Conversation, Organization, PersonalApiKey, Project, User
from fakeserver.domain.store import Seed
from fakeserver.domain.workspace import Workspace

T0 = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
FREE = Project(1, "free")
PAYING = Project(2, "paying", organization_id="acme")
EXEMPT = Project(3, "exempt", research_exempt=True)
KEY = PersonalApiKey("phx_key", 1, frozenset({"*"}))
OTHER_KEY = PersonalApiKey("phx_other", 1, frozenset({"*"}))


def seed() -> Seed:
    user = User(1, "u", "a@b.c", "A", "", None, True, None, None, frozenset({1, 2, 3}), 1)
    return Seed.build(
        projects=[FREE, PAYING, EXEMPT],
        users=[user],
        api_keys=[KEY, OTHER_KEY],
        conversations=[],
        organizations=[Organization("acme", customer_id="cus_1"), Organization("broke")],
    )


def frozen_clock() -> Clock:
    clock = Clock()
    clock.freeze()
    return clock


def limiter(mode: str = POSTHOG) -> Limiter:
    return Limiter(seed(), frozen_clock(), mode)


# The clock --------------------------------------------------------------------------------


def test_clock_moves_forward_when_told_and_holds_still_when_frozen() -> None:
    clock = frozen_clock()
    start = clock.now()
    assert clock.now() == start
    clock.advance(60)
    assert (clock.now() - start).total_seconds() == 60
    assert clock.seconds() == pytest.approx(start.timestamp() + 60)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_clock_refuses_to_go_back_or_to_no_time(seconds: float) -> None:
    clock = frozen_clock()
    before = clock.now()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(seconds)
    assert clock.now() == before


def test_unfreezing_resumes_from_the_held_time_and_reset_returns_to_the_wall_clock() -> None:
    clock = frozen_clock()
    clock.advance(3600)
    held = clock.now()
    clock.unfreeze()
    assert not clock.frozen
    assert clock.now() >= held
    assert (clock.now() - held).total_seconds() < 3000  # it did not jump back to the wall clock
    clock.reset()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 3000


# Windows: DRF's SimpleRateThrottle ---------------------------------------------------------


def test_window_admits_up_to_its_limit_then_refuses_without_counting() -> None:
    window = SlidingWindow(Rate("t", 3, 60))
    assert [window.admit(100.0) for _ in range(4)] == [True, True, True, False]
    assert window.used(100.0) == 3


def test_a_request_drops_out_exactly_one_period_later() -> None:
    window = SlidingWindow(Rate("t", 1, 60))
    assert window.admit(100.0)
    assert not window.admit(159.999)
    assert window.admit(160.0)


def test_wait_is_the_oldest_requests_remaining_time_over_the_free_places() -> None:
    window = SlidingWindow(Rate("t", 2, 60))
    window.admit(100.0)
    window.admit(130.0)
    assert window.wait(145.0) == 15.0  # full: (60 - 45) / (2 - 2 + 1)
    assert window.resets_in(145.0) == 15.0
    fresh = SlidingWindow(Rate("t", 4, 60))
    fresh.admit(100.0)
    assert fresh.wait(110.0) == 50 / 4  # DRF spreads the rest of the period over the free places
    assert SlidingWindow(Rate("t", 4, 60)).wait(0.0) == 60 / 5


def test_rates_are_posthogs() -> None:
    rates = {rate.scope: rate.text for rate in (*USER_RATES, *KEY_RATES)}
    assert rates == {
        "ai_burst": "10/minute",
        "ai_sustained": "100/day",
        "ai_research_burst": "3/minute",
        "ai_research_sustained": "10/day",
        "burst": "480/minute",
        "sustained": "4800/hour",
    }


# Texts and Retry-After ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wait", "phrase"),
    [
        (0.4, "in 0 seconds"),
        (59.99, "in 59 seconds"),
        (60.0, "in 1 minutes"),
        (3599.0, "in 59 minutes"),
        (3600.0, "later today"),
        (None, "later"),
    ],
)
def test_retry_after_phrase_truncates_as_posthog_does(wait: float | None, phrase: str) -> None:
    assert retry_after_phrase(wait) == phrase


def test_retry_after_header_rounds_up() -> None:
    assert [retry_after_seconds(w) for w in (0.2, 1.0, 59.01, None)] == [1, 1, 60, None]


def test_ai_detail_carries_posthogs_wording_then_drfs_sentence() -> None:
    refusal = Throttled(AI_BURST, 42.5, "ai")
    assert refusal.detail == (
        "You've reached PostHog AI's usage limit for the moment. Please try again in 42 seconds."
        " Expected available in 43 seconds."
    )
    assert refusal.retry_after == 43


def test_research_detail() -> None:
    refusal = Throttled(AI_RESEARCH_SUSTAINED, 7200.0, "ai_research")
    assert refusal.detail == (
        "You've reached the usage limit for Research mode, which is currently in beta with "
        "limited capacity. Please try again later today, or switch to a regular conversation "
        "for continued access. Expected available in 7200 seconds."
    )


def test_key_detail_is_drfs_default_with_singular_and_plural() -> None:
    assert Throttled(KEY_BURST, 0.5, "api_key").detail == (
        "Request was throttled. Expected available in 1 second."
    )
    assert Throttled(KEY_BURST, 30.0, "api_key").detail == (
        "Request was throttled. Expected available in 30 seconds."
    )
    assert Throttled(KEY_BURST, None, "api_key").detail == "Request was throttled."


def test_quota_detail() -> None:
    assert QUOTA_DETAIL == (
        "Your organization reached its AI credit usage limit. Increase the limits in Billing "
        "settings, or ask an org admin to do so."
    )


# AI throttles ---------------------------------------------------------------------------------


def test_the_eleventh_create_in_a_minute_is_throttled_and_a_minute_later_admitted() -> None:
    limits = limiter()
    assert [limits.check_ai(1, FREE, research=False) for _ in range(10)] == [None] * 10
    limits.clock.advance(1)
    refusal = limits.check_ai(1, FREE, research=False)
    assert refusal is not None
    assert (refusal.rate, refusal.wait, refusal.retry_after) == (AI_BURST, 59.0, 59)
    assert "Please try again in 59 seconds." in refusal.detail
    limits.clock.advance(59)
    assert limits.check_ai(1, FREE, research=False) is None


def test_ai_windows_are_per_user() -> None:
    limits = limiter()
    for _ in range(10):
        limits.check_ai(1, FREE, research=False)
    assert limits.check_ai(1, FREE, research=False) is not None
    assert limits.check_ai(2, FREE, research=False) is None


def test_the_sustained_window_refuses_the_101st_of_a_day_in_minutes() -> None:
    limits = limiter()
    for _ in range(10):
        for _ in range(10):
            assert limits.check_ai(1, FREE, research=False) is None
        limits.clock.advance(60)
    refusal = limits.check_ai(1, FREE, research=False)
    assert refusal is not None and refusal.rate == AI_SUSTAINED
    assert refusal.wait == 86400 - 600
    assert "Please try again later today." in refusal.detail
    # The burst window had room, so it counted the refused request (it runs first).
    assert limits.budgets((AI_BURST,), 1)[0].used == 1


def test_a_request_refused_by_the_burst_window_is_not_counted_by_the_sustained_one() -> None:
    limits = limiter()
    for _ in range(11):
        limits.check_ai(1, FREE, research=False)
    budgets = {b.throttle: b for b in limits.budgets(USER_RATES, 1)}
    assert (budgets["ai_burst"].used, budgets["ai_sustained"].used) == (10, 10)


def test_research_requests_have_their_own_windows_and_text() -> None:
    limits = limiter()
    assert [limits.check_ai(1, FREE, research=True) for _ in range(3)] == [None] * 3
    refusal = limits.check_ai(1, FREE, research=True)
    assert refusal is not None and refusal.rate == AI_RESEARCH_BURST
    assert refusal.detail.startswith("You've reached the usage limit for Research mode")
    assert limits.check_ai(1, FREE, research=False) is None  # the normal windows are untouched


def test_a_paying_organization_is_never_throttled_but_its_research_is() -> None:
    limits = limiter()
    assert all(limits.check_ai(1, PAYING, research=False) is None for _ in range(200))
    assert [limits.check_ai(1, PAYING, research=True) is None for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]


def test_a_research_exempt_team_is_not_throttled_in_research_but_is_otherwise() -> None:
    limits = limiter()
    assert all(limits.check_ai(1, EXEMPT, research=True) is None for _ in range(50))
    results = [limits.check_ai(1, EXEMPT, research=False) for _ in range(11)]
    assert results[-1] is not None and results[-1].rate == AI_BURST


@pytest.mark.parametrize("mode", [OFF, POSTHOG_DEBUG])
def test_nothing_is_throttled_when_off_or_in_debug(mode: str) -> None:
    limits = limiter(mode)
    assert all(limits.check_ai(1, FREE, research=False) is None for _ in range(50))
    assert all(limits.check_key(KEY) is None for _ in range(500))


# API-key rate limits ---------------------------------------------------------------------


def test_the_481st_request_of_a_key_in_a_minute_is_throttled_per_key() -> None:
    limits = limiter()
    assert all(limits.check_key(KEY) is None for _ in range(480))
    limits.clock.advance(15)
    refusal = limits.check_key(KEY)
    assert refusal is not None and refusal.rate == KEY_BURST
    assert refusal.detail == "Request was throttled. Expected available in 45 seconds."
    assert limits.check_key(OTHER_KEY) is None
    limits.clock.advance(45)
    assert limits.check_key(KEY) is None


def test_the_sustained_key_window_refuses_and_reports_the_longest_wait() -> None:
    limits = limiter()
    for _ in range(10):
        for _ in range(480):
            assert limits.check_key(KEY) is None
        limits.clock.advance(60)
    refusal = limits.check_key(KEY)
    assert refusal is not None and refusal.rate == KEY_SUSTAINED
    assert refusal.wait == 3600 - 600
    budgets = {b.throttle: b for b in limits.budgets(KEY_RATES, KEY.value)}
    assert (budgets["burst"].used, budgets["sustained"].remaining) == (1, 0)


# Quota ---------------------------------------------------------------------------------------


def test_quota_comes_from_the_organization_and_can_be_flipped_until_a_reset() -> None:
    data = seed()
    limits = Limiter(data, frozen_clock(), POSTHOG)
    assert not limits.quota_exceeded(FREE)
    limits.set_quota_exceeded("default", True)
    assert limits.quota_exceeded(FREE) and not limits.quota_exceeded(PAYING)
    with pytest.raises(KeyError):
        limits.set_quota_exceeded("nope", True)
    limits.reset()
    assert not limits.quota_exceeded(FREE)


def test_a_fixture_organization_can_start_over_its_quota() -> None:
    over = Seed.build(
        projects=[Project(1, "p", organization_id="broke")],
        users=[],
        api_keys=[],
        conversations=[],
        organizations=[Organization("broke", ai_credit_quota_exceeded=True)],
    )
    assert Limiter(over, Clock(), POSTHOG).quota_exceeded(Project(1, "p", "broke"))


# Research classification ------------------------------------------------------------------


def research_store() -> dict[str, Conversation]:
    def conversation(conversation_id: str, **fields: object) -> Conversation:
        return Conversation(conversation_id, 1, 1, T0, T0, **fields)  # type: ignore[arg-type]

    return {
        "deep": conversation("deep", type="deep_research"),
        "gone": conversation("gone", type="deep_research", deleted=True),
        "plain": conversation("plain"),
    }


@pytest.mark.parametrize(
    ("data", "research"),
    [
        ({"agent_mode": "research"}, True),
        ({"agent_mode": "sql", "conversation": "deep"}, True),
        ({"conversation": "deep"}, True),
        ({"conversation": "gone"}, False),
        ({"conversation": "plain"}, False),
        ({"conversation": "missing"}, False),
        ({"conversation": 7}, False),
        ([1, 2], False),
        ("text", False),
    ],
)
def test_research_classification(data: object, research: bool) -> None:
    assert is_research_request(data, 1, research_store().get) is research


def test_a_deep_research_conversation_of_another_project_is_not_research_here() -> None:
    assert not is_research_request({"conversation": "deep"}, 2, research_store().get)


# Modes, and the workspace --------------------------------------------------------------------


def test_unknown_mode_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="off, posthog, posthog-debug"):
        limit_mode("strict")


def test_workspace_limits_are_off_until_asked_and_reset_with_it() -> None:
    workspace = Workspace(seed(), frozen_clock())
    assert workspace.limits is None
    workspace.set_limit_mode(POSTHOG)
    assert workspace.limits is workspace.limiter
    for _ in range(10):
        workspace.limiter.check_ai(1, FREE, research=False)
    workspace.limiter.set_quota_exceeded("default", True)
    workspace.clock.advance(5)
    workspace.reset()
    assert workspace.limits is workspace.limiter  # the mode stays
    assert workspace.limiter.check_ai(1, FREE, research=False) is None
    assert not workspace.limiter.quota_exceeded(FREE)
    assert not workspace.clock.frozen
    workspace.set_limit_mode(OFF)
    assert workspace.limits is None


def test_budgets_show_what_is_left_of_each_window() -> None:
    limits = limiter()
    for _ in range(4):
        limits.check_ai(1, FREE, research=False)
    limits.clock.advance(20)
    burst = limits.budgets(USER_RATES, 1)[0]
    assert (burst.throttle, burst.rate, burst.limit, burst.used, burst.remaining) == (
        "ai_burst",
        "10/minute",
        10,
        4,
        6,
    )
    assert burst.resets_in_seconds == 40.0
    untouched = limits.budgets(KEY_RATES, KEY.value)[1]
    assert (untouched.used, untouched.remaining, untouched.resets_in_seconds) == (0, 4800, None)
