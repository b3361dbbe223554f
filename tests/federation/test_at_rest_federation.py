"""Encryption at rest across two nodes (issue 7): with a keyring on each node, a request goes
out and comes in with its content, the kept outbox document and the received envelope
stored as ciphertext, and a document queued before a new trust list is still resealed from
its encrypted copy. The keyrings rotate over what the exchange left, and everything reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select

from ozara.core.lifecycle import Action, State
from ozara.documents import TrustState
from ozara.store import at_rest
from ozara.store.at_rest_rotation import ENCRYPTED, keys_in_use, reencrypt
from ozara.store.tables import inbox, outbox, requests
from ozara.transport import outbox as queue
from ozara.transport.inbox import stored_document
from tests.federation.conftest import World, WorldFactory
from tests.federation.test_requests import act, copy, create

PURPOSE = "Identify the holder of an account used in a phishing campaign"


@pytest.fixture
def world(make_world: WorldFactory) -> Iterator[World]:
    w = make_world("rus")
    for node in (w.sec, w.kaz, w.rus):
        at_rest.attach(node.engine, at_rest.Keyring.generate())
    yield w
    for node in (w.sec, w.kaz, w.rus):
        at_rest.attach(node.engine, None)


def column(engine: Engine, table: Table, name: str) -> list[Any]:
    with engine.connect() as conn:
        return [v for v in conn.execute(select(table.c[name])).scalars() if v is not None]


def test_a_request_travels_with_everything_it_leaves_encrypted(world: World) -> None:
    w = world
    request_id = create(w)
    act(w, w.kaz, request_id, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, request_id, Action.SEND, "kaz-mvd.officer")
    (queued,) = queue.entries(w.kaz.engine)
    newer = TrustState(current=w.fed.issue(4, w.fed.entries()))
    w.rus.trust.adopt(newer)
    w.kaz.worker.run_once()  # refused: sealed under list 3
    w.kaz.trust.adopt(newer)
    w.clock.advance(minutes=5)
    w.kaz.worker.run_once()  # resealed from the encrypted copy it kept
    delivered = queue.get(w.kaz.engine, queued.document_id)
    assert delivered is not None and delivered.state is queue.DeliveryState.DELIVERED
    assert delivered.sealed != queued.sealed
    w.process_all()
    assert copy(w.rus, request_id).state is State.SENT
    assert copy(w.rus, request_id).content.purpose == PURPOSE

    for node, table, name in (
        (w.kaz, requests, "content"),
        (w.rus, requests, "content"),
        (w.kaz, outbox, "document"),
        (w.rus, inbox, "document"),
    ):
        values = column(node.engine, table, name)
        assert values and all(at_rest.is_sealed_json(v) for v in values), (node, table.name)
        assert all(PURPOSE not in str(v) for v in values)
    with w.rus.engine.connect() as conn:
        row = conn.execute(select(inbox.c.document_id, inbox.c.document)).first()
        assert row is not None
        envelope = stored_document(conn, row.document_id, row.document)
        assert envelope["id"] == row.document_id
        with pytest.raises(at_rest.AtRestError, match="altered or moved"):
            stored_document(conn, "another-document", row.document)

    for node in (w.kaz, w.rus):
        ring = at_rest.keyring_of_engine(node.engine)
        assert ring is not None
        rotated = ring.rotated()
        at_rest.attach(node.engine, rotated)
        done = reencrypt(node.engine)
        assert set(done) == {f"{c.table.name}.{c.column}" for c in ENCRYPTED}
        assert sum(done.values()) == sum(keys_in_use(node.engine).values())
        at_rest.attach(node.engine, rotated.without(ring.active))
        assert set(keys_in_use(node.engine)) == {rotated.active}
    assert copy(w.kaz, request_id).content.purpose == PURPOSE
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    w.deliver(w.rus)
    w.process_all()
    assert copy(w.kaz, request_id).state is State.RECEIVED


def test_encryption_turned_on_over_an_exchange_in_clear_loses_nothing(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    request_id = create(w)
    act(w, w.kaz, request_id, Action.SIGN, "kaz-mvd.head")
    act(w, w.kaz, request_id, Action.SEND, "kaz-mvd.officer")
    w.deliver(w.kaz)
    w.process_all()  # all in clear: no keyring yet
    assert not any(at_rest.is_sealed_json(v) for v in column(w.rus.engine, inbox, "document"))
    try:
        for node in (w.kaz, w.rus):
            ring = at_rest.Keyring.generate()
            at_rest.attach(node.engine, ring)
            done = reencrypt(node.engine)
            assert done["requests.content"] == 1
            assert done["outbox.document" if node is w.kaz else "inbox.document"] >= 1
            rotated = ring.rotated()
            at_rest.attach(node.engine, rotated)
            reencrypt(node.engine)
            at_rest.attach(node.engine, rotated.without(ring.active))
            assert set(keys_in_use(node.engine)) == {rotated.active}
        (kept,) = column(w.kaz.engine, outbox, "document")
        with w.kaz.engine.connect() as conn:
            assert at_rest.unseal_json(conn, kept, queue.outbox_place(queued_id(w)))["body"]
            with pytest.raises(at_rest.AtRestError, match="altered or moved"):
                at_rest.unseal_json(conn, kept, queue.outbox_place("another-document"))
        act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
        w.deliver(w.rus)
        w.process_all()
        assert copy(w.kaz, request_id).state is State.RECEIVED
        assert copy(w.rus, request_id).content.purpose == PURPOSE
    finally:
        for node in (w.kaz, w.rus):
            at_rest.attach(node.engine, None)


def queued_id(w: World) -> str:
    (entry,) = queue.entries(w.kaz.engine)
    return str(entry.document_id)
