"""Two nodes on loopback over real HTTP: node A's worker sends 50 documents to node B's API
with the httpx transport; every document arrives exactly once and every receipt verifies."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import Engine, select, update

from ozara.api.node import create_app
from ozara.documents import TrustState
from ozara.store.tables import inbox, outbox
from ozara.transport import (
    DUPLICATE,
    DeliveryState,
    DeliveryWorker,
    HttpxTransport,
    Inbox,
    RetryPolicy,
    enqueue,
    entries,
    rejection_log,
)
from ozara.transport.receipts import verify_receipt
from tests.conftest import Clock
from tests.documents.federation import Federation
from tests.transport.conftest import free_port, serving, share

DOCUMENTS = 50


def test_fifty_documents_arrive_exactly_once_over_http(
    fed: Federation, store: Engine, other_store: Engine, clock: Clock
) -> None:
    """Node B (receiver) on the ``engine`` backend; node A (sender) on SQLite."""
    port = free_port()
    entries_v4 = tuple(
        replace(e, endpoint=f"http://127.0.0.1:{port}") if e.node_id == fed.rus.node_id else e
        for e in fed.entries()
    )
    trust = TrustState(current=fed.issue(4, entries_v4))
    node_b = Inbox(store, fed.rus, lambda: trust, lambda: clock.now)
    documents = [share(fed, n, trust_list_version=4) for n in range(DOCUMENTS)]
    with other_store.begin() as conn:
        for document in documents:
            enqueue(conn, document, keys=fed.kaz, trust=trust, now=clock.now)

    transport = HttpxTransport(timeout=10)
    node_a = DeliveryWorker(
        other_store,
        fed.kaz,
        lambda: trust,
        transport,
        clock=lambda: clock.now,
        rng=random.Random(1),
        policy=RetryPolicy(base=timedelta(seconds=1), max_attempts=5),
        batch=20,
    )
    try:
        with serving(create_app(node_b), port=port):
            rounds = 0
            while entries(other_store, DeliveryState.PENDING) and rounds < 10:
                node_a.run_once()
                clock.advance(minutes=1)
                rounds += 1
            # Ten receipts lost on the way back: those documents are sent again.
            lost = [str(d.id) for d in documents[:10]]
            with other_store.begin() as conn:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.document_id.in_(lost))
                    .values(state="pending", next_attempt_at=clock.now)
                )
            node_a.run_once()
    finally:
        transport.close()

    sent = entries(other_store)
    assert [e.state for e in sent] == [DeliveryState.DELIVERED] * DOCUMENTS
    with store.connect() as conn:
        received = conn.execute(select(inbox.c.document_id, inbox.c.content_sha256)).all()
    assert sorted(h for _, h in received) == sorted(e.content_sha256 for e in sent)
    assert len({h for _, h in received}) == DOCUMENTS  # exactly once, by content hash
    for entry in sent:
        assert entry.receipt is not None
        verify_receipt(
            entry.receipt,
            keys=fed.kaz,
            trust=trust,
            now=clock.now,
            recipient=fed.rus.node_id,
            document_id=entry.document_id,
            digest=entry.content_sha256,
        )
    assert [r.reason for r in rejection_log(store)] == [DUPLICATE] * 10
    print(
        f"two nodes over HTTP: {DOCUMENTS} sent, {len(received)} received, "
        f"{len({h for _, h in received})} distinct content hashes, {len(sent)} receipts verified"
    )
