"""The stream's headers, and the `stream_capacity` fault: PostHog's answer when its per-process
cap of open streams is reached (`posthog/api/streaming.py`)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from conftest import ServerFactory

from fakeserver import FaultError
from fakeserver.harness.fault_rules import FaultAction

BASE = "/api/projects/1/conversations/"
ADA = {"Authorization": "Bearer phx_ada_all"}


def _create_body(content: str = "hello") -> dict[str, str]:
    return {"content": content, "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}


@pytest.mark.parametrize("profile", ["actual", "documented"])
def test_a_stream_tells_proxies_not_to_buffer_it(make_server: ServerFactory, profile: str) -> None:
    with make_server(profile=profile).client() as client:
        headers = {**ADA, "Accept": "text/event-stream"}
        response = client.post(BASE, headers=headers, json=_create_body())
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache, no-transform"
        assert response.headers["x-accel-buffering"] == "no"


def test_at_stream_capacity_create_gets_503_with_retry_after(make_server: ServerFactory) -> None:
    server = make_server(profile="actual")
    with server.client() as client:
        server.add_fault("conversations_create", stream_capacity=True, times=1)
        body = _create_body()
        refused = client.post(BASE, headers=ADA, json=body)
        assert refused.status_code == 503
        assert refused.content == b""
        assert refused.headers["retry-after"] == "15"
        assert refused.headers["cache-control"] == "no-cache, no-transform"
        assert refused.headers["x-accel-buffering"] == "no"
        assert refused.headers["content-type"] == "text/html; charset=utf-8"
        with pytest.raises(KeyError):  # refused before anything changed
            server.conversation(body["conversation"])
        again = client.post(BASE, headers=ADA, json=body)  # the retry gets the stream
        assert again.status_code == 200 and again.text.startswith("event: conversation\n")


def test_the_fault_header_and_its_own_wait(make_server: ServerFactory) -> None:
    with make_server(profile="actual").client() as client:
        fault = json.dumps({"stream_capacity": True, "retry_after": 40})
        refused = client.post(BASE, headers={**ADA, "X-Fakeserver-Fault": fault}, json={})
        assert (refused.status_code, refused.headers["retry-after"]) == (503, "40")


def test_the_rule_shows_as_written() -> None:
    assert FaultAction.from_json({"stream_capacity": True}).as_json() == {
        "stream_capacity": True,
        "retry_after": 15,
    }
    with pytest.raises(FaultError, match="choose one of status, drop, stream_capacity"):
        FaultAction.from_json({"stream_capacity": True, "status": 500})
    with pytest.raises(FaultError, match="stream_capacity must be true or false"):
        FaultAction.from_json({"stream_capacity": "yes"})


def test_list_is_not_a_stream(client: httpx.Client) -> None:
    response = client.get(BASE, headers=ADA)
    assert "x-accel-buffering" not in response.headers
