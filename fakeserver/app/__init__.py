"""The server's assembly: the settings, the state, the Starlette app, the gateway around the
router, the in-process transports and the launcher. It wires `api/`, `harness/` and `control/`
together over the domain.

Its names are imported on first use, so that reading the settings (`app.config`, as the pytest
plugin does when pytest starts) does not load the app.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from fakeserver.app.build import create_app
    from fakeserver.app.config import ServerConfig
    from fakeserver.app.state import ServerState

__all__ = ["ServerConfig", "ServerState", "create_app"]

_HOMES: Final = {
    "ServerConfig": "fakeserver.app.config",
    "ServerState": "fakeserver.app.state",
    "create_app": "fakeserver.app.build",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fakeserver.app' has no attribute {name!r}")
    return getattr(import_module(home), name)
