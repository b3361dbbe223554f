"""A newer trust list from the Secretariat is verified against the anchor, adopted, and kept
in the database, so a restarted node holds it (and still knows whom it superseded)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from ozara.core.parties import CompetentBody, Party
from ozara.documents import (
    Document,
    DocumentRejected,
    DocumentType,
    RejectReason,
    TrustList,
    TrustListRejected,
    TrustState,
    issue_trust_list,
)
from ozara.federation import (
    broadcast_designation,
    broadcast_trust_list,
    load_trust_state,
    processing_errors,
    stored_trust_lists,
)
from ozara.federation.payloads import trust_list_body
from ozara.store.tables import trust_lists
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import Inbox, enqueue, entries
from tests.documents.federation import NOW
from tests.federation.conftest import SECRETARY, Node, World, WorldFactory
from tests.transport.conftest import share


def without_kaz(w: World, version: int = 4) -> TrustList:
    entries = tuple(e for e in w.fed.entries() if e.node_id != w.kaz.node_id)
    return w.fed.issue(version, entries)


def send_list(w: World, sender: Node, recipient: Node, trust_list: TrustList) -> Document:
    document = Document(
        id=uuid.uuid4(), type=DocumentType.TRUST_LIST, sender=sender.node_id,
        recipient=recipient.node_id, created_at=w.clock.now, body=trust_list_body(trust_list),
        trust_list_version=sender.trust().current.version,
    )  # fmt: skip
    with sender.engine.begin() as conn:
        enqueue(conn, document, keys=sender.keys, trust=sender.trust(), now=w.clock.now)
    w.deliver(sender)
    return document


def initial(w: World) -> TrustState:
    return TrustState(current=w.fed.trust_list)


def test_a_newer_list_is_adopted_and_survives_a_restart(make_world: WorldFactory) -> None:
    w = make_world("rus")
    anchor = w.fed.secretariat.signing.public
    v4 = without_kaz(w)
    with SqlUnitOfWork(w.sec.engine) as uow:
        sent = broadcast_trust_list(
            uow, v4, SECRETARY, w.clock.now, keys=w.sec.keys, holder=w.sec.trust
        )
    assert list(sent.documents) == [w.rus.node_id]  # sent under the new list
    assert w.sec.trust().current.version == 4
    w.deliver(w.sec)
    [done] = w.rus.process(w.clock)
    assert done.outcome == "applied"
    held = w.rus.trust()
    assert held.current == v4
    assert w.kaz.node_id in held.formerly_listed
    # A restarted node rebuilds the same state from its files' list and its database.
    for node in (w.rus, w.sec):
        restarted = load_trust_state(node.engine, initial(w), anchor)
        assert restarted.current.version == 4
        assert restarted.formerly_listed == held.formerly_listed
    # ... so the removed Kazakh node is refused as removed, not as unknown.
    restarted_inbox = Inbox(
        w.rus.engine, w.rus.keys, lambda: load_trust_state(w.rus.engine, initial(w), anchor),
        lambda: w.clock.now,
    )  # fmt: skip
    with w.kaz.engine.begin() as conn:  # the Kazakh node still holds version 3
        enqueue(conn, share(w.fed, id=uuid.uuid4()), keys=w.kaz.keys, trust=w.kaz.trust(), now=NOW)
    [entry] = entries(w.kaz.engine)
    with pytest.raises(DocumentRejected) as refused:
        restarted_inbox.accept(entry.sealed)
    assert refused.value.reason is RejectReason.SENDER_NOT_ON_TRUST_LIST


def test_a_list_not_signed_by_the_secretariat_key_is_refused(make_world: WorldFactory) -> None:
    w = make_world("rus")
    impostor = issue_trust_list(9, w.clock.now, w.sec.node_id, w.fed.entries(), w.fed.kaz.signing)
    document = send_list(w, w.sec, w.rus, impostor)
    [done] = w.rus.process(w.clock)
    assert done.outcome == "refused"
    assert "wrong_issuer" in processing_errors(w.rus.engine)[document.id]
    assert w.rus.trust().current.version == 3
    assert stored_trust_lists(w.rus.engine, w.fed.secretariat.signing.public) == []


def test_a_list_sent_by_a_party_node_is_refused(make_world: WorldFactory) -> None:
    w = make_world("rus")
    send_list(w, w.kaz, w.rus, without_kaz(w))  # genuinely signed, wrong sender
    [done] = w.rus.process(w.clock)
    assert done.outcome == "refused"
    assert w.rus.trust().current.version == 3


def test_a_list_not_newer_changes_nothing(make_world: WorldFactory) -> None:
    w = make_world("rus")
    send_list(w, w.sec, w.rus, w.fed.trust_list)
    [done] = w.rus.process(w.clock)
    assert done.outcome == "unchanged"
    assert stored_trust_lists(w.rus.engine, w.fed.secretariat.signing.public) == []


def test_a_tampered_stored_list_is_not_loaded(make_world: WorldFactory) -> None:
    w = make_world("rus")
    send_list(w, w.sec, w.rus, without_kaz(w))
    w.rus.process(w.clock)
    forged = without_kaz(w).to_signed_json()
    forged["version"] = 40
    with w.rus.engine.begin() as conn:
        conn.execute(update(trust_lists).values(signed=forged))
    with pytest.raises(TrustListRejected):
        load_trust_state(w.rus.engine, initial(w), w.fed.secretariat.signing.public)


def test_a_node_listed_again_receives_what_was_decided_while_it_was_off_the_list(
    make_world: WorldFactory,
) -> None:
    """Off the list, the Kazakh node misses a designation; listed again, it gets the whole
    registry and every treaty notification, applied idempotently (Art. 4, 16)."""
    w = make_world("kaz")
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_trust_list(
            uow, without_kaz(w), SECRETARY, w.clock.now, keys=w.sec.keys, holder=w.sec.trust
        )
    knb = CompetentBody("KAZ-KNB", Party.KAZAKHSTAN, "КНБ", "KNB", "Asia/Almaty", w.clock.now)
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_designation(
            uow, knb, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust.state
        )
    w.deliver(w.sec)
    w.process_all()
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") is None
        held_notifications = len(uow.registry.notifications())
    w.clock.advance(minutes=10)
    with SqlUnitOfWork(w.sec.engine) as uow:
        back = w.fed.issue(5, w.fed.entries())
        broadcast_trust_list(uow, back, SECRETARY, w.clock.now, keys=w.sec.keys, holder=w.sec.trust)
    queued = [e for e in entries(w.sec.engine) if e.recipient == w.kaz.node_id]
    with SqlUnitOfWork(w.sec.engine) as uow:
        bodies = len(uow.registry.registry().bodies)
    kinds = [e.document_type for e in queued]
    assert kinds.count("designation_notice") == bodies  # the whole registry, KNB included
    assert kinds.count("treaty_notification") == held_notifications
    assert kinds.count("trust_list") == 1
    # The Russian node stayed listed: it gets the new list only.
    assert [e.document_type for e in entries(w.sec.engine) if e.recipient == w.rus.node_id][
        -1:
    ] == ["trust_list"]
    w.deliver(w.sec)
    done = w.kaz.process(w.clock)
    assert {p.outcome for p in done} <= {"applied", "unchanged"}
    assert processing_errors(w.kaz.engine) == {}
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") == knb
    assert w.kaz.trust().current.version == 5
