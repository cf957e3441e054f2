"""docs/verify.md's scheduled recipe, run as a user's CI would run it, from a wheel in a fresh
virtualenv, against a second fakeserver standing in for PostHog (behind the stand-in proxy that
serves PostHog's app page, so the CSRF token is fetched as on PostHog).

The workflow is read from the page (the YAML block after the `verify-recipe` comment), not
copied: its `run` steps go into one bash script, in order, with the job's env. Substitutions
only: the freshly built wheel for `pip install fakeserver`, the stand-in's URL for PostHog's,
and the test's values for the repository's secrets and variables. Every step is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ADA_KEY, ServerFactory
from fresh_install import FreshInstall, wheel_and_empty_venv
from posthog_standin import Mutation, max_queue_messages_as_string, proxy, serving

from fakeserver import FakeServer
from fakeserver.conformance.runner import HeldRuns
from fakeserver.fixture_files import default_fixture_path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- verify-recipe"
RECIPE_TIMEOUT = 180
REPORT = "verify-report.json"
EXPRESSIONS = {
    "${{ vars.POSTHOG_PROJECT_ID }}": "1",
    "${{ secrets.POSTHOG_PERSONAL_API_KEY }}": ADA_KEY,
    "${{ secrets.POSTHOG_SESSION_COOKIE }}": "ses-ada",
}
"""What the repository's variables and secrets hold for the stand-in (Ada's key and session)."""


def recipe() -> dict[str, Any]:
    """The GitHub Actions workflow of docs/verify.md's recipe."""
    page = (ROOT / "docs" / "verify.md").read_text("utf-8")
    after = page[page.index(MARKER) :]
    block = re.search(r"```yaml\n(.*?)```", after, re.DOTALL)
    assert block is not None, "no yaml block after the verify-recipe marker"
    workflow: dict[str, Any] = yaml.safe_load(block.group(1))
    return workflow


def the_job(workflow: dict[str, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    found: dict[str, Any] = job
    return found


def script(job: dict[str, Any], wheel: Path) -> str:
    text = "\n".join(step["run"] for step in job["steps"] if "run" in step)
    installed = re.subn(r"pip install fakeserver\b", f"pip install {wheel}", text)
    assert installed[1] == 1, "the recipe installs fakeserver once"
    return "set -euo pipefail\n" + installed[0]


def job_env(job: dict[str, Any], target: str, bin_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    for name, value in job["env"].items():
        env[name] = EXPRESSIONS.get(str(value), str(value))
    assert env["POSTHOG_URL"] == "https://us.posthog.com"
    env["POSTHOG_URL"] = target
    return env


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> FreshInstall:
    return wheel_and_empty_venv(tmp_path_factory.mktemp("verify-recipe"))


@pytest.fixture
def target(make_server: ServerFactory) -> Iterator[FakeServer]:
    held = HeldRuns()
    with make_server(default_fixture_path(), profile="actual", live=True, pacer=held) as server:
        yield server
        held.release()


def run_recipe(
    target: FakeServer, mutations: list[Mutation], fresh_venv: FreshInstall, folder: Path
) -> tuple[int, str, dict[str, Any]]:
    bin_dir, wheel = fresh_venv
    job = the_job(recipe())
    with serving(proxy(target.url, mutations)) as url:
        done = subprocess.run(
            ["bash", "-c", script(job, wheel)],
            cwd=folder,
            env=job_env(job, url, bin_dir),
            capture_output=True,
            text=True,
            timeout=RECIPE_TIMEOUT,
        )
    report: dict[str, Any] = json.loads((folder / REPORT).read_text())
    return done.returncode, done.stdout + done.stderr, report


def test_the_recipe_runs_weekly_and_on_demand_and_keeps_the_report():
    workflow = recipe()
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as the string.
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["schedule"] == [{"cron": "17 6 * * 1"}]
    assert "workflow_dispatch" in triggers
    upload = next(s for s in the_job(workflow)["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == REPORT
    assert set(EXPRESSIONS) <= set(the_job(workflow)["env"].values())


def test_the_recipe_passes_against_a_posthog_like_the_fake(
    target: FakeServer, fresh_venv: FreshInstall, tmp_path: Path
):
    code, output, report = run_recipe(target, [], fresh_venv, tmp_path)
    assert code == 0, output
    assert report["new_differences"] == 0
    assert report["session"] is True
    assert {step["verdict"] for step in report["steps"]} == {"same"}


def test_the_recipe_fails_on_a_new_difference_and_still_writes_the_report(
    target: FakeServer, fresh_venv: FreshInstall, tmp_path: Path
):
    code, output, report = run_recipe(target, [max_queue_messages_as_string], fresh_venv, tmp_path)
    assert code == 1, output
    assert report["new_differences"] == 2
    new = [step for step in report["steps"] if step["verdict"] == "new"]
    assert {step["differing_paths"][0] for step in new} == {"$.max_queue_messages"}
