"""Operating a node (issue 7): health and readiness probes, Prometheus metrics, structured
logs, and backup and restore. docs/operations.md describes them for the operator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from ozara.ops.health import probe_router
from ozara.ops.logs import RequestContext
from ozara.ops.metrics import HttpMetrics, MetricsAccess, metrics_router, node_registry

__all__ = ["install_operations"]


def install_operations(
    app: FastAPI,
    engine: Engine,
    node_dir: Path | None,
    *,
    clock: Callable[[], datetime] | None = None,
    metrics_token: str | None = None,
    log_requests: bool = False,
) -> CollectorRegistry:
    """Add ``/healthz``, ``/readyz`` and ``/metrics`` and the request-id and metrics
    middleware to ``app``. Call it before mounting anything at ``/``: routes match in order."""
    registry = node_registry(engine, clock)
    app.include_router(probe_router(engine, node_dir))
    app.include_router(metrics_router(registry, MetricsAccess(metrics_token)))
    # The last added runs first: the request id is set before anything is measured or logged.
    app.add_middleware(HttpMetrics, registry=registry)
    app.add_middleware(RequestContext, log_requests=log_requests)
    return registry
