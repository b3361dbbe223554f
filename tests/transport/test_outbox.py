"""The sender's side: the transactional outbox and the delivery worker (fake transport)."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from ozara.documents import DocumentType, open_sealed
from ozara.store import db
from ozara.store.tables import outbox
from ozara.transport import (
    DeliveryState,
    DeliveryWorker,
    InMemoryTransport,
    Response,
    RetryPolicy,
    UnknownRecipient,
    content_hash,
    enqueue,
    entries,
    failed,
)
from tests.conftest import Clock
from tests.documents.federation import NOW, Federation
from tests.transport.conftest import count, counts, inbox_handler, make_inbox, share

POLICY = RetryPolicy(
    base=timedelta(seconds=1), cap=timedelta(seconds=30), max_attempts=5, lease=timedelta(minutes=1)
)


def worker(
    fed: Federation, engine: Engine, transport: InMemoryTransport, clock: Clock, seed: int = 7
) -> DeliveryWorker:
    return DeliveryWorker(
        engine,
        fed.kaz,
        lambda: fed.rus_trust,
        transport,
        clock=lambda: clock.now,
        rng=random.Random(seed),
        policy=POLICY,
    )


def queue(fed: Federation, engine: Engine, clock: Clock, n: int = 1) -> list[str]:
    with engine.begin() as conn:
        return [
            enqueue(
                conn, share(fed, i), keys=fed.kaz, trust=fed.rus_trust, now=clock.now
            ).content_sha256
            for i in range(n)
        ]


def test_a_document_queued_in_a_rolled_back_transaction_is_never_sent(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    with store.connect() as conn, conn.begin() as tx:
        enqueue(conn, share(fed), keys=fed.kaz, trust=fed.rus_trust, now=clock.now)
        tx.rollback()
    assert count(store, outbox) == 0
    transport = InMemoryTransport()
    assert worker(fed, store, transport, clock).run_once() == []
    assert transport.calls == []


def test_a_queued_document_is_sealed_and_pending(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    document = share(fed)
    with store.begin() as conn:
        enqueue(conn, document, keys=fed.kaz, trust=fed.rus_trust, now=clock.now)
    [entry] = entries(store)
    assert entry.state is DeliveryState.PENDING and entry.attempts == 0
    assert entry.document_id == document.id and entry.recipient == fed.rus.node_id
    assert entry.content_sha256 == content_hash(document)
    assert open_sealed(entry.sealed, fed.rus, fed.rus_trust, clock.now) == document


def test_a_recipient_missing_from_the_trust_list_cannot_be_queued(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    with store.begin() as conn, pytest.raises(UnknownRecipient, match="KGZ-MVD-NODE"):
        enqueue(
            conn,
            share(fed, recipient="KGZ-MVD-NODE"),
            keys=fed.kaz,
            trust=fed.rus_trust,
            now=clock.now,
        )


def test_the_worker_delivers_and_keeps_the_verified_receipt(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    [digest] = queue(fed, store, clock)
    transport = inbox_handler(make_inbox(fed, other_store, clock))
    [outcome] = worker(fed, store, transport, clock).run_once()
    assert outcome.state is DeliveryState.DELIVERED
    [entry] = entries(store)
    assert entry.state is DeliveryState.DELIVERED and entry.attempts == 1
    assert entry.delivered_at == clock.now and entry.last_error is None
    assert entry.receipt is not None
    receipt = open_sealed(entry.receipt, fed.kaz, fed.rus_trust, clock.now)
    assert receipt.type is DocumentType.RECEIPT and receipt.sender == fed.rus.node_id
    assert receipt.in_reply_to == entry.document_id
    assert receipt.body["content_sha256"] == digest
    assert counts(other_store).inbox == 1
    assert worker(fed, store, transport, clock).run_once() == []  # nothing left to do


def test_retries_follow_exponential_backoff_with_full_jitter(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock)
    transport = inbox_handler(make_inbox(fed, other_store, clock))
    transport.fail_next = 3
    sender = worker(fed, store, transport, clock, seed=42)
    expected = random.Random(42)
    for attempt in (1, 2, 3):
        [outcome] = sender.run_once()
        assert outcome.state is DeliveryState.PENDING
        assert outcome.error == "connection refused (injected)"
        ceiling = min(30.0, 1.0 * 2 ** (attempt - 1))
        due = clock.now + timedelta(seconds=expected.uniform(0, ceiling))
        [entry] = entries(store)
        assert entry.attempts == attempt and entry.next_attempt_at == due
        assert entry.next_attempt_at - clock.now <= timedelta(seconds=ceiling)
        clock.now = due - timedelta(microseconds=1)
        assert sender.run_once() == []  # not due yet
        clock.now = due
    [outcome] = sender.run_once()
    assert outcome.state is DeliveryState.DELIVERED
    assert entries(store)[0].attempts == 4


def test_the_delay_is_capped(fed: Federation) -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=60))

    class AlwaysTop(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    always_top = AlwaysTop(0)
    delays = [policy.delay(n, always_top).total_seconds() for n in (1, 2, 3, 5, 6, 100)]
    assert delays == [2, 4, 8, 32, 60, 60]


def test_a_document_fails_once_the_retry_budget_is_spent(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock)
    transport = InMemoryTransport(fail_next=100)
    sender = worker(fed, store, transport, clock)
    for _ in range(POLICY.max_attempts):
        sender.run_once()
        clock.advance(minutes=5)
    [entry] = failed(store)
    assert entry.state is DeliveryState.FAILED and entry.attempts == POLICY.max_attempts
    assert entry.last_error == "connection refused (injected) (after 5 attempts)"
    assert sender.run_once() == []
    assert len(transport.calls) == POLICY.max_attempts


def test_a_lost_reply_is_retried_and_answered_with_the_original_receipt(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock)
    receiver = make_inbox(fed, other_store, clock)
    transport = inbox_handler(receiver)
    transport.lose_replies = 2
    sender = worker(fed, store, transport, clock)
    for _ in range(3):
        sender.run_once()
        clock.advance(minutes=1)
    [entry] = entries(store)
    assert entry.state is DeliveryState.DELIVERED and entry.attempts == 3
    assert counts(other_store) == counts(other_store).__class__(0, 1, 2)  # two duplicates logged
    assert entry.receipt == receiver.accept(entry.sealed).receipt  # the original, byte for byte


def test_a_refusal_for_good_fails_at_once(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock)
    [entry] = entries(store)
    with store.begin() as conn:  # the stored blob is damaged
        conn.execute(update(outbox).values(sealed=entry.sealed[:-5] + bytes(5)))
    transport = inbox_handler(make_inbox(fed, other_store, clock))
    [outcome] = worker(fed, store, transport, clock).run_once()
    assert outcome.state is DeliveryState.FAILED
    assert outcome.error is not None and outcome.error.startswith("HTTP 400: tampered_ciphertext")
    assert [e.document_id for e in failed(store)] == [entry.document_id]


def test_a_recipient_behind_on_the_trust_list_is_retried(
    fed: Federation, store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock)
    body = b'{"reason": "unknown_sender", "detail": "KAZ-MVD-NODE is not known"}'
    transport = InMemoryTransport(
        handlers={
            fed.rus_trust.current.entries_for(fed.rus.node_id)[0].endpoint: lambda _: Response(
                403, body
            )
        }
    )
    [outcome] = worker(fed, store, transport, clock).run_once()
    assert outcome.state is DeliveryState.PENDING
    assert outcome.error == "HTTP 403: unknown_sender: KAZ-MVD-NODE is not known"


def test_a_receipt_that_does_not_verify_is_not_a_delivery(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    """A receipt for another document (here: the first one's, replayed) proves nothing."""
    queue(fed, store, clock, n=2)
    receiver = make_inbox(fed, other_store, clock)
    first, second = entries(store)
    first_receipt = receiver.accept(first.sealed).receipt
    endpoint = fed.rus_trust.current.entries_for(fed.rus.node_id)[0].endpoint
    transport = InMemoryTransport(handlers={endpoint: lambda _: Response(200, first_receipt)})
    outcomes = {o.document_id: o for o in worker(fed, store, transport, clock).run_once()}
    assert outcomes[first.document_id].state is DeliveryState.DELIVERED
    assert outcomes[second.document_id].state is DeliveryState.PENDING
    assert "acknowledges another document" in (outcomes[second.document_id].error or "")


def test_two_workers_never_send_the_same_attempt(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock, n=5)
    transport = inbox_handler(make_inbox(fed, other_store, clock))
    one, two = worker(fed, store, transport, clock), worker(fed, store, transport, clock)
    # The second worker finds the rows the first one listed already claimed.
    due = [e.document_id for e in entries(store)]
    for document_id in due[:2]:
        assert one._claim(str(document_id), 0, clock.now) is not None
        assert two._claim(str(document_id), 0, clock.now) is None
    assert len(two.run_once()) == 3  # the two claimed rows are leased to the first worker
    clock.advance(minutes=2)  # the first worker died: its lease ran out
    assert len(two.run_once()) == 2
    assert {e.state for e in entries(store)} == {DeliveryState.DELIVERED}
    assert count(other_store, outbox) == 0 and counts(other_store).inbox == 5


def test_a_concurrent_worker_has_several_sends_in_flight(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock, n=8)
    node = inbox_handler(make_inbox(fed, other_store, clock))
    [(endpoint, handle)] = node.handlers.items()
    barrier = threading.Barrier(4, timeout=10)

    def together(blob: bytes) -> Response:
        barrier.wait()  # four sends in flight at once, or BrokenBarrierError
        return handle(blob)

    node.handlers[endpoint] = together
    sender = worker(fed, store, node, clock)
    sender.concurrency = 4
    outcomes = sender.run_once()
    assert [o.state for o in outcomes] == [DeliveryState.DELIVERED] * 8
    assert counts(other_store).inbox == 8


def test_concurrent_workers_send_each_row_once(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    queue(fed, store, clock, n=24)
    transport = inbox_handler(make_inbox(fed, other_store, clock))
    workers = [
        DeliveryWorker(
            store,
            fed.kaz,
            lambda: fed.rus_trust,
            transport,
            clock=lambda: clock.now,
            rng=random.Random(seed),
            policy=POLICY,
            concurrency=4,
        )
        for seed in (1, 2)
    ]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert {e.state for e in entries(store)} == {DeliveryState.DELIVERED}
    assert len(transport.calls) == 24  # each row claimed, and sent, by one thread only
    assert counts(other_store).inbox == 24 and counts(other_store).rejections == 0


def test_concurrency_below_one_is_refused(fed: Federation, store: Engine) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DeliveryWorker(
            store,
            fed.kaz,
            lambda: fed.rus_trust,
            InMemoryTransport(),
            clock=lambda: NOW,
            rng=random.Random(1),
            concurrency=0,
        )


def test_the_worker_outlives_a_database_error(
    fed: Federation, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A pass that fails on the database is logged and tried again; the thread goes on."""
    broken = db.make_engine(f"sqlite:///{tmp_path / 'no-schema.sqlite3'}")  # no outbox table
    sender = worker(fed, broken, InMemoryTransport(), Clock())
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_forever, args=(stop, 0.01))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=10)
        broken.dispose()
    assert len(caplog.records) >= 2
    assert "delivery pass failed" in caplog.records[0].getMessage()
