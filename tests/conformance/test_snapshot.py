"""`fakeserver snapshot` against a target that is a second fakeserver, live on loopback."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ServerFactory

from fakeserver import FakeServer
from fakeserver.cli import main
from fakeserver.conformance import commands
from fakeserver.conformance.progress import Progress
from fakeserver.conformance.scrub import Scrubber
from fakeserver.conformance.snapshot import PLACEHOLDER_KEY
from fakeserver.fixture_files import check_fixture, default_fixture_path

SECRET_KEY = "phx_snapshot_s3cret_9f8e"
USER = {
    "id": 4,
    "email": "grace.hopper@navy.example.org",
    "first_name": "Grace",
    "last_name": "Hopper",
    "distinct_id": "grace-hopper-1906",
    "projects": [1],
    "personal_api_keys": [{"key": SECRET_KEY}],
}
MANY = 130
"""More than one page of the list (100)."""


def _conversation(index: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "project": 1,
        "user": 4,
        "title": f"Weekly active users, cohort {index}",
        "topic": "product_analytics",
        "created_at": f"2026-10-01T10:{index % 60:02d}:00Z",
        "updated_at": f"2026-10-02T{index % 24:02d}:{index % 60:02d}:00.123456Z",
        "messages": [
            {
                "type": "human",
                "content": f"How many weekly users in cohort {index}? Ask ops@corp.io",
            },
            {"type": "ai", "content": f"Cohort {index} has {index * 7} weekly active users."},
        ],
    }


@pytest.fixture
def target(make_server: ServerFactory) -> Iterator[FakeServer]:
    fixture = {"users": [USER], "conversations": [_conversation(i) for i in range(MANY)]}
    with make_server([default_fixture_path(), fixture], profile="actual", live=True) as server:
        yield server


def snapshot(
    capsys: pytest.CaptureFixture[str], url: str, *extra: str, key: str = SECRET_KEY
) -> tuple[int, str, str]:
    argv = ["snapshot", "--target", url, "--personal-api-key", key, "--project", "1", *extra]
    code = commands.run(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_snapshot_writes_a_fixture_that_loads_and_passes_check_fixture(
    make_server: ServerFactory,
    target: FakeServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
):
    path = tmp_path / "snap.yaml"
    code, out, err = snapshot(capsys, target.url, "-o", str(path))
    assert (code, out) == (0, "")
    assert err == f"snapshot: {MANY} conversations written to {path} (key: {PLACEHOLDER_KEY})\n"
    assert check_fixture([path]) == []
    assert main(["check-fixture", str(path)]) == 0
    fixture = yaml.safe_load(path.read_text())
    assert len(fixture["conversations"]) == MANY
    assert fixture["users"][0]["personal_api_keys"] == [{"key": PLACEHOLDER_KEY, "scopes": ["*"]}]
    with make_server(path) as served, served.client(api_key=PLACEHOLDER_KEY) as http:
        listed = http.get("/api/projects/1/conversations/", params={"limit": "1000"}).json()
    assert listed["count"] == MANY


def _conversations(path: Path) -> Any:
    return yaml.safe_load(path.read_text())["conversations"]


def test_round_trip_snapshot_serve_snapshot_gives_the_same_conversations(
    make_server: ServerFactory,
    target: FakeServer,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
):
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    assert snapshot(capsys, target.url, "-o", str(first))[0] == 0
    with make_server(first, profile="actual", live=True) as served:
        code = snapshot(capsys, served.url, "-o", str(second), key=PLACEHOLDER_KEY)[0]
    assert code == 0
    assert _conversations(second) == _conversations(first)
    assert yaml.safe_load(second.read_text())["users"] == yaml.safe_load(first.read_text())["users"]


def test_json_output_and_limit(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    path = tmp_path / "snap.json"
    assert snapshot(capsys, target.url, "--limit", "3", "-o", str(path))[0] == 0
    fixture = json.loads(path.read_text())
    with target.client(api_key=SECRET_KEY) as http:
        listed = http.get("/api/projects/1/conversations/", params={"limit": "3"}).json()
    assert [c["id"] for c in fixture["conversations"]] == [c["id"] for c in listed["results"]]
    assert check_fixture([path]) == []


def test_without_output_the_fixture_goes_to_stdout(
    target: FakeServer, capsys: pytest.CaptureFixture[str]
):
    code, out, err = snapshot(capsys, target.url, "--limit", "1")
    assert (code, err) == (0, "")
    assert out.startswith("# fakeserver snapshot of http://127.0.0.1:")
    assert len(yaml.safe_load(out)["conversations"]) == 1


def _originals(target: FakeServer) -> list[str]:
    """Every text, title, name and email of the key owner's listed conversations."""
    texts = [USER["email"], USER["first_name"], USER["last_name"], USER["distinct_id"]]
    for conversation in target.conversations():
        if conversation.user_id == USER["id"]:
            texts.append(conversation.title or "")
            texts += [message["content"] for message in conversation.messages]
    texts.append("ops@corp.io")
    return [text for text in texts if text]


