"""The server's assembly: the state, the Starlette app, the gateway around the router, and
the in-process transports. It wires `api/`, `harness/` and `control/` together over the domain."""

from fakeserver.app.build import create_app
from fakeserver.app.state import ServerConfig, ServerState

__all__ = ["ServerConfig", "ServerState", "create_app"]
