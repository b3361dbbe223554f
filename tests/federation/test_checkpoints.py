"""Audit checkpoints between nodes (issue 7): each peer keeps what a node signed, so a node
that rewrites its own history, checkpoints and all, is caught by its peers' copies."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select, text

from ozara.cli.serve import send_checkpoints_forever
from ozara.core.audit import Problem
from ozara.documents import Document, DocumentType
from ozara.federation.checkpoints import held_checkpoints, send_checkpoint
from ozara.store import tables as t
from ozara.store.audit import sign_checkpoint, verify_chain
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue
from tests.federation.conftest import Node, World, WorldFactory
from tests.store.test_audit_chain import forge as forge_entry
from tests.store.test_audit_chain import rewrite_from


def send(w: World, node: Node) -> dict[str, object]:
    with SqlUnitOfWork(node.engine) as uow:
        signed = send_checkpoint(uow, w.clock.now, keys=node.keys, trust=node.trust())
    w.deliver(node)
    return signed


def held_by(node: Node, of: str) -> list[dict[str, object]]:
    with SqlUnitOfWork(node.engine) as uow:
        return held_checkpoints(uow, of)


def process(w: World, node: Node) -> list[tuple[str, str]]:
    return [(p.outcome, p.detail) for p in node.process(w.clock)]


def forge(w: World, sender: Node, body: dict[str, object], to: Node) -> None:
    """A document from ``sender``, well sealed, carrying ``body`` as a checkpoint."""
    document = Document(
        id=uuid.uuid4(), type=DocumentType.AUDIT_CHECKPOINT, sender=sender.node_id,
        recipient=to.node_id, created_at=w.clock.now, body=body,
        trust_list_version=sender.trust().current.version,
    )  # fmt: skip
    with sender.engine.begin() as conn:
        enqueue(conn, document, keys=sender.keys, trust=sender.trust(), now=w.clock.now)
    w.deliver(sender)


def test_a_checkpoint_reaches_every_peer_and_is_kept(make_world: WorldFactory) -> None:
    w = make_world("rus")
    signed = send(w, w.kaz)
    for peer in (w.rus, w.sec):
        outcomes = process(w, peer)
        assert [o for o, _ in outcomes] == ["applied"]
        assert held_by(peer, w.kaz.node_id) == [signed]
    # Making it was itself audited, from the node's own chain.
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert [a["action"] for a in uow.audit.for_object(str(signed["last_id"]))] == [
            "audit:checkpoint"
        ]


def test_the_same_checkpoint_twice_changes_nothing(make_world: WorldFactory) -> None:
    w = make_world("rus")
    signed = send(w, w.kaz)
    process(w, w.rus)
    forge(w, w.kaz, signed, w.rus)
    assert [o for o, _ in process(w, w.rus)] == ["unchanged"]
    assert len(held_by(w.rus, w.kaz.node_id)) == 1


def test_a_second_history_for_the_same_entry_is_refused(make_world: WorldFactory) -> None:
    w = make_world("rus")
    signed = send(w, w.kaz)
    process(w, w.rus)
    other = sign_checkpoint(w.kaz.keys, int(str(signed["last_id"])), "f" * 64, w.clock.now)
    forge(w, w.kaz, other.to_json(), w.rus)
    [(outcome, detail)] = process(w, w.rus)
    assert outcome == "refused" and "rewritten" in detail
    assert held_by(w.rus, w.kaz.node_id) == [signed]


def test_a_checkpoint_of_another_nodes_log_or_key_is_refused(make_world: WorldFactory) -> None:
    w = make_world("rus")
    with SqlUnitOfWork(w.kaz.engine) as uow:
        head = uow.connection.execute(select(t.audit_head.c.last_id)).scalar_one()
    # Signed by the Secretariat's key, claiming to be about the Secretariat's log, sent by KAZ.
    theirs = sign_checkpoint(w.sec.keys, head, "a" * 64, w.clock.now).to_json()
    forge(w, w.kaz, theirs, w.rus)
    # Claiming to be KAZ's, but signed with another key.
    wrong_key = sign_checkpoint(w.sec.keys, head, "a" * 64, w.clock.now).to_json()
    wrong_key["node_id"] = w.kaz.node_id
    forge(w, w.kaz, wrong_key, w.rus)
    # Dated tomorrow.
    ahead = sign_checkpoint(w.kaz.keys, head, "a" * 64, w.clock.now + timedelta(days=1))
    forge(w, w.kaz, ahead.to_json(), w.rus)
    outcomes = process(w, w.rus)
    assert [o for o, _ in outcomes] == ["refused"] * 3
    details = " | ".join(d for _, d in outcomes)  # processing order is not sending order
    assert f"sent a checkpoint of {w.sec.node_id}'s log" in details
    assert "does not verify" in details
    assert "from the future" in details
    assert held_by(w.rus, w.kaz.node_id) == []


def test_a_full_rewrite_is_caught_by_the_peers_copies(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    send(w, w.kaz)
    process(w, w.rus)
    kaz = w.kaz.engine
    key = w.kaz.keys.signing.public
    # The forger holds the database: alters an early entry, recomputes every hash after it
    # and removes the node's own checkpoints. The node alone finds nothing wrong.
    forge_entry(kaz, 2, actor_id="someone.else")
    with kaz.begin() as conn:
        conn.execute(delete(t.audit_checkpoints))
    rewrite_from(kaz, 2)
    assert verify_chain(kaz, public_key=key).intact
    report = verify_chain(kaz, public_key=key, peer_checkpoints=held_by(w.rus, w.kaz.node_id))
    assert report.broken is not None
    assert report.broken.problem is Problem.REWRITTEN


def test_a_cut_off_end_is_caught_by_the_peers_copies(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    signed = send(w, w.kaz)
    process(w, w.rus)
    kaz = w.kaz.engine
    last = int(str(signed["last_id"]))
    with kaz.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.id >= last - 1))
        conn.execute(delete(t.audit_checkpoints))
        new_head = conn.execute(select(func.max(t.audit_log.c.id))).scalar_one()
        hash_ = conn.execute(
            select(t.audit_log.c.entry_hash).where(t.audit_log.c.id == new_head)
        ).scalar_one()
        conn.execute(text("UPDATE audit_head SET last_id = :i, last_hash = :h"),
                     {"i": new_head, "h": hash_})  # fmt: skip
    key = w.kaz.keys.signing.public
    assert verify_chain(kaz, public_key=key).intact
    report = verify_chain(kaz, public_key=key, peer_checkpoints=held_by(w.rus, w.kaz.node_id))
    assert report.broken is not None and report.broken.problem is Problem.REMOVED
    assert f"#{last}" in report.broken.note


def test_peers_checkpoints_need_the_nodes_key(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    send(w, w.kaz)
    process(w, w.rus)
    with pytest.raises(ValueError, match="public signing key"):
        verify_chain(w.kaz.engine, peer_checkpoints=held_by(w.rus, w.kaz.node_id))


def test_a_serving_node_sends_checkpoints_on_its_beat(make_world: WorldFactory) -> None:
    w = make_world("rus")
    stop = threading.Event()
    node = SimpleNamespace(keys=w.kaz.keys)
    beat = threading.Thread(
        target=send_checkpoints_forever, args=(w.kaz.engine, w.kaz.trust, node, stop),
        kwargs={"every": 0.05, "clock": lambda: w.clock.now},
    )  # fmt: skip
    beat.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with w.kaz.engine.connect() as conn:
                made = conn.execute(select(func.count()).select_from(t.audit_checkpoints))
                if made.scalar_one() >= 2:
                    break
            time.sleep(0.05)
    finally:
        stop.set()
        beat.join(timeout=10)
    w.deliver(w.kaz)
    assert len(held_by(w.sec, w.kaz.node_id)) == 0  # kept only once processed
    process(w, w.sec)
    assert len(held_by(w.sec, w.kaz.node_id)) >= 2
