"""The documented CI recipe, run as a user would run it, from a wheel in a fresh virtualenv.

The job is read from docs/contract-testing.md (the YAML block after the `ci-recipe` comment),
not copied: its
`run` steps go into one bash script, in order, with the job's env, once per matrix profile. Two
substitutions only: the freshly built wheel for `pip install fakeserver`, and a free port for
8010. A small test file stands in for "your tests". Each profile runs twice: as written (a new
random seed each time, as a user's CI runs it) and with a fixed `--seed` added to the
schemathesis step (the same run every time). Every step is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fresh_install import FreshInstall, wheel_and_empty_venv
from live import BLOCKING_WARNINGS, summary_lines

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- ci-recipe"
RECIPE_TIMEOUT = 150
USER_TEST = """
import os

import httpx


def test_my_client_lists_conversations():
    answer = httpx.get(
        os.environ["POSTHOG_HOST"] + "/api/projects/1/conversations/",
        headers={"Authorization": "Bearer phx_ada_all"},
    )
    assert answer.status_code == 200
    assert answer.json()["count"] == 4
"""


def recipe_job() -> dict[str, Any]:
    """The GitHub Actions job of the documented CI recipe."""
    readme = (ROOT / "docs" / "contract-testing.md").read_text("utf-8")
    after = readme[readme.index(MARKER) :]
    block = re.search(r"```yaml\n(.*?)```", after, re.DOTALL)
    assert block is not None, "no yaml block after the ci-recipe marker"
    jobs: dict[str, Any] = yaml.safe_load(block.group(1))["jobs"]
    (job,) = jobs.values()
    return job


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


FIXED_SEED = 29


def script(job: dict[str, Any], wheel: Path, seed: int | None) -> str:
    runs = [step["run"] for step in job["steps"] if "run" in step]
    text = "\n".join(runs)
    text, installs = re.subn(r"pip install fakeserver\b", f"pip install {wheel}", text)
    assert installs == 1, "the recipe installs fakeserver from PyPI once"
    if seed is not None:
        text, runs_found = re.subn(r"(schemathesis run [^\n]*)", rf"\1 --seed {seed}", text)
        assert runs_found == 1, "the recipe runs schemathesis once"
    # The background server belongs to this script's process group, which the test ends.
    return "set -euo pipefail\n" + text


def job_env(job: dict[str, Any], profile: str, port: int, bin_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    for name, value in job["env"].items():
        value = str(value).replace("${{ matrix.profile }}", profile)
        env[name] = value.replace("8010", str(port))
    return env


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> FreshInstall:
    return wheel_and_empty_venv(tmp_path_factory.mktemp("recipe"))


@pytest.mark.parametrize("seed", [None, FIXED_SEED], ids=["as-written", "fixed-seed"])
@pytest.mark.parametrize("profile", ["documented", "actual"])
def test_ci_recipe_passes_from_the_wheel(
    profile: str, seed: int | None, fresh_venv: FreshInstall, tmp_path: Path
) -> None:
    bin_dir, wheel = fresh_venv
    job = recipe_job()
    assert job["strategy"]["matrix"]["profile"] == ["documented", "actual"]
    (tmp_path / "test_my_client.py").write_text(USER_TEST)
    process = subprocess.Popen(
        ["bash", "-c", script(job, wheel, seed)],
        cwd=tmp_path,
        env=job_env(job, profile, free_port(), bin_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RECIPE_TIMEOUT)
    finally:
        # The server the recipe left in the background is in the script's process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait()
    assert process.returncode == 0, output
    assert "1 passed" in output, output
    summary = output[output.rindex("SUMMARY") :]
    assert "Failures:" not in summary, summary  # schemathesis exits 1 on failures, too
    warnings = summary_lines(output, "Warnings")
    assert not [w for w in warnings if w.startswith(BLOCKING_WARNINGS)], summary
