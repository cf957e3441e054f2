"""`verify`'s report: a table for people, JSON for CI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from fakeserver import __version__
from fakeserver.api.divergences import by_id
from fakeserver.conformance.client import Answer
from fakeserver.conformance.verify import (
    KNOWN,
    NEEDS_SESSION,
    NEW,
    SAME,
    SKIPPED,
    VERDICTS,
    StepResult,
    VerifyReport,
)
from fakeserver.domain.posthog_version import posthog_mirror

_SHORT_TYPES: Final = {
    "application/json": "json",
    "text/event-stream": "stream",
    "text/plain": "text",
    "text/html": "html",
}
HEADERS: Final = ("step", "target", "fake", "verdict")
QUEUE_LINES: Final = {
    "conversations_queue_destroy": "queue-delete-response",
    "conversations_queue_clear_create": "queue-envelope",
}
"""The operations the project started from (delete a queued message, clear the queue), each
with the divergence row that holds its documented answer."""
QUEUE_HEADERS: Final = ("operation: step", "documented", "fake actual", "target", "verdict")


def answer_cell(answer: Answer | None) -> str:
    if answer is None:
        return "-"
    kind = _SHORT_TYPES.get(answer.content_type, answer.content_type or "empty")
    return f"{answer.status} {kind}"


def verdict_cell(result: StepResult) -> str:
    if result.verdict == KNOWN:
        return "known divergence: " + ", ".join(result.divergences)
    if result.verdict == NEW:
        first = result.differences[0].describe()
        more = len(result.differences) - 1
        return f"NEW difference: {first}" + (f" (+{more} more)" if more else "")
    if result.verdict == SKIPPED:
        return "skipped (the target lists no conversation)"
    if result.verdict == NEEDS_SESSION:
        return "needs a session (--session-cookie)"
    return SAME


def _ruled(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A header, a rule and the rows, every column but the last padded to its widest cell."""
    table = [headers, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers) - 1)]
    rule = [*("-" * width for width in widths), "-" * len(headers[-1])]
    lines = []
    for row in [headers, rule, *rows]:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return lines


def header(report: VerifyReport) -> str:
    signed_in = "a session and a key" if report.session else "a key only"
    return (
        f"fakeserver verify: {report.target}, project {report.project_id}, "
        f"fake profile {report.profile}, {report.conversations} conversations, "
        f"key scopes {' '.join(report.scopes)}, signed in with {signed_in}"
    )


def as_table(report: VerifyReport) -> str:
    rows = [
        (r.step.name, answer_cell(r.target), answer_cell(r.fake), verdict_cell(r))
        for r in report.results
    ]
    mirror = posthog_mirror()
    drift = (
        f"the fake mirrors {mirror.label}; a new difference may be PostHog moving on "
        f"(see {mirror.audit})"
    )
    lines = [header(report), drift, "", *_ruled(HEADERS, rows)]
    lines += ["", *_queue_table(report)]
    for result in report.results:
        if result.verdict == NEW:
            lines += ["", f"NEW in '{result.step.name}' ({result.step.method} /{result.path}):"]
            lines += [f"  {difference.describe()}" for difference in result.differences]
    lines += ["", summary(report)]
    return "\n".join(lines) + "\n"


def queue_results(report: VerifyReport) -> list[StepResult]:
    """The steps of the queue's delete and clear, under both prefixes."""
    return [r for r in report.results if _queue_row(r) is not None]


def _queue_row(result: StepResult) -> str | None:
    operation = (result.step.operation or "").removeprefix("environments_")
    return QUEUE_LINES.get(operation)


def documented_answer(result: StepResult) -> str:
    row = _queue_row(result)
    return by_id(row).documented if row is not None else ""


def _queue_table(report: VerifyReport) -> list[str]:
    rows = [
        (
            f"{r.step.method} {_operation_path(r)}: {r.step.name}",
            documented_answer(r),
            answer_cell(r.fake_actual),
            answer_cell(r.target),
            verdict_cell(r),
        )
        for r in queue_results(report)
    ]
    title = "The queue's delete and clear: the docs' answer on success, the fake's, this PostHog's"
    return [title, *_ruled(QUEUE_HEADERS, rows)]


def _operation_path(result: StepResult) -> str:
    """`projects/.../queue/{queue_id}/` or `environments/.../queue/clear/`."""
    prefix = "environments" if "environments" in (result.step.operation or "") else "projects"
    end = "queue/clear/" if result.step.path.endswith("clear/") else "queue/{queue_id}/"
    return f"{prefix}/.../{end}"


def summary(report: VerifyReport) -> str:
    counts = dict.fromkeys(VERDICTS, 0)
    for result in report.results:
        counts[result.verdict] += 1
    text = (
        f"{len(report.results)} steps: {counts[SAME]} same, {counts[KNOWN]} known "
        f"divergences, {counts[NEW]} new differences"
    )
    if counts[SKIPPED]:
        text += f", {counts[SKIPPED]} skipped"
    if counts[NEEDS_SESSION]:
        text += f", {counts[NEEDS_SESSION]} need a session"
    return text


def _answer_json(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    found: dict[str, Any] = {"status": answer.status, "content_type": answer.content_type}
    if answer.events is not None:
        found["events"] = answer.events
    return found


def _status(answer: Answer | None) -> int | None:
    return answer.status if answer is not None else None


def step_json(result: StepResult) -> dict[str, Any]:
    return {
        "step": result.step.name,
        "operation": result.step.operation,
        "method": result.step.method,
        "path": "/" + result.path,
        "auth": result.step.auth,
        "target_status": _status(result.target),
        "fake_status": _status(result.fake),
        "target": _answer_json(result.target),
        "fake": _answer_json(result.fake),
        "verdict": result.verdict,
        "divergences": list(result.divergences),
        "differing_paths": [difference.path for difference in result.differences],
        "differences": [difference.as_json() for difference in result.differences],
    }


def as_json(report: VerifyReport) -> dict[str, Any]:
    return {
        "fakeserver": __version__,
        "posthog": posthog_mirror().as_dict(),
        "target": report.target,
        "project": report.project_id,
        "profile": report.profile,
        "allow_writes": report.allow_writes,
        "session": report.session,
        "conversations": report.conversations,
        "key_scopes": list(report.scopes),
        "new_differences": report.new_differences,
        "steps": [step_json(result) for result in report.results],
        "queue_delete_and_clear": [
            {
                "step": result.step.name,
                "operation": result.step.operation,
                "method": result.step.method,
                "path": "/" + result.path,
                "documented": documented_answer(result),
                "fake_actual": _answer_json(result.fake_actual),
                "target": _answer_json(result.target),
                "verdict": result.verdict,
            }
            for result in queue_results(report)
        ],
        "summary": summary(report),
    }
