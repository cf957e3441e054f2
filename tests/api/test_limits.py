"""PostHog's limits as a client meets them over HTTP: the 429 and 402 answers (status, body,
Retry-After), which requests count against which window, the order against authentication and
validation, exemptions, and that none of it happens unless asked.

The rules' arithmetic (windows, waits, texts) is tested without HTTP in
tests/domain/test_limits_domain.py; switching limits on and watching them (fixtures, control
API, journal, CLI, plugin) in tests/control/test_limits_control.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import (
    ADA_KEY,
    BOB_KEY,
    FULL_QUEUE,
    SANDBOX,
    ServerFactory,
    bearer,
    conversation_url,
    session,
)

from fakeserver import FakeServer
from fakeserver.fixture_files import default_fixture_path

LIST = "/api/projects/1/conversations/"
CREATE = LIST
OPEN = conversation_url(SANDBOX, "open/")
AI_TEXT = "You've reached PostHog AI's usage limit for the moment. Please try again {}."
RESEARCH_TEXT = (
    "You've reached the usage limit for Research mode, which is currently in beta with limited "
    "capacity. Please try again {}, or switch to a regular conversation for continued access."
)
QUOTA_BODY = {
    "type": "server_error",
    "code": "quota_limit_exceeded",
    "detail": "Your organization reached its AI credit usage limit. Increase the limits in "
    "Billing settings, or ask an org admin to do so.",
    "attr": None,
}
PAYING = {"organizations": [{"id": "default", "customer_id": "cus_123"}]}
OVER_QUOTA = {"organizations": [{"id": "default", "ai_credit_quota_exceeded": True}]}


def throttled(detail: str) -> dict[str, Any]:
    return {"type": "throttled_error", "code": "throttled", "detail": detail, "attr": None}


def message(**fields: Any) -> dict[str, Any]:
    return {
        "content": "How many signups last week?",
        "conversation": str(uuid.uuid4()),
        "trace_id": str(uuid.uuid4()),
        **fields,
    }


def create(http: httpx.Client, **fields: Any) -> httpx.Response:
    return http.post(CREATE, json=message(**fields))


@pytest.fixture
def limited(make_server: ServerFactory) -> Iterator[FakeServer]:
    """PostHog's limits on, the default fixture, a clock held still."""
    with make_server(limits="posthog") as server:
        server.freeze_clock()
        yield server


@pytest.fixture
def serve(make_server: ServerFactory) -> Callable[..., FakeServer]:
    """`serve(*extra_fixtures, limits="posthog", **settings)`: the default fixture and the
    extra ones, limits on unless told otherwise, a clock held still."""

    def factory(*extra: dict[str, Any], limits: str | None = "posthog", **settings: Any):
        server = make_server([default_fixture_path(), *extra], limits=limits, **settings)
        server.freeze_clock()
        return server

    return factory


# AI throttles on create and open ----------------------------------------------------------


