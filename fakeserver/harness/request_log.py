"""The request log: one line per API request, in uvicorn's access-log shape, plus what the fake
knows about it (the operation it matched, or why it matched none).

    127.0.0.1:51234 - "GET /api/projects/1/conversations/ HTTP/1.1" 200 1.4 ms conversations_list

The gateway writes the line when the response has ended (or the connection went), so a stream's
duration is the whole stream. The line goes through Python `logging` (logger
`fakeserver.access`, level INFO), so a logging config decides where it goes and whether it
shows. Control API, dashboard and health requests are not journaled and not logged either (the
dashboard polls). Everything here runs only for a server built with the log on.
"""

from __future__ import annotations

import logging
from typing import Final

from starlette.types import Scope

from fakeserver.harness.journal import RecordedRequest, redact_query
from fakeserver.harness.namespaces import namespace_prefix

LOGGER_NAME: Final = "fakeserver.access"


def show_request_log() -> None:
    """Let the log's INFO lines through when no logging config set the logger's level (else the
    root logger's default, WARNING, drops them): asking for the log is asking to see it."""
    logger = logging.getLogger(LOGGER_NAME)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


class RequestLog:
    """Writes each finished request's line to the `fakeserver.access` logger."""

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(LOGGER_NAME)

    def write(self, scope: Scope, recorded: RecordedRequest) -> None:
        """Log a request whose recording has finished (its status and end time are known)."""
        if not self.logger.isEnabledFor(logging.INFO):
            return
        self.logger.info(
            '%s - "%s %s HTTP/%s" %s %.1f ms %s',
            _client(scope),
            recorded.method,
            _target(recorded),
            scope.get("http_version", "1.1"),
            recorded.status if recorded.status is not None else "dropped",
            max(recorded.ended - recorded.clock, 0.0) * 1000,
            outcome(recorded),
        )


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"


def _target(recorded: RecordedRequest) -> str:
    """The path as the client sent it (namespace prefix included), secrets of the query hidden."""
    path = namespace_prefix(recorded.namespace) + recorded.path
    query = recorded.query.decode("latin-1")
    return f"{path}?{redact_query(query)}" if query else path


def outcome(recorded: RecordedRequest) -> str:
    """The matched operation, or why none matched; then a fault or limit that answered."""
    operation = recorded.operation_of(recorded.method, recorded.path)
    diagnosis = operation.diagnosis
    if operation.operation_id is not None:
        text = operation.operation_id
    elif diagnosis is not None:
        guess = diagnosis.nearest_operation
        text = f"no operation: {diagnosis.detail}" + (f"; did you mean {guess}?" if guess else "")
    else:
        text = f"fakeserver {operation.route_path}"  # the fake's own route, e.g. /api/schema/
    if recorded.fault is not None:
        rule = recorded.fault.get("rule")
        text += f" [fault from {recorded.fault['source']}{f' rule {rule}' if rule else ''}]"
    if recorded.limit is not None:
        throttle = recorded.limit.get("throttle")
        text += f" [limit {recorded.limit['limit']}{f' {throttle}' if throttle else ''}]"
    return text