def test_scrub_leaves_no_original_text_or_email(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    plain, scrubbed = tmp_path / "plain.yaml", tmp_path / "scrubbed.yaml"
    assert snapshot(capsys, target.url, "-o", str(plain))[0] == 0
    assert snapshot(capsys, target.url, "--scrub", "-o", str(scrubbed))[0] == 0
    text = scrubbed.read_text()
    found = [original for original in _originals(target) if original in text]
    assert found == []
    assert check_fixture([scrubbed]) == []
    before, after = _conversations(plain), _conversations(scrubbed)
    for old, new in zip(before, after, strict=True):
        assert (new["id"], new["created_at"]) == (old["id"], old["created_at"])
        assert len(new["title"]) == len(old["title"]) and new["title"] != old["title"]
        for old_message, new_message in zip(old["messages"], new["messages"], strict=True):
            assert new_message["type"] == old_message["type"]
            assert len(new_message["content"]) == len(old_message["content"])
    email = yaml.safe_load(text)["users"][0]["email"]
    assert re.fullmatch(r"[a-z]{5}\.[a-z]{6}@[a-z]{4}\.[a-z]{7}\.[a-z]{3}", email)


def test_scrubbed_text_keeps_shape():
    scrubber = Scrubber()
    scrubbed = scrubber.text("Ada, 42 signups!")
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [a-z]{7}!", scrubbed)
    assert scrubber.text("a") != "a"
    assert scrubber.text("...") == "..."


def test_the_key_appears_in_no_fixture_or_output(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    # A target that sends the key back (here as a title) gets it written as [redacted].
    with target.client(api_key=SECRET_KEY) as http:
        newest = http.get("/api/projects/1/conversations/").json()["results"][0]["id"]
        echoed = http.get(f"/api/projects/1/conversations/{newest}/").json()
    target.add_fault(path=f"*/{newest}/", status=200, body={**echoed, "title": SECRET_KEY})
    outputs = []
    for extra in (["-o", str(tmp_path / "a.yaml")], ["-o", str(tmp_path / "b.json")], []):
        code, out, err = snapshot(capsys, target.url, "--limit", "2", *extra)
        assert code == 0
        outputs += [out, err]
    files = [path.read_text() for path in tmp_path.iterdir()]
    assert len(files) == 2
    assert all(SECRET_KEY not in text for text in [*outputs, *files])
    titles = [c["title"] for c in json.loads((tmp_path / "b.json").read_text())["conversations"]]
    assert "[redacted]" in titles
    assert check_fixture([tmp_path / "a.yaml"]) == []


def test_snapshot_errors_are_one_line(target: FakeServer, capsys: pytest.CaptureFixture[str]):
    code, out, err = snapshot(capsys, target.url, key="phx_wrong")
    assert (code, out) == (2, "")
    assert err.startswith("fakeserver snapshot: ") and "refused the personal API key" in err
    assert err.count("\n") == 1


def test_unwritable_output_is_one_line(
    target: FakeServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    code, _, err = snapshot(capsys, target.url, "--limit", "1", "-o", str(tmp_path / "no" / "f"))
    assert code == 2
    assert err.startswith("fakeserver snapshot: cannot write ") and err.count("\n") == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_a_bar_on_a_terminal_only():
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("snapshot", 4, stream)
        for _ in range(4):
            progress.advance()
        progress.finish()
    assert pipe.getvalue() == ""
    drawn = terminal.getvalue()
    assert drawn.count("\r") == 4
    assert "\rsnapshot [" + "#" * 30 + "] 4/4\n" in drawn
    assert "] 2/4" in drawn
