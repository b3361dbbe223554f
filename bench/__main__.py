"""``make bench``: lifecycle throughput, the overdue query and documents between two nodes;
writes docs/benchmarks.md.

Each figure is given with a baseline measured in the same run on the same machine:
- lifecycle: Ozara's transactions per second against the database's bare floor (one
  one-row INSERT committed per transaction) and against the pure core (no I/O);
- overdue: the query with the partial index against the same query without it;
- transport: documents per second between two nodes on loopback against the floor (all the
  signing, encryption and durable writes of one delivery), ``bench/transport.py``;
- inbox: the web application's inbox page on a node holding 100,000 requests against the
  sign-in page of the same server, ``bench/web.py``;
- audit: verifying the audit hash chain over 1,000,000 entries on SQLite and on PostgreSQL
  (``--skip-postgres``: SQLite alone) against raw SHA-256 over the same bytes,
  ``bench/audit.py``;
- person_search: person search over 1,000,000 persons on PostgreSQL against a plain pg_trgm
  similarity query on the same data, ``bench/person_search.py``;
- correlation: 10,000 new records correlated against 1,000,000 persons and 5,000,000
  identifiers on PostgreSQL (records/s, delay until the alert) against storing them and a
  naive SQL equality join, ``bench/correlation.py`` (``--correlation-persons N`` and the
  other ``--correlation-*`` options).

Options: ``--requests N`` (default 100,000), ``--overdue-rows N`` (default 1,000,000),
``--transport-documents N`` (default 5,000), ``--transport-concurrency 1,8``,
``--inbox-requests N`` (default 100,000), ``--persons N`` (default 1,000,000),
``--skip-postgres``, ``--only NAME`` (``lifecycle``, ``overdue``, ``transport``, ``inbox``,
``audit``, ``person_search`` or ``correlation``;
repeatable): run only those and replace only their sections of the report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from ozara.core.lifecycle import Action, Command, Context, new_request, transition
from ozara.core.parties import Registry
from ozara.core.requests import parse_request
from ozara.core.treaty import TreatyStatus
from ozara.seed import BODIES, TREATY_NOTIFICATIONS, officers_for
from ozara.services import requests as svc
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store.uow import SqlUnitOfWork
from tests.pg import private_server

from .audit import run_audit
from .correlation import add_arguments as correlation_arguments
from .correlation import run_correlation
from .person_search import run_person_search
from .report import pct, write_report
from .transport import free_port, transport_bench
from .transport import section as transport_section
from .web import section as web_section
from .web import web_bench

DOC: dict[str, Any] = {
    "requesting_body": "KAZ-MVD",
    "requested_body": "RUS-MVD",
    "purpose": "Identify the holder of an account",
    "justification": "Criminal case 2026-0117",
    "substance": "Funds moved through an account in Russia",
    "assistance": {"items": [{"kind": "procedural_action", "description": "Subscriber data"}]},
    "execution_terms": "30 days",
    "crime_category": "c",
    "legal_qualification": "Criminal Code of Kazakhstan, Art. 205",
}
#: (officer, action) after creation: 6 transitions, so 7 transactions per request.
STEPS = [
    ("kaz-mvd.head", Action.SIGN, ""),
    ("kaz-mvd.officer", Action.SEND, ""),
    ("rus-mvd.officer", Action.RECEIVE, ""),
    ("rus-mvd.officer", Action.START_EXECUTION, ""),
    ("rus-mvd.officer", Action.EXECUTE, "done"),
    ("kaz-mvd.officer", Action.CLOSE, ""),
]
TX_PER_REQUEST = 1 + len(STEPS)


def progress(label: str, done: int, total: int, started: float) -> None:
    if sys.stderr.isatty() or done == total or done % max(1, total // 10) == 0:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(
            f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True
        )
        if done == total:
            print(file=sys.stderr)


@dataclass
class Lifecycle:
    backend: str
    requests: int
    seconds: float
    floor_tx_per_s: float

    @property
    def tx_per_s(self) -> float:
        return self.requests * TX_PER_REQUEST / self.seconds


def core_only(n: int) -> float:
    """Transitions per second of the pure core (no database): the ceiling."""
    registry = Registry.of(BODIES)
    ctx = Context(registry, TreatyStatus.from_notifications(TREATY_NOTIFICATIONS))
    officers = {o.id: o for b in BODIES for o in officers_for(b)}
    now = datetime(2026, 3, 1, tzinfo=UTC)
    started = time.perf_counter()
    for i in range(n):
        r = new_request(f"R{i}", parse_request(DOC), officers["kaz-mvd.officer"], now)
        for who, action, txt in STEPS:
            r = transition(r, Command(action, text=txt), officers[who], ctx, now).request
    return n * TX_PER_REQUEST / (time.perf_counter() - started)


def floor(engine: Engine, n: int) -> float:
    """Bare one-row INSERT + COMMIT per transaction on the same database."""
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, v TEXT)")
        )
    started = time.perf_counter()
    for i in range(n):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_floor (id, v) VALUES (:i, 'x')"), {"i": i})
    return n / (time.perf_counter() - started)


def lifecycle(engine: Engine, backend: str, n: int) -> Lifecycle:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    init_node(engine, now, demo_officers())
    started = time.perf_counter()
    for i in range(n):
        with SqlUnitOfWork(engine) as uow:
            rid = svc.create_request(uow, DOC, "kaz-mvd.officer", now)
        for who, action, txt in STEPS:
            with SqlUnitOfWork(engine) as uow:
                svc.act(uow, rid, Command(action, text=txt), who, now)
        progress(f"lifecycle on {backend}", i + 1, n, started)
    seconds = time.perf_counter() - started
    return Lifecycle(backend, n, seconds, floor(engine, min(20_000, n * TX_PER_REQUEST)))


@dataclass
class Overdue:
    rows: int
    overdue_rows: int
    indexed_ms: list[float]
    unindexed_ms: list[float]


def fill(engine: Engine, rows: int, now: datetime) -> None:
    """``rows`` requests, 2% still open with due dates spread around ``now``."""
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO requests (id, state, requesting_body, requested_body, urgent,
                crime_category, content, created_at, created_by, partially_refused,
                version, updated_at)
            SELECT 'B-' || g, CASE WHEN g % 50 = 0 THEN 'in_execution' ELSE 'closed' END,
                'KAZ-MVD', CASE WHEN g % 2 = 0 THEN 'RUS-MVD' ELSE 'BLR-MVD' END, false, 'c',
                '{}'::json, :now - make_interval(days => (g % 400)), 'bench', false, 7,
                :now
            FROM generate_series(1, :rows) g
        """),
            {"rows": rows, "now": now},
        )
        # Execution and forwarding deadlines: met for finished requests; open ones are
        # due from 40 days ago to 30 days ahead (about 1 in 7 of the open ones overdue).
        conn.execute(
            text("""
            INSERT INTO request_deadlines (request_id, kind, body_id, due_at, met_at)
            SELECT 'B-' || g, k.kind, CASE WHEN g % 2 = 0 THEN 'RUS-MVD' ELSE 'BLR-MVD' END,
                :now + make_interval(days => ((g::bigint * 7919) % 70)::int - 10)
                     - make_interval(days => CASE WHEN g % 50 = 0 THEN 0 ELSE 400 END),
                CASE WHEN g % 50 = 0 AND k.kind = 'execution' THEN NULL
                     ELSE :now - make_interval(days => (g % 400)) END
            FROM generate_series(1, :rows) g, (VALUES ('execution'), ('forwarding')) k(kind)
        """),
            {"rows": rows, "now": now},
        )
    # What autovacuum does on a running node; it lets the planner read the index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def timed(engine: Engine, now: datetime, repeat: int) -> tuple[list[float], int]:
    times, count = [], 0
    for _ in range(repeat):
        with SqlUnitOfWork(engine) as uow:
            started = time.perf_counter()
            count = len(uow.requests.overdue(now))
            times.append((time.perf_counter() - started) * 1000)
    return times, count


