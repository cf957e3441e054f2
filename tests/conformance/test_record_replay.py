"""Record through the recording proxy from a second fakeserver acting as PostHog, replay the
file with `serve --fixture`'s server, and read the same frames (after ids are mapped)."""

from __future__ import annotations

import json
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import ServerFactory, bearer, session
from runs_harness import Frame, parse_sse

from fakeserver import FakeServer
from fakeserver.conformance.record_proxy import RecordingProxy
from fakeserver.conformance.recording import Recording
from fakeserver.conformance.snapshot import render_fixture
from fakeserver.fixture_files import default_fixture_path, load_seed

TARGET_FIXTURE = Path(__file__).parent / "data" / "posthog_like.yaml"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CREATE = "/api/projects/1/conversations/"


class LiveProxy:
    """The recording proxy served by uvicorn in a thread, on a free port."""

    def __init__(self, target: str) -> None:
        self.recording = Recording()
        self.proxy = RecordingProxy(target, "phx_ada_all", self.recording)
        config = uvicorn.Config(self.proxy, port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveProxy:
        self._thread.start()
        while not self.server.started:
            self._thread.join(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self._thread.join(10)

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


def headers(profile: str) -> dict[str, str]:
    auth = session() if profile == "actual" else bearer()
    return {**auth, "Accept": "text/event-stream"}


def converse(base: str, profile: str, queue_base: str | None = None) -> list[Frame]:
    """Create with the every-kind message, queue a follow-up once the human echo is read."""
    request = body()
    conversation = request["conversation"]
    text = ""
    with (
        httpx.Client(base_url=base, timeout=10) as http,
        http.stream("POST", CREATE, json=request, headers=headers(profile)) as response,
    ):
        assert response.status_code == 200
        chunks = response.iter_text()
        for chunk in chunks:
            text += chunk
            if '"type":"human"' in text:
                queued = httpx.post(
                    f"{queue_base or base}{CREATE}{conversation}/queue/",
                    json={"content": "And once more"},
                    headers={**headers(profile), "Accept": "application/json"},
                )
                assert queued.status_code == 200, queued.text
                break
        text += "".join(chunks)
    return parse_sse(text)


def body(content: str = "Show me everything") -> dict[str, str]:
    return {"content": content, "conversation": str(uuid.uuid4()), "trace_id": str(uuid.uuid4())}


def one_shot(base: str, profile: str, content: str) -> list[Frame]:
    response = httpx.post(base + CREATE, json=body(content), headers=headers(profile), timeout=10)
    assert response.status_code == 200
    return parse_sse(response.text)


def normalized(frames: list[Frame]) -> list[tuple[str, Any]]:
    """Frames with every id replaced by the order it first appeared in; the conversation event
    (the fake's own snapshot of the new conversation) by its status."""
    names: dict[str, str] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, str) and UUID.match(value):
            return names.setdefault(value, f"id-{len(names)}")
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    out = []
    for frame in frames:
        if frame.event == "conversation":
            out.append(("conversation", frame.json["status"]))
        elif frame.event == ":":
            continue
        else:
            out.append((frame.event, walk(frame.json)))
    return out


@pytest.fixture(params=["documented", "actual"])
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def record(
    make_server: ServerFactory, profile: str, tmp_path: Path, talk: Any
) -> tuple[Any, Path, Recording]:
    fixtures = [default_fixture_path(), TARGET_FIXTURE]
    # Frames 50 ms apart: the follow-up is queued (right after the human echo) while the first
    # turn still has 14 frames to go, so even a loaded machine queues it during the run.
    target = make_server(fixtures, profile=profile, live=True, reply_delay=0.05)
    with LiveProxy(target.url) as proxy:
        seen = talk(proxy.url, target.url)
    fixture: dict[str, Any] = {"agent": {"rules": proxy.recording.rules()}}
    path = tmp_path / "recorded.yaml"
    path.write_text(render_fixture(fixture, path, "recorded"), encoding="utf-8")
    return seen, path, proxy.recording


def replay_server(make_server: ServerFactory, path: Path, profile: str) -> FakeServer:
    return make_server(
        [default_fixture_path(), path],
        profile=profile,
        live=True,
        reply_delay=0.0,
        replay_speed=1.0,
        id_seed=3,
    )


def test_a_recorded_run_replays_frame_for_frame(
    make_server: ServerFactory, profile: str, tmp_path: Path
) -> None:
    def talk(proxy: str, target: str) -> dict[str, list[Frame]]:
        return {
            "every kind": converse(proxy, profile, queue_base=target),
            "failure": one_shot(proxy, profile, "Fail please"),
            "approval": one_shot(proxy, profile, "Approve something"),
        }

    recorded, path, recording = record(make_server, profile, tmp_path, talk)
    assert len(recording.streams) == 3 and recording.errors == []
    kinds = {f.json.get("type") for f in recorded["every kind"] if f.event == "message"}
    assert {"ai/viz", "ai/multi_viz", "tool", "ai/notebook", "ai/from_the_future"} <= kinds
    assert (
        sum(f.json.get("type") == "human" for f in recorded["every kind"] if f.event == "message")
        == 2
    )
    load_seed([path])  # the recorded file loads, every message checked by kind
    fake = replay_server(make_server, path, profile)
    replayed = {
        "every kind": converse(fake.url, profile),
        "failure": one_shot(fake.url, profile, "Fail please"),
        "approval": one_shot(fake.url, profile, "Approve something"),
    }
    for name in recorded:
        assert normalized(replayed[name]) == normalized(recorded[name]), name


def test_replays_take_the_new_requests_ids_and_fresh_message_ids(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    def talk(proxy: str, target: str) -> list[Frame]:
        return one_shot(proxy, "documented", "Fail please")

    recorded, path, _ = record(make_server, "documented", tmp_path, talk)
    fake = replay_server(make_server, path, "documented")
    first = one_shot(fake.url, "documented", "Fail please")
    second = one_shot(fake.url, "documented", "Fail please")
    ids = [
        {f.json["id"] for f in frames if f.event == "message" and "id" in f.json}
        for frames in (recorded, first, second)
    ]
    assert all(ids) and not ids[0] & ids[1] and not ids[1] & ids[2]


def test_a_dropped_stream_is_recorded_and_replayed_as_dropped(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    fixtures = [default_fixture_path(), TARGET_FIXTURE]
    target = make_server(fixtures, live=True)
    target.add_fault("conversations_create", drop_after_frames=4)
    with LiveProxy(target.url) as proxy, pytest.raises(httpx.RemoteProtocolError):
        httpx.post(proxy.url + CREATE, json=body(), headers=headers("documented"))
    rules = proxy.recording.rules()
    assert rules[0]["replay"]["frames"][-1]["dropped"] is True
    path = tmp_path / "dropped.yaml"
    path.write_text(render_fixture({"agent": {"rules": rules}}, path, "dropped"), encoding="utf-8")
    fake = make_server([default_fixture_path(), path], live=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(fake.url + CREATE, json=body(), headers=headers("documented"))
    with fake.client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(CREATE, json=body(), headers=headers("documented"))


def test_an_error_answer_is_recorded_and_replayed_as_that_answer(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    target = make_server(live=True)
    target.add_fault("conversations_create", status=503, body={"detail": "busy"})
    with LiveProxy(target.url) as proxy:
        answer = httpx.post(proxy.url + CREATE, json=body("Are you there?"), headers=bearer())
        assert answer.status_code == 503
        refused = httpx.post(proxy.url + CREATE, json={"trace_id": "x"}, headers=bearer())
        assert refused.status_code == 503
    recording = proxy.recording
    assert recording.streams == [] and len(recording.answers) == 1  # the second had no content
    assert recording.errors == [f"POST {CREATE}: 503 application/json"] * 2
    path = tmp_path / "answers.yaml"
    fixture = {"agent": {"rules": recording.rules()}}
    path.write_text(render_fixture(fixture, path, "answers"), encoding="utf-8")
    fake = make_server([default_fixture_path(), path])
    with fake.client() as client:
        before = len(fake.conversations())
        replayed = client.post(CREATE, json=body("Are you there?"), headers=bearer())
        assert (replayed.status_code, replayed.text) == (503, answer.text)
        assert replayed.headers["content-type"] == answer.headers["content-type"]
        assert len(fake.conversations()) == before  # nothing was created
        other = client.post(CREATE, json=body("Something else"), headers=headers("documented"))
        assert other.status_code == 200


RAW_STREAM = (
    b'event: message\ndata: {"content":"Odd frames","id":"h1","type":"human","trace_id":"t"}\n\n'
    b"data: this is not json\n\n"
    b": keepalive\n\n"
    b'event: message\ndata: {"content":"still here","id":"m1","type":"ai"}\n\n'
)


async def odd_target(scope: Any, receive: Any, send: Any) -> None:
    """A target whose stream holds a frame that is not JSON and a comment."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": RAW_STREAM})


def test_frames_that_are_not_json_are_recorded_and_replayed_as_they_were(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    config = uvicorn.Config(odd_target, port=0, log_level="warning", lifespan="off")
    target = uvicorn.Server(config)
    thread = threading.Thread(target=target.run, daemon=True)
    thread.start()
    while not target.started:
        thread.join(0.01)
    try:
        url = f"http://127.0.0.1:{target.servers[0].sockets[0].getsockname()[1]}"
        with LiveProxy(url) as proxy:
            passed = httpx.post(proxy.url + CREATE, json=body("Odd frames"), headers=bearer())
    finally:
        target.should_exit = True
        thread.join(10)
    assert passed.content == RAW_STREAM  # the proxy passes the stream on unchanged
    (rule,) = proxy.recording.rules()
    frames = rule["replay"]["frames"]
    assert [frame.get("raw") for frame in frames[:2]] == [
        "data: this is not json\n\n",
        ": keepalive\n\n",
    ]
    path = tmp_path / "odd.yaml"
    path.write_text(render_fixture({"agent": {"rules": [rule]}}, path, "odd"), encoding="utf-8")
    request = body("Odd frames")
    texts = []
    for _ in range(2):  # the same seed, the same new ids
        fake = make_server([default_fixture_path(), path], id_seed=1)
        with fake.client() as client:
            replayed = client.post(CREATE, json=request, headers=headers("documented"))
        texts.append(replayed.text.split("event: message", 1)[1])
    assert texts[0] == texts[1]
    assert "data: this is not json\n\n: keepalive\n\nevent: message\n" in replayed.text
    last = json.loads(replayed.text.split("\n\n")[-2].split("data: ", 1)[1])
    assert last["content"] == "still here" and last["type"] == "ai" and last["id"] != "m1"
