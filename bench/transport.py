"""Documents per second between two nodes on loopback, against the floor (issue 3).

End to end, each document is sealed (signed, encrypted) and queued in the sender's outbox
(one transaction), claimed by the delivery worker, posted over HTTP to the receiving node
(``ozara serve --no-deliver``, a separate process), opened, verified and stored in its
inbox with a signed receipt, and marked ``delivered`` at the sender once the receipt
verifies. Both nodes are on SQLite files (WAL, synchronous=FULL).

Two floors, in the same run, each the cryptography and durable writes alone, one document
after another in one process, with no HTTP, no queue and no query:

* the *path floor*, which the target is measured against: all the signing, encryption and
  durable writing one delivered document needs — sealing and committing it at the sender,
  opening it, sealing its receipt and committing both at the receiver, opening the receipt
  and committing it at the sender (two seals, two opens, three commits);
* the *sending floor*: ``seal`` and a one-row INSERT + COMMIT at the sender, nothing else.
  It was the first yardstick; a delivery does four times its cryptography and three times
  its commits, so even a path with no overhead at all would reach only about a quarter of it.
"""

from __future__ import annotations

import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select, text

from ozara.core.parties import Party
from ozara.crypto import DEFAULT_SUITE_ID
from ozara.documents import (
    Document,
    DocumentType,
    NodeKeys,
    TrustEntry,
    TrustState,
    generate_node_keys,
    issue_trust_list,
    open_sealed,
    seal,
)
from ozara.store import db
from ozara.store.tables import outbox
from ozara.transport import DeliveryState, DeliveryWorker, HttpxTransport, RetryPolicy, enqueue
from ozara.transport.nodefiles import write_node
from ozara.transport.receipts import content_hash, make_receipt, verify_receipt

from .report import pct

BODY_TEXT = "Сведения о преступлении в сфере информации; " * 20  # about 1 KB of body


@dataclass
class Run:
    concurrency: int
    documents: int
    seconds: float
    latencies_ms: list[float]  # from queued (committed) to delivered, under this load
    offered: float | None = None  # documents queued a second; None: as fast as possible

    @property
    def per_s(self) -> float:
        return self.documents / self.seconds


@dataclass
class TransportResult:
    documents: int
    floor_per_s: float
    path_floor_per_s: float
    runs: list[Run] = field(default_factory=list)
    paced: Run | None = None  # at half the best throughput
    unloaded_ms: list[float] = field(default_factory=list)  # one document at a time


@dataclass
class Nodes:
    sender: NodeKeys
    receiver: NodeKeys
    secretariat: NodeKeys
    trust: TrustState


def nodes(endpoint: str) -> Nodes:
    now = datetime.now(UTC)
    secretariat = generate_node_keys("CSTO-SEC", DEFAULT_SUITE_ID)
    kaz = generate_node_keys("KAZ-MVD-NODE", DEFAULT_SUITE_ID)
    rus = generate_node_keys("RUS-MVD-NODE", DEFAULT_SUITE_ID)

    def entry(keys: NodeKeys, party: Party | None, bodies: tuple[str, ...]) -> TrustEntry:
        return TrustEntry(
            node_id=keys.node_id,
            party=party,
            bodies=bodies,
            endpoint=endpoint if keys is rus else f"http://{keys.node_id.lower()}.invalid",
            suite=keys.suite_id,
            signing_key=keys.signing.public,
            encryption_key=keys.encryption.public,
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=1),
        )

    entries = (
        entry(secretariat, None, ()),
        entry(kaz, Party.KAZAKHSTAN, ("KAZ-MVD",)),
        entry(rus, Party.RUSSIA, ("RUS-MVD",)),
    )
    trust_list = issue_trust_list(1, now, secretariat.node_id, entries, secretariat.signing)
    return Nodes(kaz, rus, secretariat, TrustState(current=trust_list))


def document(n: Nodes, i: int) -> Document:
    return Document(
        id=uuid.uuid4(),
        type=DocumentType.INFORMATION_SHARE,
        sender=n.sender.node_id,
        recipient=n.receiver.node_id,
        created_at=datetime.now(UTC),
        body={"n": i, "text": BODY_TEXT},
        trust_list_version=n.trust.current.version,
    )


