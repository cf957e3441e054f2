"""What the in-process and live contract runs share: which operations the fake implements yet,
and schemathesis' configuration for each profile (one dict, loaded directly in process and
written out as a `schemathesis.toml` for the CLI).

Every deviation from schemathesis' defaults below carries its reason; no check is switched off
for a whole run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
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


def settings(profile: str, document: dict[str, Any], implemented: set[str]) -> dict[str, Any]:
    """schemathesis' configuration (the `schemathesis.toml` structure) for one profile."""
    operations: list[dict[str, Any]] = [
        {
            # create and open answer 400 to valid bodies for reasons the document cannot
            # express as a schema: an existing conversation on the other runtime (sandbox vs
            # not: "Sandbox conversations must be opened via the open endpoint." / "This
            # conversation is not on the sandbox runtime."), `content: null` for an unknown
            # conversation ("Cannot stream from non-existent conversation"), an idle
            # conversation without a message, another user's conversation (400 in create).
            # These are PostHog's state-dependent refusals (posthog-conversations-api.md 3.1,
            # 3.6); each is declared as a 400 response in the document.
            "include-operation-id-regex": r"^(environments_)?conversations_(create|open_create)$",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "400"]}
            },
        },
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
        "parameters": {"project_id": str(PROJECT_ID)},
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


# A minimal TOML writer for the structure above (tomllib only reads).


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _flat(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def as_toml(config: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, body in config.items():
        if isinstance(body, list):
            for table in body:
                lines.append(f"[[{section}]]")
                lines.extend(f"{key} = {_value(value)}" for key, value in _flat(table))
        else:
            for key, value in _flat(body):
                lines.append(f"{section}.{key} = {_value(value)}")
    return "\n".join(lines) + "\n"
