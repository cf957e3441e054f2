"""What the dashboard shows, as JSON: read from the server's state, never written to it.

Everything here runs when a dashboard asks, and only then: the API's requests pay nothing for
it. Secrets stay hidden as the journal hides them; API keys are shown by their first letters.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from fakeserver.api.profiles import PROFILES
from fakeserver.api.routes import OPERATIONS
from fakeserver.api.serializers import drf_datetime
from fakeserver.control.api import ControlledServer
from fakeserver.control.dashboard.listing import hidden_reason
from fakeserver.domain.models import Conversation, PersonalApiKey
from fakeserver.domain.runs import AgentRun
from fakeserver.domain.workspace import Workspace
from fakeserver.fixture_files import FixtureSource, FixtureText
from fakeserver.harness.journal import JournalEntry
from fakeserver.harness.namespaces import DEFAULT_NAMESPACE

JOURNAL_ROWS: Final = 200
"""The newest journal entries one view shows (the journal holds 1000 by default)."""
STATUS_CLASSES: Final = ("2xx", "3xx", "4xx", "5xx", "none")


DashboardServer = ControlledServer
"""What the dashboard reads: what the control API reads (the app's `ServerState`)."""


def workspace_of(server: DashboardServer, namespace: str) -> Workspace:
    """The namespace's workspace; one never used is at its fixture state, shown without
    creating it."""
    return server.workspaces.get(namespace) or Workspace(server.seed)


def namespace_names(server: DashboardServer, shown: str) -> list[str]:
    """The default namespace, then the others by name (the one shown too, even unused)."""
    others = {name for name in server.workspaces if name != DEFAULT_NAMESPACE}
    others |= {shown} - {DEFAULT_NAMESPACE}
    return [DEFAULT_NAMESPACE, *sorted(others)]


# Overview ----------------------------------------------------------------------------------


def overview(server: DashboardServer, namespace: str) -> dict[str, Any]:
    workspace = workspace_of(server, namespace)
    store, seed = workspace.store, workspace.seed
    added = sum(1 for c in store.changed_conversations() if c.id not in seed.conversations)
    listed = sum(store.count_listed(owner) for owner in store.listing_owners())
    total = len(seed.conversations) + added
    return {
        "namespace": namespace,
        "namespaces": namespace_names(server, namespace),
        "profile": server.profile.name,
        "profiles": sorted(PROFILES),
        "fixtures": [
            fixture_label(source)
            for source in server.namespace_sources.get(namespace, server.sources)
        ],
        "counts": {
            "conversations": total,
            "listed": listed,
            "hidden": total - listed,
            "running": len(workspace.runs),
            "journal": len(server.journal),
            "faults": sum(
                1 for rule in server.faults.rules() if rule.namespace in (None, namespace)
            ),
        },
        "projects": [{"id": p.id, "name": p.name} for p in seed.projects.values()],
        "users": [
            {
                "id": user.id,
                "email": user.email,
                "name": f"{user.first_name} {user.last_name}".strip(),
                "projects": sorted(user.project_ids),
                "current_project": user.current_project_id,
                "keys": [key_json(key) for key in seed.api_keys.values() if key.user_id == user.id],
            }
            for user in seed.users.values()
        ],
        "operations": sorted({operation.operation_id for operation in OPERATIONS.values()}),
    }


def fixture_label(source: FixtureSource) -> str:
    if isinstance(source, FixtureText):
        return f"{source.filename} (uploaded)"
    if isinstance(source, str | Path):
        return str(source)
    return "(a fixture document sent to the control API)"


def redacted_key(value: str) -> str:
    """Enough of a key to tell it from the others, not enough to use it."""
    return f"{value[:6]}…" if len(value) > 8 else "…"


def key_json(key: PersonalApiKey) -> dict[str, Any]:
    return {
        "key": redacted_key(key.value),
        "scopes": sorted(key.scopes),
        "projects": sorted(key.project_ids) if key.project_ids is not None else None,
    }


# Conversations -----------------------------------------------------------------------------


def conversation_row(conversation: Conversation, workspace: Workspace) -> dict[str, Any]:
    run = workspace.runs.active(conversation.id)
    return {
        "id": conversation.id,
        "title": conversation.title,
        "status": conversation.status,
        "project": conversation.project_id,
        "user": conversation.user_id,
        "messages": len(conversation.messages),
        "queue": len(conversation.queue),
        "run": "running" if run is not None else None,
        "updated_at": drf_datetime(conversation.updated_at),
        "hidden": hidden_reason(conversation),
    }


def run_json(run: AgentRun, workspace: Workspace) -> dict[str, Any]:
    conversation = workspace.store.conversation(run.conversation_id)
    return {
        "conversation": run.conversation_id,
        "title": conversation.title if conversation is not None else None,
        "status": conversation.status if conversation is not None else None,
        "queue": len(conversation.queue) if conversation is not None else 0,
        "frames": len(run.log.frames),
        "turn_frames": len(run.log.frames) - run.log.run_start,
        "kinds": [list(item) for item in workspace.runs.frame_kinds(run.conversation_id)],
        "closed": run.log.closed,
    }


def open_streams(server: DashboardServer, namespace: str) -> list[dict[str, Any]]:
    return [
        {
            "sequence": entry.sequence,
            "started_at": entry.started_at.isoformat(),
            "method": entry.method,
            "path": entry.path,
            "operation_id": entry.operation_id,
            "status": entry.status,
            "conversation": _conversation_of(entry),
        }
        for entry in server.journal.open_entries()
        if entry.namespace == namespace
    ]


def _conversation_of(entry: JournalEntry) -> str | None:
    """The conversation a stream request names in its body, if it names one."""
    try:
        body = entry.json()
    except ValueError:
        return None
    found = body.get("conversation") if isinstance(body, dict) else None
    return found if isinstance(found, str) else None


# Journal -----------------------------------------------------------------------------------


def journal_rows(
    server: DashboardServer,
    namespace: str,
    status_class: str | None,
    operation: str | None,
    text: str | None,
) -> tuple[list[dict[str, Any]], int]:
    """The newest matching entries (at most JOURNAL_ROWS), and how many match in all."""
    needle = (text or "").strip().lower()
    found = [
        entry
        for entry in reversed(server.journal.entries())
        if entry.namespace == namespace
        and _in_class(entry, status_class)
        and (
            not operation
            or entry.operation_id == operation
            or (operation == "unmatched" and not entry.matched)
        )
        and (not needle or needle in _searchable(entry))
    ]
    return [journal_row(entry) for entry in found[:JOURNAL_ROWS]], len(found)


def _in_class(entry: JournalEntry, status_class: str | None) -> bool:
    if not status_class:
        return True
    if entry.status is None:
        return status_class == "none"
    return status_class == f"{entry.status // 100}xx"


def _searchable(entry: JournalEntry) -> str:
    diagnosis = entry.diagnosis.detail if entry.diagnosis else ""
    parts = (entry.method, entry.path, entry.query, entry.operation_id or "", diagnosis)
    return " ".join(parts).lower()


def journal_row(entry: JournalEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "started_at": entry.started_at.isoformat(),
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "operation_id": entry.operation_id,
        "status": entry.status,
        "duration_ms": round(entry.duration_ms, 2),
        "matched": entry.matched,
        "diagnosis": entry.diagnosis.as_json() if entry.diagnosis else None,
        "fault": entry.fault is not None,
        "complete": entry.complete,
    }


def find_entry(server: DashboardServer, sequence: int) -> JournalEntry | None:
    return next((e for e in server.journal.entries() if e.sequence == sequence), None)


# Changes -----------------------------------------------------------------------------------


def version(server: DashboardServer) -> str:
    """A token that changes whenever something a dashboard shows changes.

    Read from counters the server keeps anyway (the journal's sequence, each run's frames,
    which store each namespace holds): a request served, a run's progress, a control call.
    Nothing is counted on the API's path for it.
    """
    journal = server.journal
    parts: list[Any] = [
        server.profile.name,
        journal.last_sequence,
        len(journal),
        [entry.sequence for entry in journal.open_entries()],
        [(rule.id, rule.fired) for rule in server.faults.rules()],
    ]
    for name, workspace in server.workspaces.items():
        runs = [(run.conversation_id, len(run.log.frames)) for run in workspace.runs.running()]
        parts.append((name, id(workspace.store), id(workspace.seed), runs))
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()