def overdue(engine: Engine, rows: int) -> Overdue:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    db.upgrade(engine)
    init = datetime(2025, 1, 1, tzinfo=UTC)
    with SqlUnitOfWork(engine) as uow:
        for b in BODIES:
            uow.registry.add_body(b)
        uow.audit.record(
            init,
            actor_id="bench",
            body_id=None,
            action="bench:fill",
            object_type="bench",
            object_id="-",
        )
        uow.commit()
    print(f"  filling {rows:,} requests on PostgreSQL...", file=sys.stderr, flush=True)
    fill(engine, rows, now)
    timed(engine, now, 3)  # warm the cache: the figures are for a running node
    indexed, count = timed(engine, now, 30)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_request_deadlines_open_due"))
        conn.execute(text("DROP INDEX ix_request_deadlines_open_body_due"))
        conn.execute(text("ANALYZE request_deadlines"))
    timed(engine, now, 2)
    unindexed, _ = timed(engine, now, 10)
    return Overdue(rows, count, indexed, unindexed)


LIFECYCLE_HEADING = "## Requests through the lifecycle"
OVERDUE_HEADING = "## What is overdue now (PostgreSQL)"


def lifecycle_section(life: list[Lifecycle], core_tps: float) -> list[str]:
    lines = [
        LIFECYCLE_HEADING,
        "",
        f"Each request is created, signed, sent, received, taken into execution, executed and "
        f"closed: {TX_PER_REQUEST} transactions, each through the service layer (load, core "
        "decision, save with optimistic check, event row, audit row, commit). Baselines in the "
        "same run: the database's floor (a one-row INSERT committed per transaction) and the "
        "pure core (the same transitions with no database).",
        "",
        "| backend | requests | seconds | requests/s | transactions/s | floor tx/s | "
        "ratio to floor |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in life:
        lines.append(
            f"| {x.backend} | {x.requests:,} | {x.seconds:,.1f} | "
            f"{x.requests / x.seconds:,.0f} | {x.tx_per_s:,.0f} | "
            f"{x.floor_tx_per_s:,.0f} | {x.tx_per_s / x.floor_tx_per_s:.2f} |"
        )
    return [*lines, "", f"Pure core (no I/O): {core_tps:,.0f} transitions/s.", ""]


def overdue_section(over: Overdue) -> list[str]:
    return [
        OVERDUE_HEADING,
        "",
        f"{over.rows:,} requests with {over.rows * 2:,} deadlines; 2% still open; the query "
        f"returns every running clock past due ({over.overdue_rows:,} rows) with the body that "
        "must act. Baseline: the same query after dropping the partial indexes on open "
        "deadlines.",
        "",
        "| variant | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|",
        f"| partial index (Ozara) | {statistics.median(over.indexed_ms):.1f} | "
        f"{pct(over.indexed_ms, 0.95):.1f} | {max(over.indexed_ms):.1f} |",
        f"| no index (baseline) | {statistics.median(over.unindexed_ms):.1f} | "
        f"{pct(over.unindexed_ms, 0.95):.1f} | {max(over.unindexed_ms):.1f} |",
        "",
        f"Speed-up over the baseline: "
        f"{statistics.median(over.unindexed_ms) / statistics.median(over.indexed_ms):.0f}x "
        f"(target: under 50 ms).",
        "",
    ]


def _database(url: str, name: str) -> Engine:
    admin = db.make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return db.make_engine(f"{url.rsplit('/', 1)[0]}/{name}")


def run_lifecycle(args: argparse.Namespace) -> list[str]:
    core_tps = core_only(min(args.requests, 5_000))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        results.append(lifecycle(engine, "SQLite", args.requests))
        engine.dispose()
    if not args.skip_postgres:
        with private_server(durable=True) as url:
            engine = _database(url, "bench_life")
            results.append(lifecycle(engine, "PostgreSQL", args.requests))
            engine.dispose()
    return lifecycle_section(results, core_tps)


def run_overdue(args: argparse.Namespace) -> list[str]:
    with private_server(durable=True) as url:
        engine = _database(url, "bench_overdue")
        over = overdue(engine, args.overdue_rows)
        engine.dispose()
    return overdue_section(over)


def run_transport(args: argparse.Namespace) -> list[str]:
    concurrency = tuple(int(c) for c in args.transport_concurrency.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        result = transport_bench(Path(tmp), args.transport_documents, concurrency)
    return transport_section(result)


def run_inbox(args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        result = web_bench(Path(tmp), args.inbox_requests, free_port(), DOC)
    return web_section(result)


BENCHMARKS = {
    "lifecycle": run_lifecycle,
    "overdue": run_overdue,
    "transport": run_transport,
    "inbox": run_inbox,
    "audit": run_audit,
    "person_search": run_person_search,
    "correlation": run_correlation,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--overdue-rows", type=int, default=1_000_000)
    parser.add_argument("--transport-documents", type=int, default=5_000)
    parser.add_argument("--inbox-requests", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=1_000_000, help="person search: persons")
    correlation_arguments(parser, persons=1_000_000, records=10_000)
    parser.add_argument(
        "--transport-concurrency", default="1,8", help="worker concurrencies to run, e.g. 1,8"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        help="run only this benchmark (repeatable); its section replaces its own in --output",
    )
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"))
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    for needs_postgres in ("overdue", "person_search", "correlation"):
        if args.skip_postgres and needs_postgres in chosen:
            if args.only:
                parser.error(
                    f"the {needs_postgres} benchmark needs PostgreSQL: drop --skip-postgres"
                )
            chosen.remove(needs_postgres)
    sections = [BENCHMARKS[name](args) for name in BENCHMARKS if name in chosen]
    write_report(args.output, sections, partial=bool(args.only))
    print(args.output.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
