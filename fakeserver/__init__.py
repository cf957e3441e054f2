"""fakeserver: an in-memory, offline fake of PostHog's AI Conversations API.

The public API is what `__all__` lists; everything else is the package's inside and may move.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Final

__version__ = "0.1.0"
__all__ = [
    "DelayPacer",
    "FakeServer",
    "FaultAction",
    "FaultError",
    "FaultRule",
    "FixtureError",
    "GatedPacer",
    "Journal",
    "RecordedRequest",
    "RunPacer",
    "__version__",
]

if TYPE_CHECKING:
    from fakeserver.domain.pacing import DelayPacer, GatedPacer, RunPacer
    from fakeserver.fixture_files import FixtureError
    from fakeserver.harness.fault_rules import FaultAction, FaultError, FaultRule
    from fakeserver.harness.journal import Journal, RecordedRequest
    from fakeserver.server import FakeServer

_HOMES: Final = {
    "FakeServer": "fakeserver.server",
    "FixtureError": "fakeserver.fixture_files",
    "DelayPacer": "fakeserver.domain.pacing",
    "GatedPacer": "fakeserver.domain.pacing",
    "RunPacer": "fakeserver.domain.pacing",
    "FaultAction": "fakeserver.harness.fault_rules",
    "FaultError": "fakeserver.harness.fault_rules",
    "FaultRule": "fakeserver.harness.fault_rules",
    "Journal": "fakeserver.harness.journal",
    "RecordedRequest": "fakeserver.harness.journal",
}
"""Where each public name lives; imported on first use, so `import fakeserver` (the CLI, the
pytest plugin's discovery) stays cheap."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fakeserver' has no attribute {name!r}")
    return getattr(import_module(home), name)


def __dir__() -> list[str]:
    return sorted(__all__)
