"""The inbox page of a node holding 100,000 requests (issue 4: p95 under 200 ms).

A node on SQLite (the embedded default) is filled directly with ``requests`` rows spread
over every pair of bodies (about one in seven in the Kazakh body's inbox), 2% of them still
running with open deadlines; then its web application is served by uvicorn on loopback and
an officer, signed in with a password and TOTP, asks for the inbox page again and again
(one request at a time, over HTTP, the whole page rendered). Baseline in the same run: the
sign-in page of the same server (template and framework, no query).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import uvicorn
from sqlalchemy import insert

from ozara.api.threaded import running
from ozara.core.requests import parse_request
from ozara.seed import BODIES
from ozara.services import accounts
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store.tables import request_deadlines, requests
from ozara.store.uow import SqlUnitOfWork
from ozara.web.app import create_web_app
from ozara.web.page import WebConfig

from .report import pct

HEADING = "## The inbox page of a node holding 100,000 requests"
PASSWORD = "bench password 2026"


@dataclass
class WebResult:
    requests: int
    inbox_rows: int
    inbox_ms: list[float]
    filtered_ms: list[float]
    baseline_ms: list[float]


def fill(engine: Any, count: int, now: datetime, content: dict[str, Any]) -> int:
    """``count`` requests between every pair of bodies; returns how many KAZ-MVD received."""
    ids = [b.id for b in BODIES]
    rows, deadlines, inbox = [], [], 0
    for n in range(count):
        src = ids[n % len(ids)]
        dst = ids[(n // len(ids) + n + 1) % len(ids)]
        if dst == src:
            dst = ids[(ids.index(src) + 1) % len(ids)]
        inbox += dst == "KAZ-MVD"
        running = n % 50 == 0
        created = now - timedelta(minutes=n * 5)
        rows.append({
            "id": f"{src}-B-{n:06d}", "state": "in_execution" if running else "closed",
            "requesting_body": src, "requested_body": dst, "urgent": False,
            "crime_category": "abc"[n % 3], "content": {**content, "requesting_body": src,
            "requested_body": dst}, "created_at": created, "created_by": "bench",
            "partially_refused": False, "version": 7, "updated_at": created,
        })  # fmt: skip
        if running:
            deadlines.append({
                "request_id": f"{src}-B-{n:06d}", "kind": "execution", "body_id": dst,
                "due_at": now + timedelta(days=n % 40 - 10), "met_at": None,
            })  # fmt: skip
    with engine.begin() as conn:
        for start in range(0, len(rows), 5_000):
            conn.execute(insert(requests), rows[start : start + 5_000])
        conn.execute(insert(request_deadlines), deadlines)
    return inbox


def _times(client: httpx.Client, path: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return out


def web_bench(
    tmp: Path, count: int, port: int, document: dict[str, Any], repeat: int = 300
) -> WebResult:
    """``document``: a valid request (its content fills every row)."""
    now = datetime.now(UTC)
    engine = db.make_engine(f"sqlite:///{tmp}/inbox.sqlite3")
    init_node(engine, now - timedelta(days=1), demo_officers())
    content = parse_request(document).to_dict()
    print(f"  inbox: filling {count:,} requests...", file=sys.stderr, flush=True)
    inbox_rows = fill(engine, count, now, content)
    with SqlUnitOfWork(engine) as uow:
        accounts.set_password(uow, "kaz-mvd.officer", PASSWORD, now)
    with SqlUnitOfWork(engine) as uow:
        secret = accounts.enroll_totp(uow, "kaz-mvd.officer", now)
    app = create_web_app(WebConfig(engine, lambda: datetime.now(UTC), "BENCH"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", access_log=False)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(config), httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf" value="')[-1].split('"')[0]
        code = pyotp.TOTP(secret).now()
        form = {"csrf": token, "officer_id": "kaz-mvd.officer", "password": PASSWORD}
        client.post("/login", data={**form, "code": code})
        assert client.get("/requests?box=in").status_code == 200, "not signed in"
        _times(client, "/requests?box=in", 20)  # warm
        print(f"  inbox: {repeat} pages each...", file=sys.stderr, flush=True)
        inbox_ms = _times(client, "/requests?box=in", repeat)
        filtered_ms = _times(client, "/requests?box=in&state=in_execution&party=RUS", repeat)
        client.cookies.clear()
        baseline_ms = _times(client, "/login", repeat)
    engine.dispose()
    return WebResult(count, inbox_rows, inbox_ms, filtered_ms, baseline_ms)


def section(r: WebResult) -> list[str]:
    rows = [
        ("inbox (200 newest, due counts)", r.inbox_ms),
        ("inbox filtered (status, Party)", r.filtered_ms),
        ("sign-in page (baseline: no query)", r.baseline_ms),
    ]
    lines = [
        HEADING,
        "",
        f"A node on SQLite holding {r.requests:,} requests ({r.inbox_rows:,} in the Kazakh "
        "body's inbox; 2% running with open deadlines); its web application served by "
        "uvicorn on loopback; an officer signed in (password and TOTP) asks for the page "
        f"{len(r.inbox_ms)} times, one request at a time, the whole page rendered. Baseline "
        "in the same run: the sign-in page of the same server (template and framework, no "
        "query).",
        "",
        "| page | p50 ms | p95 ms | max ms | p95 ratio to baseline |",
        "|---|---|---|---|---|",
    ]
    base = pct(r.baseline_ms, 0.95)
    for name, ms in rows:
        lines.append(
            f"| {name} | {statistics.median(ms):.1f} | {pct(ms, 0.95):.1f} | {max(ms):.1f} | "
            f"{pct(ms, 0.95) / base:.1f} |"
        )
    lines += ["", f"Inbox p95: {pct(r.inbox_ms, 0.95):.0f} ms (target: under 200 ms).", ""]
    return lines
