"""What the in-process contract run needs: which operations the fake implements yet, and
schemathesis' configuration for each profile (one dict, loaded directly in process). The live
runs (live.py) use the shipped configuration exactly as printed.

The base is what users get: `fakeserver schemathesis-config --profile P` (the shipped settings,
each with its reason). This suite adds two users instead of one key, so that
`object_level_authorization` runs and the actual profile's key-refusing actions are exercised
with a session. Every deviation from schemathesis' defaults carries its reason; no check is
switched off for a whole run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.routing import Route

from fakeserver.api.routes import OPERATIONS

PROFILES: Final = ("documented", "actual")
HERE: Final = Path(__file__).resolve().parent
PEERS: Final = ("ada", "bob")
"""The two users of the default fixture, both members of project 1 (auth/<profile>.json)."""
PROJECT_ID: Final = 1
"""Fixed so that generated requests reach the fixture's data instead of 404 `Project not found.`."""

POSITIVE_STATUSES: Final = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
"""schemathesis' default expected statuses for `positive_data_acceptance`."""


def implemented_operations(app: Starlette) -> set[str]:
    """operationIds whose route has a handler for the method: grows by itself as endpoints land."""
    found = set()
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if not (
            isinstance(route, Route)
            and isinstance(endpoint, type)
            and issubclass(endpoint, HTTPEndpoint)
        ):
            continue
        for (path, method), operation in OPERATIONS.items():
            if path == route.path and callable(getattr(endpoint, method.lower(), None)):
                found.add(operation.operation_id)
    return found


def unimplemented_methods(document: dict[str, Any], implemented: set[str]) -> dict[str, list[str]]:
    """Document path -> the methods it declares whose operation the fake does not implement yet."""
    missing: dict[str, list[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_id = operation.get("operationId") if isinstance(operation, dict) else None
            if operation_id is not None and operation_id not in implemented:
                missing.setdefault(path, []).append(method.upper())
    return missing


def _exact(values: Iterable[str]) -> str:
    return "^(" + "|".join(re.escape(value) for value in sorted(values)) + ")$"


def shipped_settings(profile: str) -> dict[str, Any]:
    """What `fakeserver schemathesis-config --profile PROFILE` prints, parsed."""
    printed = subprocess.run(
        [sys.executable, "-m", "fakeserver", "schemathesis-config", "--profile", profile],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return tomllib.loads(printed)


def settings(profile: str, document: dict[str, Any], implemented: set[str]) -> dict[str, Any]:
    """schemathesis' configuration (the `schemathesis.toml` structure) for one profile."""
    config = shipped_settings(profile)
    # The base URL comes from the run (in process: none); the credentials from the WFC file below.
    del config["base-url"]
    config.pop("headers", None)
    config.pop("auth", None)
    operations: list[dict[str, Any]] = [
        *config.pop("operations"),
        {
            # PostHog's retrieve filters by team but not by user (posthog-conversations-api.md
            # 3.2 and 9.11: "200 in retrieve when the conversation is in the same team"), so Bob
            # reading Ada's conversation in their shared project is the real API's behaviour,
            # which the fake reproduces. The check stays on for every other read (the queue
            # answers Bob 403, the list leaves Ada's conversations out).
            "include-operation-id-regex": r"^(environments_)?conversations_retrieve$",
            "checks": {"object_level_authorization": {"enabled": False}},
        },
    ]
    missing = unimplemented_methods(document, implemented)
    if missing:
        operations.append(
            {
                # Not implemented yet: generating requests for them would only exercise a 405.
                "include-operation-id": sorted(
                    document["paths"][path][method.lower()]["operationId"]
                    for path, methods in missing.items()
                    for method in methods
                ),
                "enabled": False,
            }
        )
        operations.append(
            {
                # The document lists these paths' unimplemented methods, so until they land the
                # server's `Allow` header lacks them (ST205). Disappears when all are implemented.
                "include-path-regex": _exact(missing),
                "checks": {"allow_header_conformance": {"enabled": False}},
            }
        )
    return {
        **config,
        "parameters": {"project_id": str(PROJECT_ID)},
        # The WFC files' fixed headers (in `actual` a Cookie header) are sent on every request,
        # whatever the case: a negative case that only drops or spoils a security parameter
        # would go out with valid credentials and be served (ST201). ignored_auth still removes
        # and spoils the credentials.
        "generation": {"with-security-parameters": False},
        "auth": {
            # Both users of the default fixture: Ada runs every operation, Bob is the peer
            # `object_level_authorization` replays Ada's reads as. Fixed headers make the
            # credentials explicit, so `ignored_auth` probes them by removing or replacing
            # each declared scheme (bearer key, and in `actual` the session cookie).
            "wfc": {
                "path": str(HERE / "auth" / f"{profile}.json"),
                "user": PEERS[0],
                "peers": list(PEERS),
            },
        },
        "operations": operations,
    }
