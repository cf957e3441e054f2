"""fakeserver: an in-memory, offline fake of PostHog's AI Conversations API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["FakeServer", "__version__"]

if TYPE_CHECKING:
    from fakeserver.server import FakeServer


def __getattr__(name: str) -> Any:
    # Lazy, so `import fakeserver` (the CLI, the pytest plugin's discovery) stays cheap.
    if name == "FakeServer":
        from fakeserver.server import FakeServer

        return FakeServer
    raise AttributeError(f"module 'fakeserver' has no attribute {name!r}")
