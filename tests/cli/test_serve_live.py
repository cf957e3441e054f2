"""`fakeserver serve` as a user runs it: a real process on a free port, answering over HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def served() -> Iterator[tuple[str, list[str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "serve", "--port", "0", "--profile", "actual"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:  # the banner comes once the socket is bound
            lines.append(line.rstrip("\n"))
            if line.startswith("    curl "):
                break
        match = re.search(r"base URL   (http://\S+)", "\n".join(lines))
        assert match, lines
        yield match.group(1), lines
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_prints_a_banner_and_answers(served: tuple[str, list[str]]):
    base_url, lines = served
    assert (
        "  profile    actual (per request: header X-Fakeserver-Profile: documented|actual)" in lines
    )
    curl = lines[-1].strip()
    key = re.search(r"Bearer (\S+)\"", curl).group(1)  # type: ignore[union-attr]
    url = curl.split()[-1]
    with httpx.Client(timeout=5) as client:
        assert client.get(f"{base_url}/_health").text == "ok"
        listed = client.get(url, headers={"Authorization": f"Bearer {key}"})
        schema = client.get(f"{base_url}/api/schema/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 4
    assert schema.status_code == 200