def test_the_eleventh_create_in_a_minute_is_refused_until_the_clock_moves(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        assert [create(http).status_code for _ in range(10)] == [201] * 10
        limited.advance_clock(1)
        refused = create(http)
        assert refused.status_code == 429
        assert refused.json() == throttled(
            AI_TEXT.format("in 59 seconds") + " Expected available in 59 seconds."
        )
        assert refused.headers["retry-after"] == "59"
        limited.advance_clock(58)
        assert create(http).status_code == 429
        limited.advance_clock(1)  # 60 s after the first: it drops out of the window
        assert create(http).status_code == 201


def test_a_wait_of_minutes_is_worded_in_whole_minutes(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(10):  # ten a minute, ten minutes long: the daily window fills
            for _ in range(10):
                assert create(http).status_code == 201
            limited.advance_clock(60)
        limited.advance_clock(86400 - 600 - 150)  # the first drops out in 150 s
        refused = create(http)
    assert refused.json()["detail"] == (
        AI_TEXT.format("in 2 minutes") + " Expected available in 150 seconds."
    )
    assert refused.headers["retry-after"] == "150"


def test_open_shares_the_ai_windows_with_create(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(5):
            assert create(http).status_code == 201
            assert http.post(OPEN, json={"content": "Fix it"}).status_code == 200
        refused = http.post(OPEN, json={"content": "Fix it"})
    assert refused.status_code == 429
    assert refused.json()["detail"] == (
        AI_TEXT.format("in 1 minutes") + " Expected available in 60 seconds."
    )


def test_ai_windows_are_per_user(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as ada, limited.client(api_key=BOB_KEY) as bob:
        for _ in range(10):
            create(ada)
        assert create(ada).status_code == 429
        assert create(bob).status_code == 201


def test_the_fourth_research_create_in_a_minute_gets_the_research_text(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        research = [create(http, agent_mode="research") for _ in range(4)]
        assert [answer.status_code for answer in research] == [201, 201, 201, 429]
        # The clock is held still: the oldest is exactly 60 s from dropping out ("1 minutes").
        assert research[3].json() == throttled(
            RESEARCH_TEXT.format("in 1 minutes") + " Expected available in 60 seconds."
        )
        assert create(http).status_code == 201  # the normal windows are not the research ones


def test_a_message_to_an_existing_deep_research_conversation_counts_as_research(
    limited: FakeServer,
):
    with limited.client(api_key=ADA_KEY) as http:
        started = message(agent_mode="research")
        assert http.post(CREATE, json=started).status_code == 201
        follow_up = message(conversation=started["conversation"], content=None)
        for _ in range(2):
            http.post(CREATE, json=follow_up)  # counted as research whatever the answer
        refused = http.post(CREATE, json=follow_up)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("You've reached the usage limit for Research")


def test_a_paying_organization_is_never_throttled(serve: Callable[..., FakeServer]):
    with serve(PAYING) as server, server.client(api_key=ADA_KEY) as http:
        assert {create(http).status_code for _ in range(30)} == {201}
        assert [create(http, agent_mode="research").status_code for _ in range(4)][-1] == 429


def test_a_research_exempt_team_is_not_throttled_in_research_mode(serve: Callable[..., FakeServer]):
    exempt = {"projects": [{"id": 1, "name": "Default project", "research_exempt": True}]}
    with serve(exempt) as server, server.client(api_key=ADA_KEY) as http:
        assert {create(http, agent_mode="research").status_code for _ in range(12)} == {201}


def test_debug_mode_throttles_nothing_but_keeps_the_quota(serve: Callable[..., FakeServer]):
    with (
        serve(OVER_QUOTA, limits="posthog-debug") as server,
        server.client(api_key=ADA_KEY) as http,
    ):
        assert http.get(LIST).status_code == 200
        assert create(http).json() == QUOTA_BODY
        server.set_ai_credit_quota(False)
        assert {create(http).status_code for _ in range(15)} == {201}
        assert {http.get(LIST).status_code for _ in range(481)} == {200}


def test_requests_refused_before_the_throttles_are_not_counted(limited: FakeServer):
    with limited.client() as http:
        for _ in range(20):
            assert http.post(CREATE, json=message(), headers=bearer("phx_nope")).status_code == 401
            answer = http.post(CREATE.replace("/1/", "/99/"), json=message(), headers=bearer())
            assert answer.status_code == 404
    assert limited.limits()["users"][0]["windows"][0]["used"] == 0


def test_a_throttled_create_changes_nothing(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(10):
            create(http)
        before = len(limited.conversations())
        assert create(http).status_code == 429
    assert len(limited.conversations()) == before


# API-key rate limits on every other action -------------------------------------------------


def test_the_481st_keyed_list_in_a_minute_is_throttled_with_drfs_text(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        assert {http.get(LIST).status_code for _ in range(480)} == {200}
        limited.advance_clock(12)
        refused = http.get(LIST)
        assert refused.status_code == 429
        assert refused.json() == throttled(
            "Request was throttled. Expected available in 48 seconds."
        )
        assert refused.headers["retry-after"] == "48"
        assert http.get(LIST, headers=bearer(BOB_KEY)).status_code == 200  # per key
        assert http.get(conversation_url(FULL_QUEUE)).status_code == 429  # every action
        limited.advance_clock(48)
        assert http.get(LIST).status_code == 200


def test_session_requests_are_not_counted(serve: Callable[..., FakeServer]):
    with serve(profile="actual") as server, server.client() as http:
        for _ in range(500):
            assert http.get(LIST, headers=session(csrf=False)).status_code == 200
        assert {http.get(LIST, headers=bearer()).status_code for _ in range(480)} == {200}
        assert http.get(LIST, headers=bearer()).status_code == 429
        assert http.get(LIST, headers=session(csrf=False)).status_code == 200


def test_a_key_in_the_query_string_is_counted_one_in_the_body_is_not(limited: FakeServer):
    queue = conversation_url(FULL_QUEUE, "queue/clear/")
    with limited.client() as http:
        for _ in range(480):
            assert http.post(queue, json={"personal_api_key": ADA_KEY}).status_code == 200
        assert http.get(LIST, params={"personal_api_key": ADA_KEY}).status_code == 200
    keys = {entry["key"]: entry["windows"][0] for entry in limited.limits()["keys"]}
    assert keys[ADA_KEY]["used"] == 1


def test_the_hourly_key_window_reports_its_own_wait(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(10):
            assert {http.get(LIST).status_code for _ in range(480)} == {200}
            limited.advance_clock(60)
        refused = http.get(LIST)
    assert refused.json()["detail"] == (
        "Request was throttled. Expected available in 3000 seconds."
    )


def test_create_and_open_do_not_count_against_the_key(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(3):
            create(http)
    assert limited.limits()["keys"][0]["windows"][0]["used"] == 0


# AI-credit quota ---------------------------------------------------------------------------


@pytest.mark.parametrize("limits", ["posthog", "posthog-debug"])
def test_an_organization_over_its_quota_gets_402_before_any_validation(
    serve: Callable[..., FakeServer], limits: str
):
    with serve(OVER_QUOTA, limits=limits) as server, server.client(api_key=ADA_KEY) as http:
        before = len(server.conversations())
        for answer in (
            http.post(CREATE, json={}),
            http.post(CREATE, json={"content": "x" * 50000, "conversation": "not-a-uuid"}),
            http.post(OPEN, json={"initial_permission_mode": "nonsense"}),
            http.post(conversation_url(str(uuid.uuid4()), "open/"), json={}),
        ):
            assert answer.status_code == 402
            assert answer.json() == QUOTA_BODY
            assert "retry-after" not in answer.headers
        assert http.get(LIST).status_code == 200  # only create and open
        assert len(server.conversations()) == before


def test_the_quota_is_per_organization(serve: Callable[..., FakeServer]):
    fixture = {
        "organizations": [{"id": "broke", "ai_credit_quota_exceeded": True}],
        "projects": [{"id": 2, "name": "Second project", "organization": "broke"}],
    }
    with serve(fixture) as server, server.client(api_key=ADA_KEY) as http:
        assert create(http).status_code == 201
        other = http.post("/api/projects/2/conversations/", json=message())
        assert other.json() == QUOTA_BODY


def test_the_throttle_answers_before_the_quota(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        for _ in range(10):
            create(http)
        limited.set_ai_credit_quota(True)
        assert create(http).status_code == 429
        limited.advance_clock(60)
        assert create(http).status_code == 402


def test_the_quota_can_be_flipped_at_run_time_until_a_reset(limited: FakeServer):
    with limited.client(api_key=ADA_KEY) as http:
        limited.set_ai_credit_quota(True, project=1)
        assert create(http).json() == QUOTA_BODY
        limited.set_ai_credit_quota(False, organization="default")
        assert create(http).status_code == 201
        limited.set_ai_credit_quota(True)
        limited.reset()
        assert create(http).status_code == 201


# Off unless asked ------------------------------------------------------------------------


def test_with_limits_off_none_of_this_happens(make_server: ServerFactory):
    with make_server([default_fixture_path(), OVER_QUOTA]) as server:
        assert server.workspace().limits is None
        with server.client(api_key=ADA_KEY) as http:
            assert {create(http).status_code for _ in range(12)} == {201}
            assert {create(http, agent_mode="research").status_code for _ in range(5)} == {201}
            assert http.post(OPEN, json={}).status_code == 200
            assert {http.get(LIST).status_code for _ in range(481)} == {200}
        assert all(entry.limit is None for entry in server.journal.entries())
        windows = server.limits()["users"][0]["windows"]
        assert {window["used"] for window in windows} == {0}


def test_both_profiles_apply_the_limits(serve: Callable[..., FakeServer]):
    for profile in ("documented", "actual"):
        with serve(profile=profile) as server, server.client(api_key=ADA_KEY) as http:
            statuses = [create(http).status_code for _ in range(11)]
        assert statuses[-1] == 429, profile
