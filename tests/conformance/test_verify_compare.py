"""`verify`'s comparison by shape: keys, types and nullness, pagination links, stream events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from fakeserver.conformance.client import Answer, _retry_wait
from fakeserver.conformance.compare import compare, link_shape


def _json(status: int, body: Any) -> Answer:
    return Answer("GET", "x", status, "application/json", json=body)


def test_shape_compares_keys_types_and_nullness_not_values():
    target = _json(200, {"id": "a", "n": 1, "title": None, "items": [{"k": True}], "gone": 1})
    fake = _json(200, {"id": "b", "n": 2, "title": "t", "items": [{"k": False}], "new": 1})
    assert {d.describe() for d in compare(target, fake)} == {
        "$.gone: target present, fake missing",
        "$.new: target missing, fake present",
        "$.title: target null, fake string",
    }


def test_pagination_links_compare_path_and_query_not_host():
    assert link_shape("https://us.posthog.com/api/projects/1/conversations/?offset=1&limit=1") == (
        "/api/projects/1/conversations/?limit=1&offset=1"
    )
    target = _json(200, {"results": [], "next": "https://h/api/projects/1/conversations/?limit=1"})
    fake = _json(200, {"results": [], "next": "http://f/api/projects/1/conversations?limit=1"})
    assert [d.path for d in compare(target, fake)] == ["$.next"]


def test_streams_compare_event_names_in_order_with_runs_collapsed():
    target = Answer("POST", "x", 200, "text/event-stream", events=["message", "message", "update"])
    same = Answer("POST", "x", 200, "text/event-stream", events=["message", "update", "update"])
    other = Answer("POST", "x", 200, "text/event-stream", events=["update", "message"])
    assert compare(target, same) == []
    assert [d.describe() for d in compare(target, other)] == [
        "events: target message, update, fake update, message"
    ]


def test_error_envelope_values_are_compared_when_both_sides_fail():
    target = _json(403, {"type": "authentication_error", "code": "permission_denied", "attr": None})
    fake = _json(403, {"type": "authentication_error", "code": "not_authenticated", "attr": None})
    assert [d.describe() for d in compare(target, fake)] == [
        '$.code: target "permission_denied", fake "not_authenticated"'
    ]
    assert compare(_json(200, {"code": "a"}), _json(200, {"code": "b"})) == []


def test_a_stream_against_json_names_both():
    stream = Answer("POST", "x", 200, "text/event-stream", events=["message"])
    echoed = _json(201, {"content": "hi"})
    assert [d.describe() for d in compare(stream, echoed)] == [
        "status: target 200, fake 201",
        "content-type: target text/event-stream, fake application/json",
    ]


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 12, 5, 9, 0, 0, tzinfo=UTC)

    def wait(value: str) -> float | None:
        return _retry_wait(httpx.Response(429, headers={"Retry-After": value}), lambda: now)

    assert wait("7") == 7
    assert wait("Sat, 05 Dec 2026 09:00:30 GMT") == 30
    assert wait("soon") is None
    assert wait("-5") == 0
