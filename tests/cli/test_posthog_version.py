"""Which PostHog the fake mirrors: `fakeserver --version` agrees with the drift audit
(docs/posthog-version.md), and every other place that shows it shows the same."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from fakeserver.api.profiles import PROFILES
from fakeserver.conformance.report import as_json, as_table
from fakeserver.conformance.verify import VerifyReport
from fakeserver.domain.posthog_version import posthog_mirror

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "docs" / "posthog-version.md"


def _audit_mirror() -> tuple[str, str, str]:
    """(repository, commit, date) from the audit's `Mirrors:` line."""
    found = re.search(
        r"^\*\*Mirrors:\*\* `([\w.-]+/[\w.-]+)@([0-9a-f]{40})`, read (\d{4}-\d{2}-\d{2})",
        AUDIT.read_text(encoding="utf-8"),
        re.M,
    )
    assert found is not None, "docs/posthog-version.md lost its Mirrors: line"
    return found.group(1), found.group(2), found.group(3)


def test_version_names_the_posthog_of_the_audit() -> None:
    repository, commit, read_on = _audit_mirror()
    printed = subprocess.run(
        [sys.executable, "-m", "fakeserver", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == f"fakeserver 0.1.0, mirroring {repository}@{commit[:8]} (read {read_on})\n"
    assert (posthog_mirror().commit, posthog_mirror().audit) == (commit, "docs/posthog-version.md")


def test_every_row_of_the_audit_names_a_commit() -> None:
    rows = [
        line
        for line in AUDIT.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") and "/" in line.split("|")[1]
    ]
    assert len(rows) >= 7
    for row in rows:
        assert re.search(r"`[0-9a-f]{8,40}`", row.split("|")[2]), row


def test_control_api_dashboard_and_documents_show_it(client: httpx.Client) -> None:
    expected = posthog_mirror().as_dict()
    assert client.get("/_fakeserver/").json()["posthog"] == expected
    page = client.get("/_fakeserver/ui").text
    assert f"mirrors {posthog_mirror().label}" in page
    for profile in PROFILES:
        schema = client.get("/api/schema/", headers={"X-Fakeserver-Profile": profile}).json()
        assert schema["info"]["x-posthog-mirror"] == expected
        as_yaml = yaml.safe_load(
            PROFILES[profile].openapi_yaml
        )  # `fakeserver openapi --format yaml`
        assert as_yaml["info"]["x-posthog-mirror"] == expected


def test_the_verify_report_shows_it() -> None:
    report = VerifyReport(
        target="https://eu.posthog.com",
        project_id=1,
        profile="actual",
        allow_writes=False,
        conversations=0,
        scopes=("conversation:read",),
        results=[],
    )
    assert as_json(report)["posthog"] == posthog_mirror().as_dict()
    assert f"the fake mirrors {posthog_mirror().label}" in as_table(report)


def test_the_readme_says_how_to_report_a_drift() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/posthog-version.md" in readme
