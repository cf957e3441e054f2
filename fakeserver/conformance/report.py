"""`verify`'s report: a table for people, JSON for CI."""

from __future__ import annotations

from typing import Any, Final

from fakeserver import __version__
from fakeserver.conformance.client import Answer
from fakeserver.conformance.verify import StepResult, VerifyReport
from fakeserver.domain.posthog_version import posthog_mirror

_SHORT_TYPES: Final = {
    "application/json": "json",
    "text/event-stream": "stream",
    "text/plain": "text",
    "text/html": "html",
}
HEADERS: Final = ("step", "target", "fake", "verdict")


def answer_cell(answer: Answer | None) -> str:
    if answer is None:
        return "-"
    kind = _SHORT_TYPES.get(answer.content_type, answer.content_type or "empty")
    return f"{answer.status} {kind}"


def verdict_cell(result: StepResult) -> str:
    if result.verdict == "known":
        return "known divergence: " + ", ".join(result.divergences)
    if result.verdict == "new":
        first = result.differences[0].describe()
        more = len(result.differences) - 1
        return f"NEW difference: {first}" + (f" (+{more} more)" if more else "")
    if result.verdict == "skipped":
        return "skipped (the target lists no conversation)"
    return "same"


def as_table(report: VerifyReport) -> str:
    rows = [
        (
            result.step.name,
            answer_cell(result.target),
            answer_cell(result.fake),
            verdict_cell(result),
        )
        for result in report.results
    ]
    widths = [max(len(row[column]) for row in [HEADERS, *rows]) for column in range(3)]

    def line(cells: tuple[str, str, str, str]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[3]]).rstrip()

    lines = [
        f"fakeserver verify: {report.target}, project {report.project_id}, "
        f"fake profile {report.profile}, {report.conversations} conversations, "
        f"key scopes {' '.join(report.scopes)}",
        f"the fake mirrors {posthog_mirror().label}; a new difference may be PostHog moving on "
        f"(see {posthog_mirror().audit})",
        "",
        line(HEADERS),
        line(("-" * widths[0], "-" * widths[1], "-" * widths[2], "-" * len(HEADERS[3]))),
        *(line(row) for row in rows),
    ]
    new = [result for result in report.results if result.verdict == "new"]
    for result in new:
        lines += ["", f"NEW in '{result.step.name}' ({result.step.method} /{result.path}):"]
        lines += [f"  {difference.describe()}" for difference in result.differences]
    lines += ["", summary(report)]
    return "\n".join(lines) + "\n"


def summary(report: VerifyReport) -> str:
    counts = {verdict: 0 for verdict in ("same", "known", "new", "skipped")}
    for result in report.results:
        counts[result.verdict] += 1
    text = (
        f"{len(report.results)} steps: {counts['same']} same, {counts['known']} known "
        f"divergences, {counts['new']} new differences"
    )
    return text + (f", {counts['skipped']} skipped" if counts["skipped"] else "")


def _answer_json(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    summary: dict[str, Any] = {"status": answer.status, "content_type": answer.content_type}
    if answer.events is not None:
        summary["events"] = answer.events
    return summary


def as_json(report: VerifyReport) -> dict[str, Any]:
    return {
        "fakeserver": __version__,
        "posthog": posthog_mirror().as_dict(),
        "target": report.target,
        "project": report.project_id,
        "profile": report.profile,
        "allow_writes": report.allow_writes,
        "conversations": report.conversations,
        "key_scopes": list(report.scopes),
        "new_differences": report.new_differences,
        "steps": [
            {
                "step": result.step.name,
                "request": {"method": result.step.method, "path": "/" + result.path},
                "target": _answer_json(result.target),
                "fake": _answer_json(result.fake),
                "verdict": result.verdict,
                "divergences": list(result.divergences),
                "differences": [difference.as_json() for difference in result.differences],
            }
            for result in report.results
        ],
        "summary": summary(report),
    }