def floor(n: Nodes, engine: Engine, count: int) -> float:
    """Documents per second for seal + one-row INSERT + COMMIT (the sending side's floor)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_sealed (id TEXT PRIMARY KEY, sealed BLOB)"))
    key = n.receiver.encryption.public
    docs = [document(n, i) for i in range(count)]
    started = time.perf_counter()
    for d in docs:
        blob = seal(d, n.sender, key)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO bench_sealed (id, sealed) VALUES (:i, :s)"),
                {"i": str(d.id), "s": blob},
            )
    return count / (time.perf_counter() - started)


def path_floor(n: Nodes, sender: Engine, receiver: Engine, count: int) -> float:
    """Documents per second for all the cryptography and commits of one delivery."""
    for engine in (sender, receiver):
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_docs (id TEXT PRIMARY KEY, blob BLOB)"))
    insert = text("INSERT INTO bench_docs (id, blob) VALUES (:i, :b)")
    update = text("UPDATE bench_docs SET blob = :b WHERE id = :i")
    docs = [document(n, i) for i in range(count)]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for d in docs:
        blob = seal(d, n.sender, n.receiver.encryption.public)
        with sender.begin() as conn:
            conn.execute(insert, {"i": str(d.id), "b": blob})
        opened = open_sealed(blob, n.receiver, n.trust, now)
        digest = content_hash(opened)
        receipt = make_receipt(opened, digest, n.receiver, n.trust, now)
        with receiver.begin() as conn:
            conn.execute(insert, {"i": str(d.id), "b": blob + receipt})
        verify_receipt(
            receipt, keys=n.sender, trust=n.trust, now=now, recipient=n.receiver.node_id,
            document_id=d.id, digest=digest,
        )  # fmt: skip
        with sender.begin() as conn:
            conn.execute(update, {"i": str(d.id), "b": receipt})
    return count / (time.perf_counter() - started)


class Receiver:
    def __init__(self, node_dir: Path, database: str, port: int, log: Path) -> None:
        command = [sys.executable, "-m", "ozara.cli", "serve", "--no-deliver"]
        command += ["--node-dir", str(node_dir), "--database", database, "--port", str(port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).is_success:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError(f"the receiving node did not start; see {log}")
            time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


def _worker(
    n: Nodes, engine: Engine, transport: HttpxTransport, concurrency: int
) -> DeliveryWorker:
    return DeliveryWorker(
        engine,
        n.sender,
        lambda: n.trust,
        transport,
        clock=lambda: datetime.now(UTC),
        rng=random.Random(1),
        policy=RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(seconds=1)),
        batch=100,
        concurrency=concurrency,
    )


def _undelivered(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.state != DeliveryState.DELIVERED.value)
            ).scalar_one()
        )


def stream(
    n: Nodes,
    engine: Engine,
    transport: HttpxTransport,
    count: int,
    conc: int,
    *,
    rate: float | None = None,
) -> Run:
    """A producer queues ``count`` documents (one transaction each), as fast as it can or
    ``rate`` a second, while the worker sends."""
    worker = _worker(n, engine, transport, conc)
    docs = [document(n, i) for i in range(count)]
    queued = threading.Event()

    def produce() -> None:
        begin = time.perf_counter()
        for i, d in enumerate(docs):
            if rate is not None:
                time.sleep(max(0.0, begin + i / rate - time.perf_counter()))
            with engine.begin() as conn:
                enqueue(conn, d, keys=n.sender, trust=n.trust, now=datetime.now(UTC))
        queued.set()

    producer = threading.Thread(target=produce, name="bench-producer")
    started = time.perf_counter()
    producer.start()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if not worker.run_once():
            if queued.is_set() and _undelivered(engine) == 0:
                break
            time.sleep(0.001)
    seconds = time.perf_counter() - started
    producer.join()
    ids = [str(d.id) for d in docs]
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.created_at, outbox.c.delivered_at, outbox.c.state).where(
                outbox.c.document_id.in_(ids)
            )
        ).all()
    if len(rows) != count or any(r.state != DeliveryState.DELIVERED.value for r in rows):
        raise RuntimeError(f"not every document was delivered with concurrency {conc}")
    latencies = [(r.delivered_at - r.created_at).total_seconds() * 1000 for r in rows]
    return Run(conc, count, seconds, latencies, rate)


def unloaded(n: Nodes, engine: Engine, transport: HttpxTransport, count: int) -> list[float]:
    """Milliseconds from seal-and-queue to delivered, one document at a time."""
    worker = _worker(n, engine, transport, 1)
    times = []
    for i in range(count):
        started = time.perf_counter()
        with engine.begin() as conn:
            enqueue(conn, document(n, i), keys=n.sender, trust=n.trust, now=datetime.now(UTC))
        [outcome] = worker.run_once()
        if outcome.state is not DeliveryState.DELIVERED:
            raise RuntimeError(f"not delivered: {outcome.error}")
        times.append((time.perf_counter() - started) * 1000)
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def transport_bench(
    tmp: Path, documents: int, concurrency: tuple[int, ...] = (1, 8)
) -> TransportResult:
    port = free_port()
    n = nodes(f"http://127.0.0.1:{port}")
    floor_engine = db.make_engine(f"sqlite:///{tmp}/floor.sqlite3")
    print("  transport: floors...", file=sys.stderr, flush=True)
    sending = floor(n, floor_engine, documents)
    floor_engine.dispose()
    floor_sender = db.make_engine(f"sqlite:///{tmp}/floor-sender.sqlite3")
    floor_receiver = db.make_engine(f"sqlite:///{tmp}/floor-receiver.sqlite3")
    result = TransportResult(
        documents, sending, path_floor(n, floor_sender, floor_receiver, documents)
    )
    floor_sender.dispose()
    floor_receiver.dispose()
    write_node(tmp / "receiver", n.receiver, n.trust.current, n.secretariat.signing.public)
    receiver_db = f"sqlite:///{tmp}/receiver.sqlite3"
    db.upgrade(db.make_engine(receiver_db))
    sender = db.make_engine(f"sqlite:///{tmp}/sender.sqlite3")
    db.upgrade(sender)
    receiver = Receiver(tmp / "receiver", receiver_db, port, tmp / "receiver.log")
    transport = HttpxTransport(timeout=30)
    try:
        unloaded(n, sender, transport, 20)  # warm up both sides
        for conc in concurrency:
            print(f"  transport: {documents:,} documents, concurrency {conc}...", file=sys.stderr)
            result.runs.append(stream(n, sender, transport, documents, conc))
        best = max(result.runs, key=lambda x: x.per_s)
        rate = round(best.per_s / 2)
        print(f"  transport: {documents:,} documents at {rate}/s...", file=sys.stderr)
        result.paced = stream(n, sender, transport, documents, best.concurrency, rate=rate)
        result.unloaded_ms = unloaded(n, sender, transport, min(documents, 300))
    finally:
        transport.close()
        receiver.close()
        sender.dispose()
    return result


def section(r: TransportResult) -> list[str]:
    best = max(r.runs, key=lambda x: x.per_s)
    lines = [
        "## Documents between two nodes (loopback)",
        "",
        "End to end: each document sealed (Ed25519 signature, HPKE encryption) and queued in "
        "the sender's outbox (one transaction), claimed by the delivery worker, posted over "
        "HTTP to the receiving node (`ozara serve --no-deliver`, its own process), opened, "
        "verified and stored in its inbox with a signed receipt, and marked delivered once the "
        "receipt verifies. Both nodes on SQLite files (WAL, synchronous=FULL) on one disk, both "
        "processes on the same cores. A producer queues the documents (as fast as it can, or "
        "at a fixed rate) while the worker sends; latency is from queued (committed) to "
        "delivered (receipt verified and recorded).",
        "",
        "Floors in the same run, each one document after another in one process with no HTTP, "
        "no queue and no query: the **path floor**, against which the target is measured, is "
        "all the signing, encryption and durable writing a delivered document needs (seal and "
        "commit at the sender; open, seal the receipt and commit at the receiver; open the "
        "receipt and commit at the sender: two seals, two opens, three commits). The **sending "
        "floor** is `seal` and one INSERT + COMMIT at the sender alone; a delivery does four "
        "times its cryptography and three times its commits, so it bounds the ratio at about "
        "a quarter even for a path with no overhead.",
        "",
        "| worker concurrency | offered load | documents | seconds | documents/s | p50 ms | "
        "p99 ms | ratio to path floor | ratio to sending floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in [*r.runs, *([r.paced] if r.paced else [])]:
        offered = "as fast as possible" if x.offered is None else f"{x.offered:,.0f}/s"
        lines.append(
            f"| {x.concurrency} | {offered} | {x.documents:,} | {x.seconds:,.1f} | "
            f"{x.per_s:,.0f} | {statistics.median(x.latencies_ms):,.1f} | "
            f"{pct(x.latencies_ms, 0.99):,.1f} | "
            + (
                "(paced) | (paced)"
                if x.offered
                else f"{x.per_s / r.path_floor_per_s:.2f} | {x.per_s / r.floor_per_s:.2f}"
            )
            + " |"
        )
    lines += [
        "",
        f"Path floor: {r.path_floor_per_s:,.0f} documents/s; sending floor: "
        f"{r.floor_per_s:,.0f} documents/s. Under a load the nodes cannot keep up with, "
        "latency is mostly time in the queue; the paced run (half the best throughput) and one "
        f"document at a time show the path itself: one at a time ({len(r.unloaded_ms)} "
        f"documents), p50 {statistics.median(r.unloaded_ms):.1f} ms and p99 "
        f"{pct(r.unloaded_ms, 0.99):.1f} ms from seal to verified receipt.",
        "",
        f"Best throughput relative to the path floor: {best.per_s / r.path_floor_per_s:.0%} "
        f"(worker concurrency {best.concurrency}; target: at least 30%); relative to the "
        f"sending floor: {best.per_s / r.floor_per_s:.0%}.",
        "",
    ]
    return lines
