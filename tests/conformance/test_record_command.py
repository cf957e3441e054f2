"""`fakeserver record` as a user runs it: a proxy on a port, Ctrl-C writes the file, exit 0."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import yaml
from conftest import ServerFactory

from fakeserver.conformance.snapshot import PLACEHOLDER_KEY
from fakeserver.fixture_files import load_seed


def test_record_writes_the_runs_on_ctrl_c_without_the_key(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    output = tmp_path / "recorded.yaml"
    target = make_server(live=True)
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
        "0",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        banner = process.stderr.readline()
        found = re.search(r"proxy on (http://127\.0\.0\.1:\d+);", banner)
        assert found is not None, banner
        body = {
            "content": "How many signups last week?",
            "conversation": str(uuid.uuid4()),
            "trace_id": str(uuid.uuid4()),
        }
        answer = httpx.post(  # no credentials: the proxy adds the recording key
            f"{found.group(1)}/api/projects/1/conversations/",
            json=body,
            headers={"Accept": "text/event-stream"},
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
