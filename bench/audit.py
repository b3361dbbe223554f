"""Verifying the audit chain over 1,000,000 entries against raw SHA-256 (issue 7: within 3x).

A node on SQLite (the embedded default) gets its audit log filled directly, continuing the
chain from its head: entries shaped like those of a request's lifecycle, each with its hash
computed as ``AuditRepository.record`` computes it. ``verify_chain`` then reads them all in
id order and recomputes every hash. Baselines in the same run: raw ``hashlib.sha256`` over
the very canonical bytes verification hashes (prepared beforehand, not timed), and reading
the same rows with no hashing at all.

Alone: ``python -m bench.audit --entries 20000``.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ozara.core.rules import RULESET_VERSION
from ozara.documents.fields import format_time
from ozara.services.node import demo_officers, init_node
from ozara.store import db
from ozara.store import tables as t
from ozara.store.audit import EntryFields, canonical_details, entry_bytes, verify_chain

HEADING = "## Audit chain verification"
BATCH = 10_000
#: (action, actor, body, state from, state to, articles): one request's seven entries.
LIFECYCLE = [
    ("request:created", "kaz-mvd.officer", "KAZ-MVD", "draft", "draft", ["Art. 6"]),
    ("request:signed", "kaz-mvd.head", "KAZ-MVD", "draft", "signed", ["Art. 6 para 5"]),
    ("request:sent", "kaz-mvd.officer", "KAZ-MVD", "signed", "sent", ["Art. 6 para 1"]),
    ("request:received", "rus-mvd.officer", "RUS-MVD", "sent", "received", ["Art. 7 para 1"]),
    ("request:execution_started", "rus-mvd.officer", "RUS-MVD", "received", "in_execution",
     ["Art. 7 para 1"]),
    ("request:executed", "rus-mvd.officer", "RUS-MVD", "in_execution", "executed",
     ["Art. 9 para 1"]),
    ("request:closed", "kaz-mvd.officer", "KAZ-MVD", "executed", "closed", ["Art. 9"]),
]  # fmt: skip
DETAILS = [
    canonical_details({"state_from": a, "state_to": b, "articles": arts})
    for _, _, _, a, b, arts in LIFECYCLE
]


@dataclass
class AuditResult:
    entries: int  # in the log: the node's own (init) and the ones filled in
    bytes_per_entry: float
    verify_s: float  # all the entries
    read_s: float  # all the entries
    floor_s: float  # per entry (only the filled ones are hashed raw)


def progress(label: str, done: int, total: int) -> None:
    print(f"\r  {label}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)
    if done == total:
        print(file=sys.stderr)


def fill(engine: Engine, entries: int, started: datetime) -> tuple[float, int]:
    """Append ``entries`` lifecycle entries to the chain; return the seconds spent hashing
    their canonical bytes with raw SHA-256 (the floor) and the bytes hashed."""
    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head.c.last_id, t.audit_head.c.last_hash)).one()
    next_id, prev = int(head.last_id) + 1, str(head.last_hash)
    floor, size, done = 0.0, 0, 0
    sha256 = hashlib.sha256
    while done < entries:
        rows: list[dict[str, Any]] = []
        blobs: list[bytes] = []
        for n in range(done, min(done + BATCH, entries)):
            step = n % len(LIFECYCLE)
            action, actor, body, _, _, _ = LIFECYCLE[step]
            at = started + timedelta(seconds=n, microseconds=(n * 7919) % 1_000_000)
            fields = EntryFields(
                next_id, format_time(at), actor, body, action, "request",
                f"KAZ-MVD-2026-{n // len(LIFECYCLE) + 1:06d}", DETAILS[step], RULESET_VERSION,
                prev,
            )  # fmt: skip
            blob = entry_bytes(fields)
            prev = sha256(blob).hexdigest()
            blobs.append(blob)
            rows.append({**fields._asdict(), "at": at, "entry_hash": prev})
            next_id += 1
        clock = time.perf_counter()
        for blob in blobs:
            sha256(blob).digest()
        floor += time.perf_counter() - clock
        size += sum(map(len, blobs))
        with engine.begin() as conn:
            conn.execute(insert(t.audit_log), rows)
            conn.execute(update(t.audit_head).values(last_id=next_id - 1, last_hash=prev))
        done += len(rows)
        progress("filling the audit log", done, entries)
    return floor, size


def read_only(path: Path) -> float:
    """Seconds to read every entry in id order, the same pages as verification, no hashing."""
    sql = (
        "SELECT id, at, actor_id, body_id, action, object_type, object_id, details, ruleset, "
        "prev_hash, entry_hash FROM audit_log WHERE id > ? ORDER BY id LIMIT ?"
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        started, after = time.perf_counter(), 0
        while rows := conn.execute(sql, (after, BATCH)).fetchall():
            after = rows[-1][0]
        return time.perf_counter() - started
    finally:
        conn.close()


def audit_bench(tmp: Path, entries: int) -> list[str]:
    path = tmp / "audit.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        started = datetime(2026, 3, 1, tzinfo=UTC)
        init_node(engine, started, demo_officers())
        floor, size = fill(engine, entries, started)
        read = read_only(path)  # also brings the file into the page cache, as on a busy node
        clock = time.perf_counter()
        report = verify_chain(engine)
        verify = time.perf_counter() - clock
    finally:
        engine.dispose()
    if not report.intact or report.checked < entries:
        raise RuntimeError(f"the benchmark's chain does not verify: {report}")
    return section(AuditResult(report.checked, size / entries, verify, read, floor / entries))


def section(r: AuditResult) -> list[str]:
    def row(name: str, per_entry: float) -> str:
        return (
            f"| {name} | {per_entry * r.entries:,.2f} | {1 / per_entry:,.0f} | "
            f"{per_entry * 1e6:.2f} | {per_entry / r.floor_s:.2f} |"
        )

    verify, read = r.verify_s / r.entries, r.read_s / r.entries
    ratio = verify / r.floor_s
    return [
        HEADING,
        "",
        f"{r.entries:,} audit entries on SQLite (WAL, synchronous=FULL), shaped like a "
        f"request's lifecycle entries ({r.bytes_per_entry:.0f} bytes of canonical JSON each on "
        "average). `verify_chain` reads them in id order (keyset pages of 10,000 rows), "
        "recomputes every entry's SHA-256, and checks every link, the ids and the chain's head. "
        "Baselines in the same run: raw SHA-256 (`hashlib.sha256(b).digest()` over the very "
        "canonical bytes verification hashes, prepared beforehand) and reading the same rows "
        "with no hashing (`sqlite3`, the same pages).",
        "",
        "| variant | seconds | entries/s | µs per entry | ratio to raw SHA-256 |",
        "|---|---|---|---|---|",
        row("`verify_chain` (Ozara)", verify),
        row("reading the rows only (baseline)", read),
        row("raw SHA-256 of the canonical bytes (floor)", r.floor_s),
        "",
        f"Verification takes {ratio:.1f}x the time of raw hashing (target: within 3x, "
        f"{'met' if ratio <= 3 else 'not met'}); reading the rows alone takes "
        f"{read / r.floor_s:.1f}x.",
        "",
    ]


def run_audit(args: argparse.Namespace) -> list[str]:
    """``python -m bench --only audit``: 1,000,000 entries (``args.audit_entries`` if set)."""
    with tempfile.TemporaryDirectory() as tmp:
        return audit_bench(Path(tmp), getattr(args, "audit_entries", 1_000_000))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.audit")
    parser.add_argument("--entries", type=int, default=20_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        print("\n".join(audit_bench(Path(tmp_dir), options.entries)))
