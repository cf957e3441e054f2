"""`fakeserver record` as a user runs it: a proxy on a port, Ctrl-C writes the file, exit 0."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import yaml
from conftest import bearer

from fakeserver import FakeServer
from fakeserver.conformance.snapshot import PLACEHOLDER_KEY
from fakeserver.fixture_files import load_seed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_record_writes_the_runs_on_ctrl_c_without_the_key(tmp_path: Path) -> None:
    output, port = tmp_path / "recorded.yaml", free_port()
    with FakeServer(live=True) as target:
        command = [
            sys.executable,
            "-m",
            "fakeserver",
            "record",
            "--target",
            target.url,
            "--personal-api-key",
            "phx_ada_all",
            "--project",
            "1",
            "-o",
            str(output),
            "--port",
            str(port),
        ]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        try:
            assert "proxy on" in process.stderr.readline()
            body = {
                "content": "How many signups last week?",
                "conversation": str(uuid.uuid4()),
                "trace_id": str(uuid.uuid4()),
            }
            headers = {**bearer("anything"), "Accept": "text/event-stream"}
            headers.pop("Authorization")  # the proxy adds the recording key
            answer = httpx.post(
                f"http://127.0.0.1:{port}/api/projects/1/conversations/",
                json=body,
                headers=headers,
                timeout=10,
            )
            assert answer.status_code == 200 and "42 signups" in answer.text
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=20) == 0
        last = process.stderr.read()
    assert "1 conversations, 1 streams" in last
    text = output.read_text()
    assert "phx_ada_all" not in text and PLACEHOLDER_KEY in text
    fixture = yaml.safe_load(text)
    (rule,) = fixture["agent"]["rules"]
    assert rule["match"] == r"^How\ many\ signups\ last\ week\?$"
    assert [frame.get("event") for frame in rule["replay"]["frames"]] == [
        "conversation",
        "update",
        "message",
        "message",
        "message",
    ]
    assert fixture["conversations"][0]["id"] == body["conversation"]
    seed = load_seed([output])
    assert seed.agent_script.turn_for("How many signups last week?") is not None
