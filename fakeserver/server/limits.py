"""`FakeServer`'s hold on PostHog's limits: the mode, the AI-credit quota and the clock of each
namespace, and what is left of every window (see docs/limits.md)."""

from __future__ import annotations

from typing import Any

from fakeserver.app import ServerState
from fakeserver.control.limit_report import limits_report
from fakeserver.domain.models import DEFAULT_ORGANIZATION
from fakeserver.domain.workspace import Workspace
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE


class LimitControls:
    """Mixed into `FakeServer`, which provides `state`. A namespace of
    None is the default one, except in `set_limits`, where it is the whole server."""

    state: ServerState

    def _namespace_workspace(self, namespace: str | None) -> Workspace:
        return self.state.namespace(namespace or DEFAULT_NAMESPACE)

    def set_limits(self, mode: str | None, namespace: str | None = None) -> None:
        """Turn PostHog's limits on (`"posthog"`, `"posthog-debug"`) or off (`"off"`) for one
        namespace, or for the server; None hands the choice back to the fixture. Counters are
        kept. Raises ValueError for an unknown mode."""
        self.state.set_limits(mode, namespace)

    def limits(self, namespace: str | None = None) -> dict[str, Any]:
        """The namespace's limits as the control API shows them: mode, clock, organizations,
        and each user's and key's windows (`used`, `remaining`, `resets_in_seconds`)."""
        name = namespace or DEFAULT_NAMESPACE
        return limits_report(self.state.namespace(name), self.state.limit_mode(name))

    def set_ai_credit_quota(
        self,
        exceeded: bool = True,
        *,
        organization: str | None = None,
        project: int | None = None,
        namespace: str | None = None,
    ) -> None:
        """Put an organization (by id, or the one of `project`; default: the `default`
        organization) over its AI-credit quota, or back under it, until the namespace resets.
        Raises KeyError for an unknown organization or project."""
        workspace = self._namespace_workspace(namespace)
        if project is not None:
            organization = workspace.seed.projects[project].organization_id
        workspace.limiter.set_quota_exceeded(organization or DEFAULT_ORGANIZATION, exceeded)

    def advance_clock(self, seconds: float, namespace: str | None = None) -> None:
        """Move the namespace's clock forward: its limit windows and its timestamps follow.
        Raises ValueError for a negative or infinite number of seconds."""
        self._namespace_workspace(namespace).clock.advance(seconds)

    def freeze_clock(self, namespace: str | None = None) -> None:
        """Hold the namespace's clock still (until `advance_clock`, `unfreeze_clock` or a reset),
        so that waits and Retry-After values come out exact."""
        self._namespace_workspace(namespace).clock.freeze()

    def unfreeze_clock(self, namespace: str | None = None) -> None:
        self._namespace_workspace(namespace).clock.unfreeze()
