"""Which PostHog operation a request is, and for a request that is none, why it missed.

The journal and the fault rules both name requests by PostHog's operationId. A request that
matches no route is diagnosed against the route table: the nearest operation, and whether the
method is wrong, a trailing segment is missing or extra, or the prefix is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher, get_close_matches
from fnmatch import fnmatchcase
from typing import Final

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from fakeserver.api.routes import OPERATIONS, Operation

OPERATION_IDS: Final = tuple(sorted({operation.operation_id for operation in OPERATIONS.values()}))
"""Every operationId the fake serves (PostHog's, under both path prefixes)."""


class UnknownOperationId(ValueError):
    """An operation id (or glob) that names no operation: a typo would otherwise match nothing,
    and a test asserting on it would pass without testing anything."""


def known_operation_id(pattern: str) -> str:
    """`pattern` if it is an operationId the fake serves, or a glob that matches at least one;
    raises `UnknownOperationId` naming the nearest ids otherwise."""
    if pattern in OPERATION_IDS or any(fnmatchcase(known, pattern) for known in OPERATION_IDS):
        return pattern
    nearest = get_close_matches(pattern, OPERATION_IDS, n=3, cutoff=0.6)
    if nearest:
        hint = f"did you mean {nearest[0]}?"
        if len(nearest) > 1:
            hint += f" (also close: {', '.join(nearest[1:])})"
    else:
        hint = f"known ids: {', '.join(i for i in OPERATION_IDS if not i.startswith('env'))} "
        hint += "(and each with the prefix environments_)"
    raise UnknownOperationId(f"unknown operation_id {pattern!r}: {hint}")


WRONG_METHOD: Final = "wrong_method"
MISSING_SEGMENT: Final = "missing_trailing_segment"
EXTRA_SEGMENT: Final = "extra_trailing_segment"
UNKNOWN_PREFIX: Final = "unknown_prefix"
WRONG_SEGMENT: Final = "wrong_segment"
NO_SIMILAR_ROUTE: Final = "no_similar_route"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    reason: str
    """One of wrong_method, missing_trailing_segment, extra_trailing_segment, unknown_prefix,
    wrong_segment, no_similar_route."""
    nearest_operation: str | None
    nearest_path: str | None
    detail: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "reason": self.reason,
            "nearest_operation": self.nearest_operation,
            "nearest_path": self.nearest_path,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class OperationMatch:
    operation_id: str | None
    """PostHog's operationId, or None (an unmatched request, or a fakeserver route)."""
    route_path: str | None
    """The route template that matched, e.g. /api/projects/{project_id}/conversations."""
    diagnosis: Diagnosis | None = None

    @property
    def matched(self) -> bool:
        return self.route_path is not None and self.diagnosis is None


_METHODS_BY_PATH: Final[dict[str, dict[str, Operation]]] = {}
for (_path, _method), _operation in OPERATIONS.items():
    _METHODS_BY_PATH.setdefault(_path, {})[_method] = _operation

_TEMPLATES: Final = tuple((path, tuple(path.strip("/").split("/"))) for path in _METHODS_BY_PATH)


def match_operation(routes: Sequence[BaseRoute], scope: Scope, path: str) -> OperationMatch:
    """The operation the router will dispatch `scope` to; `path` is the route path (no prefix)."""
    method = scope["method"]
    for route in routes:
        found, _child = route.matches(scope)
        if found is not Match.FULL:
            continue
        template: str | None = getattr(route, "path", None)
        operations = _METHODS_BY_PATH.get(template or "")
        if operations is None:
            return OperationMatch(None, template)
        operation = operations.get("GET" if method == "HEAD" else method)
        if operation is not None:
            return OperationMatch(operation.operation_id, template)
        allowed = ", ".join(sorted(operations))
        nearest = next(iter(operations.values()))
        return OperationMatch(
            None,
            template,
            Diagnosis(
                WRONG_METHOD,
                nearest.operation_id,
                template,
                f"{method} is not served on {template}; it allows {allowed}",
            ),
        )
    return OperationMatch(None, None, diagnose(method, path))


def _segment_matches(template: str, segment: str) -> bool:
    if template.startswith("{"):
        # `project_id` takes any segment; the conversation and queue ids are DRF lookups.
        return bool(segment) and (template == "{project_id}" or "." not in segment)
    return template == segment


def _all_match(templates: Sequence[str], segments: Sequence[str]) -> bool:
    return len(templates) == len(segments) and all(
        _segment_matches(t, s) for t, s in zip(templates, segments, strict=True)
    )


def _operation_for(template: str, method: str) -> Operation:
    operations = _METHODS_BY_PATH[template]
    return operations.get(method) or next(iter(operations.values()))


def diagnose(method: str, path: str) -> Diagnosis:
    """Why `method path` matches no operation, and which operation it is probably meant to be."""
    segments = tuple(part for part in path.strip("/").split("/") if part != "") or ("",)
    candidates: list[tuple[float, Diagnosis]] = []
    for template, parts in _TEMPLATES:
        operation = _operation_for(template, method)
        if len(segments) < len(parts) and _all_match(parts[: len(segments)], segments):
            missing = "/".join(parts[len(segments) :])
            candidates.append(
                (
                    len(parts) - len(segments),
                    Diagnosis(
                        MISSING_SEGMENT,
                        operation.operation_id,
                        template,
                        f"the path stops short of {template}: missing {missing!r}",
                    ),
                )
            )
        elif len(segments) > len(parts) and _all_match(parts, segments[: len(parts)]):
            extra = "/".join(segments[len(parts) :])
            candidates.append(
                (
                    len(segments) - len(parts),
                    Diagnosis(
                        EXTRA_SEGMENT,
                        operation.operation_id,
                        template,
                        f"the path continues past {template}: extra {extra!r}",
                    ),
                )
            )
        else:
            # Drop the template's leading segments (api, projects, {project_id}) one by one:
            # if the rest of the path lines up, only its prefix is wrong.
            for dropped in range(1, 4):
                tail = parts[dropped:]
                if len(segments) >= len(tail) and _all_match(
                    tail, segments[len(segments) - len(tail) :]
                ):
                    given = "/" + "/".join(segments[: len(segments) - len(tail)])
                    expected = "/" + "/".join(parts[:dropped])
                    problem = "no prefix" if given == "/" else f"unknown prefix {given!r}"
                    candidates.append(
                        (
                            dropped,
                            Diagnosis(
                                UNKNOWN_PREFIX,
                                operation.operation_id,
                                template,
                                f"{problem}; {template} starts with {expected!r}",
                            ),
                        )
                    )
                    break
        if len(segments) == len(parts):
            wrong = [
                (t, s) for t, s in zip(parts, segments, strict=True) if not _segment_matches(t, s)
            ]
            if len(wrong) == 1:
                expected, given = wrong[0]
                # A near miss (`queu` for `queue`) beats an equally short extra or missing segment.
                similar = SequenceMatcher(None, expected, given).ratio() >= 0.6
                candidates.append(
                    (
                        0.5 if similar else 1,
                        Diagnosis(
                            WRONG_SEGMENT,
                            operation.operation_id,
                            template,
                            f"segment {given!r} does not fit {expected!r} of {template}",
                        ),
                    )
                )
    if candidates:
        return min(candidates, key=lambda candidate: candidate[0])[1]
    return Diagnosis(NO_SIMILAR_ROUTE, None, None, f"no PostHog operation resembles {path}")
