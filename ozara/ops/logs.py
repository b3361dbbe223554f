"""Structured logs: one JSON object per line on stderr (``ozara serve --log-format json``).

A log collector parses lines, not prose, so every line carries the same members: ``ts``
(UTC, RFC 3339), ``level``, ``logger``, ``message``, ``node`` (this node's id) and, for a
line written while an HTTP request is handled, ``request_id``. The request id comes from the
caller's ``X-Request-ID`` when it is a short token (so that a reverse proxy's id joins the
two logs), else a fresh one; it is returned in the response's ``X-Request-ID``.

What the node logs never holds case content or personal data: the HTTP line names the route
*template* (``/requests/{request_id}``), never the path, the query or a body; the other
loggers name documents and requests by id only. Exceptions are logged with their class and
the traceback's frames, which may show values: they go to the same operator-only stream as
before.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ozara.core.parties import Officer

#: The request being handled by this task (empty outside an HTTP request).
REQUEST_ID: ContextVar[str | None] = ContextVar("ozara_request_id", default=None)
HEADER = "x-request-id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

LOG_FORMATS = ("text", "json")
#: The members every line has, in this order.
FIELDS = ("ts", "level", "logger", "message", "node", "request_id")
#: The members a line has when its logger gives them: an HTTP line's, a refusal's.
_EXTRA = ("method", "route", "status", "duration_ms", "kind", "officer", "body")
#: The logger of refused requests (ASVS 7.1.3, 7.2.2), for a collector to alert on.
SECURITY_LOGGER = "ozara.security"


class JsonFormatter(logging.Formatter):
    """A record as one JSON line with the members of ``FIELDS`` (and ``exc`` when raised)."""

    def __init__(self, node_id: str | None = None) -> None:
        super().__init__()
        self.node_id = node_id

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "ts": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "node": self.node_id,
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key in _EXTRA:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, node_id: str | None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the node and for uvicorn (``log_config``), so
    that uvicorn's own lines come out in the same format as ours."""
    if log_format == "json":
        formatter: dict[str, Any] = {"()": JsonFormatter, "node_id": node_id}
    else:
        formatter = {"format": "%(levelname)s:     %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "node", "stream": sys.stderr}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"node": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "ozara": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def configure(log_format: str, node_id: str | None) -> None:
    """Install the format for this process's ``ozara`` and ``uvicorn`` loggers."""
    logging.config.dictConfig(logging_config(log_format, node_id))


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            given = value.decode("latin-1")
            if _SAFE_ID.fullmatch(given):
                return str(given)
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template, never the path itself (a path may name a case);
    ``unmatched`` when no route matched. Starlette leaves the innermost matched route in the
    scope; the web application is mounted at ``/``, so its templates need no prefix."""
    route = scope.get("route")
    path = getattr(route, "path_format", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestContext:
    """ASGI middleware: a request id for each HTTP request (the ``REQUEST_ID`` context, the
    ``X-Request-ID`` response header) and, with ``log_requests``, one line per request on
    the ``ozara.http`` logger: method, route template, status, duration."""

    def __init__(self, app: ASGIApp, log_requests: bool = False) -> None:
        self.app = app
        self.log_requests = log_requests
        self.log = logging.getLogger("ozara.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [*message.get("headers", []), (HEADER.encode(), request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_requests:
                self.log.info(
                    "%s %s %d",
                    scope.get("method", ""),
                    route_template(scope),
                    status,
                    extra={
                        "method": scope.get("method", ""),
                        "route": route_template(scope),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    },
                )
            REQUEST_ID.reset(token)


def log_refusal(scope: Scope, kind: str, officer: Officer | None, status: int = 403) -> None:
    """One warning line on ``ozara.security`` for a refused HTTP request: the method and
    route template, the officer and body signed in (None before sign-in) and the kind of
    refusal (``access``: outside the officer's rights; ``csrf``: a form that did not come
    from this site; ``method``: one not in use). Never the path or the refusal's own words:
    either may name a case."""
    method = str(scope.get("method", ""))
    route = str(scope.get("root_path", "")) + route_template(scope)
    officer_id, body = (officer.id, officer.body_id) if officer else (None, None)
    logging.getLogger(SECURITY_LOGGER).warning(
        "refused %s %s (%s) to officer %s of %s",
        method, route, kind, officer_id or "-", body or "-",
        extra={"method": method, "route": route, "status": status, "kind": kind,
               "officer": officer_id, "body": body},
    )  # fmt: skip
