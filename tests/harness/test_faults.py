"""Fault injection through the Python API and the per-request header, stream faults included."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import pytest
from conftest import ADA_KEY, FULL_QUEUE, FULL_QUEUE_ITEMS, ServerFactory, queue_url
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeserver import FakeServer
from fakeserver.harness.fault_rules import FaultAction, FaultError, FaultRule
from fakeserver.harness.faults import _FrameCounter

LIST = "/api/projects/1/conversations/"
FRAMES = [b"data: 1\n\n", b"data: 2\n\ndata: 3\n\n", b"data: 4\n", b"\ndata: 5\n\n"]
"""Five SSE frames in chunks that hold one, two, half and one and a half frames."""


async def finite_stream(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in FRAMES:
            yield chunk

    return StreamingResponse(chunks(), media_type="text/event-stream")


async def endless_stream(_request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        number = 0
        while True:
            number += 1
            yield f"data: {number}\n\n".encode()
            await anyio.sleep(0)

    return StreamingResponse(chunks(), media_type="text/event-stream")


def with_streams(server: FakeServer) -> FakeServer:
    """Stand-ins for a streaming endpoint: stream faults only look at the bytes."""
    server.app.router.routes.extend(
        [
            Route("/test/stream", finite_stream),
            Route("/test/endless", endless_stream),
        ]
    )
    return server


@pytest.fixture
def server(make_server: ServerFactory) -> FakeServer:
    return with_streams(make_server())


@pytest.fixture
def client(server: FakeServer) -> Iterator[httpx.Client]:
    with server.client(api_key=ADA_KEY) as client:
        yield client


def fault_header(**action: object) -> dict[str, str]:
    return {"X-Fakeserver-Fault": json.dumps(action)}


# Answers ---------------------------------------------------------------------------------------


def test_a_429_is_posthogs_throttle_with_retry_after(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_list", status=429, retry_after=30)
    answer = client.get(LIST)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "30"
    assert answer.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 30 seconds.",
        "attr": None,
    }


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (
            500,
            "application/json",
            '{"type":"server_error","code":"error","detail":"A server error occurred.",'
            '"attr":null}',
        ),
        (502, "text/plain; charset=utf-8", "502 Bad Gateway"),
        (503, "text/plain; charset=utf-8", "503 Service Unavailable"),
    ],
)
def test_default_bodies_of_server_errors(
    client: httpx.Client, server: FakeServer, status: int, content_type: str, body: str
):
    server.add_fault(method="GET", path="/api/projects/*/conversations/", status=status)
    answer = client.get(LIST)
    assert (answer.status_code, answer.headers["content-type"], answer.text) == (
        status,
        content_type,
        body,
    )


def test_a_given_body_and_headers(client: httpx.Client, server: FakeServer):
    server.add_fault(
        "conversations_list",
        status=402,
        body={"quota": "exceeded"},
        headers={"X-Reason": "billing"},
    )
    answer = client.get(LIST)
    assert (answer.status_code, answer.json(), answer.headers["x-reason"]) == (
        402,
        {"quota": "exceeded"},
        "billing",
    )


def test_a_faulted_request_leaves_state_unchanged(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_queue_destroy", status=500)
    assert client.delete(queue_url(FULL_QUEUE, FULL_QUEUE_ITEMS[0])).status_code == 500
    assert len(server.queue(FULL_QUEUE)) == 2


def test_the_journal_names_the_fault(client: httpx.Client, server: FakeServer):
    rule = server.add_fault("conversations_list", status=503, times=1)
    client.get(LIST)
    client.get(LIST, headers=fault_header(latency_ms=1))
    first, second = server.journal.entries()
    assert (first.status, first.fault) == (
        503,
        {
            "source": "rule",
            "rule": rule.id,
            "action": {"status": 503, "body": None, "headers": {}},
        },
    )
    assert (second.status, second.fault) == (
        200,
        {
            "source": "header",
            "rule": None,
            "action": {"latency_ms": 1},
        },
    )


# When -----------------------------------------------------------------------------------------


def test_times_limits_how_often_a_rule_fires(client: httpx.Client, server: FakeServer):
    rule = server.add_fault("conversations_list", status=500, times=2)
    assert [client.get(LIST).status_code for _ in range(3)] == [500, 500, 200]
    assert rule.as_json()["fired"] == 2 and rule.as_json()["remaining"] == 0


def test_a_probability_draws_from_a_seeded_rng(server: FakeServer):
    def pattern(seed: int) -> list[int]:
        server.reset()
        server.add_fault("conversations_list", status=500, probability=0.5, seed=seed)
        with server.client(api_key=ADA_KEY) as client:
            return [client.get(LIST).status_code for _ in range(20)]

    first = pattern(7)
    assert pattern(7) == first
    assert pattern(8) != first
    assert set(first) == {200, 500}


def test_probability_zero_never_fires_and_one_always(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_list", status=500, probability=0.0)
    assert client.get(LIST).status_code == 200
    server.add_fault("conversations_list", status=503, probability=1.0)
    assert client.get(LIST).status_code == 503


def test_the_first_rule_that_fires_wins(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_list", status=500, times=1)
    server.add_fault("conversations_*", status=503)
    assert [client.get(LIST).status_code for _ in range(2)] == [500, 503]


def test_a_fault_context_manager_removes_its_rule(client: httpx.Client, server: FakeServer):
    with server.fault("conversations_list", status=500):
        assert client.get(LIST).status_code == 500
    assert client.get(LIST).status_code == 200
    assert server.faults.rules() == []


# Isolation -------------------------------------------------------------------------------------


def test_a_namespaced_fault_never_leaks_to_another_namespace(
    client: httpx.Client, server: FakeServer
):
    server.add_fault("conversations_list", namespace="alpha", status=500)
    assert client.get("/_ns/alpha" + LIST).status_code == 500
    assert client.get("/_ns/beta" + LIST).status_code == 200
    assert client.get(LIST).status_code == 200
    server.reset("beta")
    assert client.get("/_ns/alpha" + LIST).status_code == 500
    server.reset("alpha")
    assert client.get("/_ns/alpha" + LIST).status_code == 200


def test_a_header_fault_applies_to_its_request_only(client: httpx.Client, server: FakeServer):
    assert client.get(LIST, headers=fault_header(status=429)).status_code == 429
    assert client.get(LIST).status_code == 200
    assert client.get("/_ns/alpha" + LIST).status_code == 200
    assert server.faults.rules() == []


def test_a_header_fault_beats_the_rules(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_list", status=500)
    assert client.get(LIST, headers=fault_header(status=502)).status_code == 502


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (
            "{",
            "X-Fakeserver-Fault: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (
            '{"status": "soon"}',
            "X-Fakeserver-Fault: status must be an integer from 200 to 599, got 'soon'",
        ),
        ("[]", "X-Fakeserver-Fault: a fault action is a JSON object, got list"),
    ],
)
def test_an_invalid_header_is_a_400(
    client: httpx.Client, server: FakeServer, header: str, detail: str
):
    answer = client.get(LIST, headers={"X-Fakeserver-Fault": header})
    assert answer.status_code == 400
    assert answer.json() == {
        "type": "invalid_request",
        "code": "invalid_fault",
        "detail": detail,
        "attr": None,
    }


def test_a_deep_fault_header_is_a_400(client: httpx.Client):
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": "[" * 3000})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "action",
    [
        '{"latency_ms": 700000}',
        '{"latency_ms": -1}',
        '{"status": 418, "headers": {"x-a": "\\u20ac"}}',
        '{"status": 418, "headers": {"x a": "b"}}',
        '{"status": 418, "headers": {"x-a": "b\\r\\nx-b: c"}}',
        '{"status": 101}',
        '{"status": 204, "body": "text"}',
        '{"stall_ms": 10}',
    ],
)
def test_fault_actions_that_no_server_could_apply_are_refused(client: httpx.Client, action: str):
    by_header = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": action})
    rule = f'{{"path": "/nothing", "action": {action}}}'
    by_rule = client.post(
        "/_fakeserver/faults", content=rule, headers={"Content-Type": "application/json"}
    )
    assert (by_header.status_code, by_rule.status_code) == (400, 400)
    assert client.get("/_fakeserver/faults").json() == {"rules": []}


@pytest.mark.parametrize("number", ["1e400", "Infinity", "NaN"])
def test_non_finite_numbers_in_a_fault_read_as_null(client: httpx.Client, number: str):
    """As in every JSON body the fake reads: no latency at all, rather than a request that hangs."""
    action = f'{{"latency_ms": {number}}}'
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": action})
    assert response.status_code == 200


def test_a_429_fault_can_say_retry_after_zero(client: httpx.Client):
    response = client.get(queue_url(FULL_QUEUE), headers=fault_header(status=429, retry_after=0))
    assert (response.status_code, response.headers["retry-after"]) == (429, "0")


def test_a_204_fault_sends_no_body(client: httpx.Client):
    response = client.get(queue_url(FULL_QUEUE), headers={"X-Fakeserver-Fault": '{"status":204}'})
    assert (response.status_code, response.content) == (204, b"")


def test_latency_delays_then_answers_normally(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_list", latency_ms=5)
    answer = client.get(LIST)
    assert answer.status_code == 200
    assert answer.json()["count"] == 4


# Connections and streams ----------------------------------------------------------------------


def test_drop_in_process_raises_what_httpx_raises_for_a_closed_connection(
    client: httpx.Client, server: FakeServer
):
    server.add_fault("conversations_list", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(LIST)
    assert client.get(LIST).status_code == 200
    assert server.journal.entries()[0].status is None


def test_drop_on_the_live_server_closes_the_socket(make_server: ServerFactory):
    server = make_server(live=True)
    with server.client(api_key=ADA_KEY) as client:
        server.add_fault("conversations_list", drop=True, times=1)
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get(LIST)
        assert client.get(LIST).status_code == 200


def test_end_after_frames_closes_the_stream_cleanly(client: httpx.Client):
    whole = client.get("/test/stream")
    assert whole.content == b"".join(FRAMES)
    for frames, expected in [
        (0, b""),
        (1, b"data: 1\n\n"),
        (3, b"data: 1\n\ndata: 2\n\ndata: 3\n\n"),
        (4, b"data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n"),
    ]:
        answer = client.get("/test/stream", headers=fault_header(end_after_frames=frames))
        assert (answer.status_code, answer.content) == (200, expected)


def test_end_after_frames_stops_an_endless_stream(client: httpx.Client, server: FakeServer):
    server.add_fault(path="/test/endless", end_after_frames=3)
    assert client.get("/test/endless").content == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"


def test_drop_after_frames_in_process(client: httpx.Client):
    with pytest.raises(httpx.RemoteProtocolError, match="after 2 frame"):
        client.get("/test/endless", headers=fault_header(drop_after_frames=2))


DROP_AFTER_TWO = fault_header(drop_after_frames=2)


def test_stream_faults_on_the_live_server(make_server: ServerFactory):
    with make_server(live=True) as server, server.client(timeout=5) as client:
        with_streams(server)
        received = []
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("GET", "/test/endless", headers=DROP_AFTER_TWO) as sent,
        ):
            for chunk in sent.iter_bytes():  # the frames come before the error
                received.append(chunk)
        assert b"".join(received) == b"data: 1\n\ndata: 2\n\n"

        ended = client.get("/test/endless", headers=fault_header(end_after_frames=2))
        assert (ended.status_code, ended.content) == (200, b"data: 1\n\ndata: 2\n\n")

        # Stalled past the client's read timeout: the client gives up after the first frame.
        stalled: list[bytes] = []
        with (
            pytest.raises(httpx.ReadTimeout),
            client.stream(
                "GET",
                "/test/stream",
                timeout=httpx.Timeout(5, read=0.2),
                headers=fault_header(stall_after_frames=1, stall_ms=60_000),
            ) as sent,
        ):
            for chunk in sent.iter_bytes():
                stalled.append(chunk)
        assert b"".join(stalled) == b"data: 1\n\n"
        assert client.get(LIST, headers={"Authorization": f"Bearer {ADA_KEY}"}).status_code == 200


def test_a_short_stall_then_the_rest_of_the_stream(client: httpx.Client):
    answer = client.get("/test/stream", headers=fault_header(stall_after_frames=2, stall_ms=1))
    assert answer.content == b"".join(FRAMES)


# Rules and frames, without HTTP ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "limit", "cut_at"),
    [
        ([b"a\n\nb\n\n"], 1, (0, 3)),
        ([b"a\n\nb\n\n"], 2, (0, 6)),
        ([b"a\n", b"\nb\n\n"], 1, (1, 1)),
        ([b"a\n\n", b"\nb\n\n"], 2, (1, 4)),  # as in one chunk: the stray newline is not a frame
        ([b"a", b"b\n", b"c\n\n"], 1, (2, 3)),
        ([b"a\n\n"], 0, (0, 0)),
    ],
)
def test_frame_counting_across_chunks(chunks: list[bytes], limit: int, cut_at: tuple[int, int]):
    counter = _FrameCounter()
    for index, chunk in enumerate(chunks):
        end = counter.cut(chunk, limit)
        if end is not None:
            assert (index, end) == cut_at
            return
    pytest.fail("no cut")


def test_a_rule_round_trips_through_json():
    rule = FaultRule.from_json(
        {
            "operation_id": "conversations_list",
            "method": "get",
            "times": 3,
            "action": {"stall_after_frames": 2, "stall_ms": 100},
        }
    )
    assert rule.method == "GET"
    assert rule.as_json()["action"] == {"stall_after_frames": 2, "stall_ms": 100}
    with pytest.raises(FaultError, match="a fault action is a JSON object"):
        FaultAction.from_json("drop")


# The real stream ------------------------------------------------------------------------------


def create_body() -> dict[str, str]:
    return {
        "content": "How many signups last week?",
        "conversation": str(uuid.uuid4()),
        "trace_id": str(uuid.uuid4()),
    }


def test_end_after_frames_on_an_agent_run_stream(client: httpx.Client, server: FakeServer):
    server.add_fault("conversations_create", end_after_frames=2)
    answer = client.post(LIST, json=create_body(), headers={"X-Fakeserver-Profile": "actual"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    frames = answer.text.split("\n\n")
    assert len(frames) == 3 and frames[-1] == ""
    assert frames[0].startswith("event: conversation\n")
    assert frames[1].startswith("event: message\n")


def test_a_stream_is_journaled_while_it_is_open(make_server: ServerFactory):
    with make_server(live=True) as server, server.client(timeout=5) as client:
        with_streams(server)
        with client.stream("GET", "/test/endless") as response:
            chunks = response.iter_bytes()  # kept: a dropped iterator closes the connection
            next(chunks)
            entry = server.journal.last(path="/test/endless")
            assert (entry.status, entry.complete) == (200, False)
    assert server.journal.last(path="/test/endless").status == 200


def test_an_answered_request_is_complete(client: httpx.Client, server: FakeServer):
    client.get(LIST)
    assert server.journal.last().complete
