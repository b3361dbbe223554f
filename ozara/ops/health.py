"""Liveness and readiness probes for an orchestrator or a load balancer.

``GET /healthz`` answers 200 as long as the process serves HTTP: it touches nothing else, so a
database outage never gets a healthy process killed (restarting would not bring the database
back). ``GET /readyz`` answers 200 only when the node can do its work: the database answers
and is migrated to the head revision this code expects, and the node directory's keys and
trust list load and verify (``ozara.transport.nodefiles.load_node``); otherwise 503 with a
JSON body naming each check that failed, so that traffic goes elsewhere until it is fixed.

Neither needs authentication (probes come from the platform, not from people) and neither
says anything about cases: the body holds check names and short reasons only, with the node
directory's path left out.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from ozara.ops.backup import reader_engine
from ozara.store import db
from ozara.transport.nodefiles import (
    ANCHOR_FILE,
    TRUST_LIST_FILE,
    NodeFilesError,
    load_node,
)

OK = "ok"


def readiness(engine: Engine, node_dir: Path | None, head: str | None = None) -> dict[str, str]:
    """Each check's outcome: ``ok`` or why not (blocking: call it off the event loop).

    ``engine`` should be a reader (``reader_engine``): on SQLite the probe then never waits
    for the write lock. ``head``: the revision this code needs (read from the scripts when
    not given)."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = OK
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable ({exc.__class__.__name__})"
    if checks["database"] == OK:
        try:
            current, head = db.current_revision(engine), head or db.head_revision(engine)
            checks["migrations"] = (
                OK if current == head else f"at revision {current}, this code needs {head}"
            )
        except SQLAlchemyError as exc:
            checks["migrations"] = f"unreadable ({exc.__class__.__name__})"
    else:
        checks["migrations"] = "not checked (no database)"
    if node_dir is not None:
        checks["keys"], checks["trust_list"] = OK, OK
        try:
            load_node(node_dir)
        except NodeFilesError as exc:
            reason = str(exc).replace(f"{node_dir}/", "").replace(str(node_dir), "")
            if TRUST_LIST_FILE in reason or ANCHOR_FILE in reason:
                checks["trust_list"] = reason
            else:
                checks["keys"] = reason
                checks["trust_list"] = "not checked (keys not loadable)"
    return checks


def probe_router(engine: Engine, node_dir: Path | None) -> APIRouter:
    """``/healthz`` and ``/readyz`` for the node whose database is ``engine``."""
    router = APIRouter(tags=["operations"])
    reader, head = reader_engine(engine), db.head_revision(engine)

    @router.get("/healthz", summary="The process serves HTTP (nothing else is checked)")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get(
        "/readyz",
        summary="Database reachable and migrated, node keys and trust list loadable",
        responses={503: {"description": "Not ready; the body names the failing checks."}},
    )
    async def readyz() -> JSONResponse:
        checks = await run_in_threadpool(readiness, reader, node_dir, head)
        failing = sorted(name for name, outcome in checks.items() if outcome != OK)
        body: dict[str, object] = {"status": "not_ready" if failing else "ready"}
        body.update(checks=checks, failing=failing)
        return JSONResponse(body, status_code=503 if failing else 200)

    return router
