"""DRF's `LimitOffsetPagination` as PostHog configures it (page size 100, no maximum)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

PAGE_SIZE: Final = 100


def _positive_int(raw: str | None, strict: bool) -> int | None:
    """DRF's `_positive_int`: None when missing, invalid, negative, or zero in strict mode."""
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    if value < 0 or (strict and value == 0):
        return None
    return value


@dataclass(slots=True)  # not frozen: made per request, and a frozen __init__ is 4x slower
class PageRequest:
    limit: int
    offset: int

    @classmethod
    def from_request(cls, request: Request) -> PageRequest:
        query = request.query_params
        limit = _positive_int(query.get("limit"), strict=True) or PAGE_SIZE
        offset = _positive_int(query.get("offset"), strict=False) or 0
        return cls(limit, offset)

    def next_link(self, url: str, count: int) -> str | None:
        if self.offset + self.limit >= count:
            return None
        return _with_query(url, limit=self.limit, offset=self.offset + self.limit)

    def previous_link(self, url: str) -> str | None:
        if self.offset <= 0:
            return None
        if self.offset - self.limit <= 0:
            return _with_query(url, limit=self.limit, offset=None)
        return _with_query(url, limit=self.limit, offset=self.offset - self.limit)


def _with_query(url: str, **changes: int | None) -> str:
    """DRF's replace/remove_query_param: parameters come back sorted by name."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = [str(value)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )
