"""Prometheus metrics at ``GET /metrics`` (text exposition format).

What an operator alerts on is read from the database at scrape time, so the figures are
the database's and not a counter that a restart resets: documents waiting in the outbox or
given up on (``failed``: the retry budget spent), documents waiting in the inbox or set aside
as dead letters, running deadline clocks past due, requests by state. Alongside, from this
process: the latency of HTTP requests per route template (never the path, which may name a
case) and the responses by status class.

Each app gets its own ``CollectorRegistry``: two nodes in one process (the demo, the tests)
never mix their figures, and nothing lands in the library's global registry.

Who may scrape: by default only clients on the loopback interface (a Prometheus agent on
the node's host). With a token configured (``ozara serve --metrics-token`` or
``OZARA_METRICS_TOKEN``) every client must send ``Authorization: Bearer <token>``, loopback
included, since a reverse proxy on the same host makes every request look local. Refused:
401 without or with a wrong token, 403 from elsewhere than loopback without a token set.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ozara.ops.backup import reader_engine
from ozara.ops.logs import route_template
from ozara.store import tables as t

#: Latency buckets (seconds): a receipt is a few milliseconds; a PDF or a search longer.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DEAD_LETTER_PREFIX = "dead letter:"


class NodeCollector(Collector):
    """The node's backlog, read from its database at each scrape (a handful of counts, each
    on an index except the inbox's dead letters and the requests by state)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = reader_engine(engine)  # on SQLite a scrape never takes the write lock
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ozara_database_up", "1 when the node's database answered.")
        try:
            families = self._read()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[Metric]:
        now = self.clock()
        outbox = GaugeMetricFamily(
            "ozara_outbox_documents",
            "Documents to send: pending (waiting or retrying), failed (retry budget spent).",
            labels=["state"],
        )
        inbox = GaugeMetricFamily(
            "ozara_inbox_documents",
            "Documents received: pending (not yet processed), dead_letter (set aside).",
            labels=["state"],
        )
        overdue = GaugeMetricFamily(
            "ozara_deadlines_overdue",
            "Running deadline clocks past due (not met, not paused), by kind.",
            labels=["kind"],
        )
        by_state = GaugeMetricFamily("ozara_requests", "Requests by state.", labels=["state"])
        with self.engine.connect() as conn:
            counts = dict.fromkeys(("pending", "failed"), 0)
            rows = conn.execute(
                select(t.outbox.c.state, func.count())
                .where(t.outbox.c.state.in_(list(counts)))
                .group_by(t.outbox.c.state)
            )
            counts.update({str(state): int(n) for state, n in rows})
            for state, n in counts.items():
                outbox.add_metric([state], n)
            unprocessed = select(func.count()).where(t.inbox.c.processed_at.is_(None))
            dead = select(func.count()).where(
                t.inbox.c.processing_error.like(DEAD_LETTER_PREFIX + "%")
            )
            inbox.add_metric(["pending"], conn.execute(unprocessed).scalar_one())
            inbox.add_metric(["dead_letter"], conn.execute(dead).scalar_one())
            d = t.request_deadlines.c
            late = conn.execute(
                select(d.kind, func.count())
                .where(and_(d.met_at.is_(None), d.paused_at.is_(None), d.due_at <= now))
                .group_by(d.kind)
            )
            total = 0
            for kind, n in late:
                overdue.add_metric([kind], n)
                total += n
            if not total:
                overdue.add_metric(["any"], 0)  # so that the series exists for an alert
            r = t.requests.c
            for state, n in conn.execute(select(r.state, func.count()).group_by(r.state)):
                by_state.add_metric([state], n)
            conn.rollback()
        return [outbox, inbox, overdue, by_state]


@dataclass(frozen=True, slots=True)
class MetricsAccess:
    """Who may scrape: loopback clients when no token is set; else bearer-token holders."""

    token: str | None = None

    def refusal(self, client_host: str | None, authorization: str | None) -> JSONResponse | None:
        if self.token:
            given = (authorization or "").removeprefix("Bearer ").strip()
            if authorization and hmac.compare_digest(given.encode(), self.token.encode()):
                return None
            return JSONResponse(
                {"reason": "unauthorized", "detail": "send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if _is_loopback(client_host):
            return None
        return JSONResponse(
            {"reason": "forbidden", "detail": "metrics are served to loopback clients only"},
            status_code=403,
        )


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpMetrics:
    """ASGI middleware: request latency per route template and responses by status class."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.latency = Histogram(
            "ozara_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.responses = Counter(
            "ozara_http_responses",
            "HTTP responses by route template and status class (2xx, 4xx, ...).",
            ["route", "status_class"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = route_template(scope)
            method = str(scope.get("method", ""))
            self.latency.labels(method, route).observe(time.perf_counter() - started)
            self.responses.labels(route, f"{status // 100}xx").inc()


def metrics_router(registry: CollectorRegistry, access: MetricsAccess) -> APIRouter:
    """``GET /metrics`` over ``registry``, behind ``access``."""
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics (loopback or bearer token)")
    def metrics(request: Request) -> Response:
        host = request.client.host if request.client else None
        refused = access.refusal(host, request.headers.get("authorization"))
        if refused is not None:
            return refused
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def node_registry(engine: Engine, clock: Callable[[], datetime] | None = None) -> CollectorRegistry:
    """A private registry holding the node's database gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(engine, clock or (lambda: datetime.now(UTC))))
    return registry
