"""Which PostHog the fake mirrors, from one data file (`posthog_version.toml`).

Everything that shows it (`fakeserver --version`, `GET /_fakeserver/`, the dashboard, the
OpenAPI documents' `info`, the verify report) asks `posthog_mirror()` or `version_text()`.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import metadata, resources


@dataclass(frozen=True, slots=True)
class PostHogMirror:
    repository: str
    commit: str
    """The full commit id the newest behaviour was read from."""
    read_on: date
    """When that commit was read (the audit's date)."""
    audit: str
    """The drift audit: every PostHog file followed, its commit, what was settled."""

    @property
    def short_commit(self) -> str:
        return self.commit[:8]

    @property
    def label(self) -> str:
        """E.g. `PostHog/posthog@505cadef (read 2026-12-05)`."""
        return f"{self.repository}@{self.short_commit} (read {self.read_on.isoformat()})"

    def as_dict(self) -> dict[str, str]:
        return {
            "repository": self.repository,
            "commit": self.commit,
            "read_on": self.read_on.isoformat(),
            "audit": self.audit,
        }


@functools.cache
def posthog_mirror() -> PostHogMirror:
    data = tomllib.loads(
        (resources.files(__package__) / "posthog_version.toml").read_text(encoding="utf-8")
    )
    return PostHogMirror(
        repository=data["repository"],
        commit=data["commit"],
        read_on=data["read_on"],
        audit=data["audit"],
    )


def fakeserver_version() -> str:
    return metadata.version("fakeserver")


def version_text() -> str:
    """What `fakeserver --version` prints: the fake's version and the PostHog it mirrors."""
    return f"fakeserver {fakeserver_version()}, mirroring {posthog_mirror().label}"
