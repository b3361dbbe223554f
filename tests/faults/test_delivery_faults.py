"""Issue 3, "Done when": nothing lost, nothing duplicated, under faults.

A sender (an in-process ``DeliveryWorker`` with the real httpx transport, on SQLite) streams
documents to a receiver that runs as a real ``ozara serve --no-deliver`` process (on SQLite
or PostgreSQL), through a fault-injecting proxy (``proxy.py``: dropped requests, dropped
replies, delays, duplicates, reordering). Meanwhile the receiver is killed with SIGKILL at
random moments and restarted. Afterwards every document is at the receiver exactly once (by
content hash), every receipt verifies, every outbox row is ``delivered``, and both databases
pass an integrity check. Everything runs on 127.0.0.1; every loop is bounded in count and
time; the randomness is seeded.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from ozara.documents import Document, DocumentType, TrustState
from ozara.store import db
from ozara.store.tables import inbox, outbox, rejections
from ozara.transport import (
    DUPLICATE,
    DeliveryState,
    DeliveryWorker,
    HttpxTransport,
    RetryPolicy,
    content_hash,
    enqueue,
    entries,
    verify_receipt,
)
from ozara.transport.nodefiles import write_node
from tests.documents.federation import Federation, build_federation
from tests.faults.proxy import FaultProxy, FaultRates
from tests.transport.conftest import free_port

TRUST_LIST_VERSION = 4


@dataclass(frozen=True)
class Scenario:
    documents: int
    kills: int
    uptime: tuple[float, float]  # the receiver is killed after a random time up in this range
    stream_seconds: float  # the documents are queued evenly over this time
    deadline_seconds: float  # the whole run, receiver restarts included
    seed: int
    concurrency: int = 4


SMALL = Scenario(150, kills=3, uptime=(0.5, 2), stream_seconds=8, deadline_seconds=40, seed=3)
FULL = Scenario(1000, kills=15, uptime=(0.5, 3), stream_seconds=45, deadline_seconds=240, seed=7)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Receiver:
    """``ozara serve --no-deliver`` in a subprocess, on a fixed loopback port."""

    def __init__(self, node_dir: Path, database: str, port: int, logs: Path) -> None:
        self.command = [sys.executable, "-m", "ozara.cli", "serve", "--no-deliver"]
        self.command += ["--node-dir", str(node_dir), "--database", database]
        self.command += ["--host", "127.0.0.1", "--port", str(port)]
        self.port = port
        self.logs = logs
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        self.starts += 1
        with (self.logs / f"receiver-{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/v1/health", timeout=1).is_success:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.kill()
                raise RuntimeError(f"the receiver did not start (see {self.logs})")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


class Killer(threading.Thread):
    """Kills the receiver ``kills`` times, each after a random time up, and restarts it."""

    def __init__(
        self, receiver: Receiver, kills: int, uptime: tuple[float, float], rng: random.Random
    ) -> None:
        super().__init__(name="receiver-killer", daemon=True)
        self.receiver, self.planned, self.uptime, self.rng = receiver, kills, uptime, rng
        self.kills = 0
        self.error: BaseException | None = None
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            for _ in range(self.planned):
                if self.stop_event.wait(self.rng.uniform(*self.uptime)):
                    return
                self.receiver.kill()
                self.kills += 1
                self.stop_event.wait(self.rng.uniform(0, 0.3))  # down for a while
                self.receiver.start()
        except BaseException as exc:
            self.error = exc


def trust_for(fed: Federation, endpoint: str) -> TrustState:
    """Version 4: keys valid around the real time, the receiver reached through ``endpoint``."""
    now = utc_now()
    entries_v4 = tuple(
        replace(
            e,
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=1),
            endpoint=endpoint if e.node_id == fed.rus.node_id else e.endpoint,
        )
        for e in fed.entries()
    )
    return TrustState(current=fed.issue(TRUST_LIST_VERSION, entries_v4))


def documents_for(fed: Federation, n: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    return [
        fed.document(
            DocumentType.INFORMATION_SHARE,
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=utc_now(),
            trust_list_version=TRUST_LIST_VERSION,
            body={"n": i, "text": "Сведения о преступлении", "pad": "x" * rng.randrange(2000)},
        )
        for i in range(n)
    ]


def sqlite_ok(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


def postgres_ok(engine: Engine) -> bool:
    """amcheck on every B-tree index of the node's tables, and the inbox's own consistency."""
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
        indexes = conn.execute(
            text(
                "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = c.relam JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE am.amname = 'btree' AND t.relname IN ('inbox', 'rejections')"
            )
        ).scalars()
        for oid in indexes:
            conn.execute(text("SELECT bt_index_parent_check(:oid, true)"), {"oid": oid})
        bad = conn.execute(
            select(func.count())
            .select_from(inbox)
            .where(
                (func.length(inbox.c.receipt) == 0)
                | (func.length(inbox.c.sealed) == 0)
                | (func.length(inbox.c.content_sha256) != 64)
            )
        ).scalar_one()
        orphans = conn.execute(
            select(func.count())
            .select_from(rejections)
            .where(
                rejections.c.reason == DUPLICATE,
                ~rejections.c.document_id.in_(select(inbox.c.document_id)),
            )
        ).scalar_one()
    return bad == 0 and orphans == 0


@pytest.fixture
def sender_db(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sender.sqlite3'}")
    db.upgrade(engine)
    yield engine
    engine.dispose()


def run(
    scenario: Scenario, receiver_db: Engine, sender_db: Engine, tmp_path: Path
) -> dict[str, int]:
    fed = build_federation()
    rng = random.Random(scenario.seed)
    receiver_port = free_port()
    db.upgrade(receiver_db)
    documents = documents_for(fed, scenario.documents, scenario.seed)
    with FaultProxy(receiver_port, seed=scenario.seed, rates=FaultRates()) as proxy:
        trust = trust_for(fed, proxy.url)
        node_dir = tmp_path / "receiver"
        write_node(node_dir, fed.rus, trust.current, fed.secretariat.signing.public)
        receiver = Receiver(
            node_dir, receiver_db.url.render_as_string(hide_password=False), receiver_port, tmp_path
        )
        receiver.start()
        killer = Killer(receiver, scenario.kills, scenario.uptime, rng)
        transport = HttpxTransport(timeout=5)
        worker = DeliveryWorker(
            sender_db,
            fed.kaz,
            lambda: trust,
            transport,
            clock=utc_now,
            rng=random.Random(scenario.seed + 2),
            policy=RetryPolicy(
                base=timedelta(seconds=0.05),
                cap=timedelta(seconds=1),
                max_attempts=100_000,  # the deadline bounds the test, not the budget
                lease=timedelta(seconds=30),
            ),
            batch=50,
            concurrency=scenario.concurrency,
        )
        try:
            killer.start()
            started = time.monotonic()
            queued = 0
            while time.monotonic() - started < scenario.deadline_seconds:
                due = min(
                    len(documents),
                    int((time.monotonic() - started) / scenario.stream_seconds * len(documents))
                    + 1,
                )
                for document in documents[queued:due]:
                    with sender_db.begin() as conn:  # one transaction per document, as a service
                        enqueue(conn, document, keys=fed.kaz, trust=trust, now=utc_now())
                queued = due
                outcomes = worker.run_once()
                done = queued == len(documents) and not killer.is_alive()
                if done and not entries(sender_db, DeliveryState.PENDING):
                    break
                if not outcomes:
                    time.sleep(0.01)
            proxy.flush()
        finally:
            killer.stop_event.set()
            killer.join(timeout=30)
            receiver.stop()
            transport.close()
    elapsed = time.monotonic() - started
    if killer.error is not None:
        raise killer.error

    # -- the sender: every row delivered, every receipt verifies -------------------------
    sent = entries(sender_db)
    states = Counter(e.state for e in sent)
    assert states == {DeliveryState.DELIVERED: scenario.documents}, (
        f"{states} after {elapsed:.0f} s (deadline {scenario.deadline_seconds} s)"
    )
    now = utc_now()
    for entry in sent:
        assert entry.receipt is not None
        verify_receipt(
            entry.receipt,
            keys=fed.kaz,
            trust=trust,
            now=now,
            recipient=fed.rus.node_id,
            document_id=entry.document_id,
            digest=entry.content_sha256,
        )

    # -- the receiver: each document exactly once, by content hash -----------------------
    expected = Counter(content_hash(d) for d in documents)
    assert len(expected) == scenario.documents
    with receiver_db.connect() as conn:
        received = Counter(conn.execute(select(inbox.c.content_sha256)).scalars())
        reasons = Counter(conn.execute(select(rejections.c.reason)).scalars())
    assert received == expected  # none missing, none twice
    assert set(reasons) <= {DUPLICATE}, reasons  # nothing refused but duplicates

    # -- both databases pass an integrity check ------------------------------------------
    assert sqlite_ok(sender_db)
    if receiver_db.dialect.name == "sqlite":
        assert sqlite_ok(receiver_db)
    else:
        assert postgres_ok(receiver_db)
    with sender_db.connect() as conn:
        attempts = int(conn.execute(select(func.sum(outbox.c.attempts))).scalar_one())

    counts = {
        "documents": scenario.documents,
        "received": sum(received.values()),
        "kills": killer.kills,
        "retries": attempts - scenario.documents,
        "duplicates_dropped": reasons[DUPLICATE],
        **{k: proxy.counts[k] for k in ("requests", "drop_request", "drop_reply")},
        **{k: proxy.counts[k] for k in ("delay", "duplicate", "reorder", "upstream_down")},
    }
    assert counts["kills"] == scenario.kills
    print(
        f"\n{receiver_db.dialect.name} receiver, {elapsed:.1f} s: "
        + ", ".join(f"{k}={v}" for k, v in counts.items())
    )
    return counts


def test_delivery_survives_kills_and_a_faulty_network(
    engine: Engine, sender_db: Engine, tmp_path: Path
) -> None:
    counts = run(SMALL, engine, sender_db, tmp_path)
    assert counts["drop_request"] and counts["drop_reply"] and counts["duplicate"]


@pytest.mark.slow
def test_a_thousand_documents_survive_kills_and_a_faulty_network(
    engine: Engine, sender_db: Engine, tmp_path: Path
) -> None:
    counts = run(FULL, engine, sender_db, tmp_path)
    assert counts["drop_request"] and counts["drop_reply"] and counts["duplicate"]
    assert counts["reorder"] and counts["delay"]
