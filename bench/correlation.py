"""Correlating new records against a store of 1,000,000 persons and 5,000,000 identifiers
on PostgreSQL (issue 8): records per second, and the delay until the alert.

The store (``bench/correlation_data.py``) is bulk-loaded with the rows storing and correlating
its records would have written. Then, through the real paths:

1. **batch**: ``--correlation-records`` new records (default 10,000) are stored one
   transaction each by ``services.records.create_record`` (which queues each one's
   correlation job in that transaction), with no worker running: the **storing rate** is the
   first baseline. Then ``run_pending`` drains the queue, as ``ozara correlate run --drain``
   does: the **batch throughput**.
2. **naive floor**: for the same records, one transaction each, the matches a plain SQL
   equality self-join on ``record_identifiers`` finds (same kind and value, another
   record), without writing anything: what the cheapest lookup costs, and what it misses
   (addresses inside ranges, sub-domains, persons across scripts).
3. **live**: ``--correlation-live`` more records (default 5,000) stored by a producer thread
   at a steady ``--correlation-load`` (default 0.5) times the batch throughput, while
   ``cli.correlate.correlate_forever`` (the worker thread of ``ozara serve``, resting
   ``--correlation-poll`` seconds, default 1.0 like ``ozara serve``, when the queue is
   empty) correlates them. The **delay until the alert** of a record is from the return of
   its storing transaction's commit to the commit of the transaction that wrote its links
   (the alerts of issue 8 are written in that transaction), both taken in this process.

Every link of the new records is counted; each planted match (``correlation_data.MIX``) must
be among them: recall per kind.

Alone: ``python -m bench.correlation`` (100,000 persons, 1,000 + 500 new records by default;
``--correlation-persons N`` etc.); ``make bench BENCH_ARGS="--only correlation"`` for the
full scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, text

from ozara.cli.common import utc_now
from ozara.cli.correlate import correlate_forever
from ozara.services import correlation
from ozara.services.node import demo_officers, init_node
from ozara.services.records import create_record
from ozara.store import correlations as store
from ozara.store import db
from ozara.store.uow import SqlUnitOfWork
from tests.pg import private_server

from .correlation_data import NOW, NewRecord, Store, load, new_records
from .report import pct

HEADING = "## Correlating new records against the store (PostgreSQL)"
NAIVE = """
SELECT DISTINCT b.record_id FROM record_identifiers a
JOIN record_identifiers b ON b.kind = a.kind AND b.value = a.value AND b.record_id <> a.record_id
WHERE a.record_id = :id
"""


def _progress(label: str) -> Callable[[int, int], None]:
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if sys.stderr.isatty() or done == total or done % max(1, total // 10) == 0:
            rate = done / max(time.perf_counter() - started, 1e-9)
            end = "\n" if done == total else ""
            print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s)", end=end, file=sys.stderr,
                  flush=True)  # fmt: skip

    return report


@dataclass
class Result:
    store: Store
    batch: int
    storing_s: float
    correlating_s: float
    naive_s: float
    naive_recall: dict[str, list[bool]]
    scans: dict[str, int]
    live: int
    offered_per_s: float
    live_s: float
    delays_ms: list[float]
    poll_s: float
    links: int
    links_by_category: dict[str, list[int]] = field(default_factory=dict)
    recall: dict[str, list[bool]] = field(default_factory=dict)


# --- Storing and the alert clock ------------------------------------------------------


def store_records(engine: Engine, records: list[NewRecord], stored_at: dict[str, float],
                  rate: float | None = None, label: str = "storing") -> list[str]:  # fmt: skip
    """Each record in its own transaction, through the service; the time its commit returned.
    With ``rate``, one every ``1/rate`` seconds on a fixed schedule (a late one is not
    made up for by a burst larger than the backlog)."""
    ids = []
    report = _progress(label)
    started = time.perf_counter()
    for n, record in enumerate(records):
        if rate is not None:
            wait = started + n / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        with SqlUnitOfWork(engine) as uow:
            rid = create_record(uow, record.document, record.actor, utc_now())
            stored_at[rid] = time.perf_counter()
        ids.append(rid)
        report(n + 1, len(records))
    return ids


@contextmanager
def alert_clock(engine: Engine) -> Iterator[dict[int, float]]:
    """The time each correlation job's transaction committed, by job id.

    ``run_pending`` marks a subject's jobs done last in its transaction, then commits and
    gives the connection back to the pool: the job ids are noted on the connection (nothing
    more is sent to the database), and the time is taken when the pool gets the connection
    back, just after the commit returned."""
    committed: dict[int, float] = {}
    original = store.finish_jobs

    def finish(conn: Connection, ids: Sequence[int], now: datetime) -> None:
        original(conn, ids, now)
        conn.info.setdefault("bench_done", []).extend(ids)

    def checkin(_dbapi: Any, record: Any) -> None:
        done = record.info.pop("bench_done", None)
        if done:
            committed.update(dict.fromkeys(done, time.perf_counter()))

    store.finish_jobs = finish
    event.listen(engine, "checkin", checkin)
    try:
        yield committed
    finally:
        store.finish_jobs = original
        event.remove(engine, "checkin", checkin)


def job_records(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, subject_id FROM correlation_jobs WHERE subject_type = 'record' "
            "AND subject_id NOT LIKE 'S-%'"
        )).tuples()  # fmt: skip
        return dict(rows.all())


def drain(engine: Engine, total: int) -> None:
    report = _progress("correlating")
    done = 0
    while True:
        n = correlation.run_pending(engine, utc_now())
        if not n:
            break
        done += n
        report(min(done, total), total)


#: The tables a correlation reads that grow with the store.
BIG_TABLES = ("records", "record_persons", "record_identifiers", "correlation_terms")


def seq_scans(engine: Engine) -> dict[str, int]:
    """Sequential scans of the big tables so far. The pool's connections are closed first:
    a backend reports its counts when it exits (or when idle, later)."""
    engine.dispose()
    time.sleep(1.0)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname = ANY(:t)"),
            {"t": list(BIG_TABLES)},
        ).tuples()
        return dict(rows.all())


def naive(engine: Engine, ids: list[str]) -> tuple[float, dict[str, set[str]]]:
    found: dict[str, set[str]] = {}
    started = time.perf_counter()
    for rid in ids:
        with engine.begin() as conn:
            found[rid] = set(conn.execute(text(NAIVE), {"id": rid}).scalars())
    return time.perf_counter() - started, found


def live_run(engine: Engine, records: list[NewRecord], rate: float, poll: float,
             stored_at: dict[str, float]) -> tuple[list[str], float]:  # fmt: skip
    """The producer at ``rate`` and the worker of ``ozara serve`` at once; the records and
    the seconds from the first one stored to the queue found empty after the last."""
    stop = threading.Event()
    worker = threading.Thread(target=correlate_forever, args=(engine, None, None, stop),
                              kwargs={"every": poll}, daemon=True)  # fmt: skip
    started = time.perf_counter()
    worker.start()
    try:
        ids = store_records(engine, records, stored_at, rate, "live: storing")
        while True:
            with engine.connect() as conn:
                if store.queue_counts(conn)[0] == 0:
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        worker.join(timeout=60)
    return ids, elapsed


# --- The run --------------------------------------------------------------------------


def _links(engine: Engine, ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """(kind, other record) of every link of each new record."""
    out: dict[str, set[tuple[str, str]]] = {rid: set() for rid in ids}
    with engine.connect() as conn:
        for a, b, kind in conn.execute(text("SELECT subject_a, subject_b, kind FROM correlations")):
            for me, other in ((a, b), (b, a)):
                rid = me.removeprefix("record:")
                if rid in out:
                    out[rid].add((kind, other.removeprefix("record:")))
    return out


def bench(url: str, *, persons: int, batch: int, live: int, load_factor: float = 0.5,
          poll: float = 1.0, database: str = "bench_correlation") -> Result:  # fmt: skip
    admin = db.make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    engine = db.make_engine(f"{url.rsplit('/', 1)[0]}/{database}", pool_size=4)
    try:
        init_node(engine, NOW, demo_officers())
        print(f"  loading {persons:,} persons, {persons * 5:,} identifiers...", file=sys.stderr)
        loaded = load(engine, persons, _progress("records"))
        print(f"  loaded in {sum(loaded.seconds.values()):.0f} s", file=sys.stderr)
        planted = list(new_records(loaded.people, 0, batch + live))
        stored_at: dict[str, float] = {}
        with alert_clock(engine) as committed:
            clock = time.perf_counter()
            batch_ids = store_records(engine, planted[:batch], stored_at)
            storing_s = time.perf_counter() - clock
            naive_s, naive_found = naive(engine, batch_ids)
            scans = seq_scans(engine)
            clock = time.perf_counter()
            drain(engine, batch)
            correlating_s = time.perf_counter() - clock
            scans = {k: v - scans.get(k, 0) for k, v in seq_scans(engine).items()}
            rate = load_factor * batch / correlating_s
            print(f"  live: {rate:,.1f} records/s offered", file=sys.stderr)
            live_ids, live_s = live_run(engine, planted[batch:], rate, poll, stored_at)
        ids = batch_ids + live_ids
        links = _links(engine, ids)
        alerted: dict[str, float] = {}
        for job, rid in job_records(engine).items():
            if job in committed:
                alerted[rid] = max(alerted.get(rid, 0.0), committed[job])
    finally:
        engine.dispose()
    result = Result(
        loaded, batch, storing_s, correlating_s, naive_s, {}, scans, live, rate, live_s,
        [(alerted[rid] - stored_at[rid]) * 1000 for rid in live_ids if rid in alerted],
        poll, sum(len(v) for v in links.values()),
    )  # fmt: skip
    for rid, record in zip(ids, planted, strict=True):
        result.links_by_category.setdefault(record.category, []).append(len(links[rid]))
        if record.expect is not None:
            result.recall.setdefault(record.category, []).append(record.expect in links[rid])
    for rid, record in zip(batch_ids, planted, strict=False):
        if record.expect is not None:
            hit = record.expect[1] in naive_found[rid]
            result.naive_recall.setdefault(record.category, []).append(hit)
    return result


# --- The report -----------------------------------------------------------------------


def _share(hits: list[bool]) -> str:
    return f"{sum(hits) / len(hits):.3f} ({sum(hits):,}/{len(hits):,})" if hits else "-"


def section(r: Result) -> list[str]:
    s = r.store
    storing = r.batch / r.storing_s
    batch = r.batch / r.correlating_s
    naive_rate = r.batch / r.naive_s
    d = r.delays_ms
    kinds = ("person", "identifier", "in_range", "subdomain", "nothing")
    rows = []
    for kind in kinds:
        links = r.links_by_category.get(kind, [])
        rows.append(
            f"| {kind} | {len(links):,} | {sum(links):,} | {max(links, default=0):,} | "
            f"{_share(r.recall.get(kind, []))} | {_share(r.naive_recall.get(kind, []))} |"
        )
    load_s = ", ".join(f"{name} {v:.0f} s" for name, v in s.seconds.items())
    return [
        HEADING,
        "",
        f"A store of {len(s.people):,} persons in {s.records:,} records of the six Parties' "
        f"bodies with {s.identifiers:,} identifiers (per person an e-mail, an E.164 telephone "
        "and an account handle; per record an IPv4 address, a domain, a wallet, and a /24 "
        f"range or a URL on a sub-domain), {s.terms:,} correlation terms, bulk-built with the "
        "engine's own functions (`bench/correlation_data.py`). New records stored one "
        "transaction each through `services.records.create_record`, which queues the "
        "correlation job in that transaction; a fifth carry nothing to find, the others a "
        "person of the store in Latin where the store has the national script, an identifier "
        "of the store, an address inside a stored range, or a sub-domain of a stored domain. "
        "Baselines in the same run: storing the same records (no worker running), and a naive "
        "correlation by a plain SQL equality self-join on `record_identifiers` (one query a "
        "record, nothing written; it cannot find ranges, sub-domains or persons).",
        "",
        "| phase | records | seconds | records/s | ratio |",
        "|---|---|---|---|---|",
        f"| storing (baseline: the storing transactions alone) | {r.batch:,} | "
        f"{r.storing_s:,.1f} | {storing:,.1f} | 1.00 |",
        f"| correlating, batch (`run_pending` until the queue is empty) | {r.batch:,} | "
        f"{r.correlating_s:,.1f} | {batch:,.1f} | {batch / storing:.2f} |",
        f"| naive equality join (floor) | {r.batch:,} | {r.naive_s:,.1f} | {naive_rate:,.1f} | "
        f"{naive_rate / storing:.2f} |",
        f"| live: stored at {r.offered_per_s:,.1f}/s while the worker runs | {r.live:,} | "
        f"{r.live_s:,.1f} | {r.live / r.live_s:,.1f} | (paced) |",
        "",
        f"Delay until the alert (live; from the storing commit to the commit of the "
        f"transaction writing the record's links), over {len(d):,} records: p50 "
        f"{statistics.median(d) if d else 0:,.0f} ms, p99 {pct(d, 0.99) if d else 0:,.0f} ms, "
        f"max {max(d, default=0):,.0f} ms. The worker is `ozara serve`'s "
        f"(`correlate_forever`), resting {r.poll_s:g} s whenever it finds the queue empty: "
        "up to that much of the delay is the wait for its next pass.",
        "",
        f"Batch correlation runs at {batch / storing:.2f}x the storing rate and "
        f"{batch / naive_rate:.2f}x the naive join's. Sequential scans of the store's tables "
        "while correlating the batch: "
        + ", ".join(f"`{t}` {r.scans.get(t, 0)}" for t in BIG_TABLES)
        + (" (every lookup reads an index)." if not any(r.scans.values()) else "."),
        "",
        "| planted | records | links | most links on one record | recall | naive recall |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Links of the new records: {r.links:,}. Load time: {sum(s.seconds.values()):.0f} s "
        f"({load_s}).",
        "",
    ]


def run_correlation(args: argparse.Namespace) -> list[str]:
    """``python -m bench --only correlation``."""
    with private_server(durable=True) as url:
        return section(bench(
            url, persons=args.correlation_persons, batch=args.correlation_records,
            live=args.correlation_live, load_factor=args.correlation_load,
            poll=args.correlation_poll,
        ))  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser, persons: int, records: int) -> None:
    parser.add_argument(
        "--correlation-persons",
        type=int,
        default=persons,
        help="correlation: persons in the store (five identifiers each)",
    )
    parser.add_argument(
        "--correlation-records",
        type=int,
        default=records,
        help="correlation: new records correlated in a batch",
    )
    parser.add_argument(
        "--correlation-live",
        type=int,
        default=records // 2,
        help="correlation: new records stored while the worker runs",
    )
    parser.add_argument(
        "--correlation-load",
        type=float,
        default=0.5,
        help="correlation: live storing rate, times the batch throughput",
    )
    parser.add_argument("--correlation-poll", type=float, default=1.0,
                        help="correlation: the worker's rest on an empty queue (s)")  # fmt: skip


if __name__ == "__main__":
    cli = argparse.ArgumentParser(prog="python -m bench.correlation")
    add_arguments(cli, 100_000, 1_000)
    print("\n".join(run_correlation(cli.parse_args())))
