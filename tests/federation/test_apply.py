"""Party nodes apply what the Secretariat broadcasts, and only what it broadcasts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ozara.core.parties import CompetentBody, Party
from ozara.core.treaty import NotificationKind, TreatyNotification
from ozara.documents import Document, DocumentType
from ozara.federation import broadcast_designation, processing_errors
from ozara.federation.broadcast import broadcast_treaty_notification
from ozara.federation.payloads import designation_body
from ozara.services import registry as reg
from ozara.services.requests import validate_document
from ozara.store.tables import audit_log, inbox
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import DeliveryState, enqueue, entries
from tests.federation.conftest import SECRETARY, Node, World, WorldFactory
from tests.federation.test_broadcast import KNB
from tests.services.test_request_services import document as request_document


def designate(w: World, body: CompetentBody = KNB) -> None:
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_designation(
            uow, body, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )


def request_to_knb_problems(node: Node, w: World) -> list[str]:
    doc = request_document(requested_body="KAZ-KNB", requesting_body="RUS-MVD")
    with SqlUnitOfWork(node.engine) as uow:
        try:
            validate_document(uow, doc, w.clock.now)
        except Exception as exc:  # the test reports what was refused
            return [str(exc)]
    return []


def test_a_designation_reaches_both_party_nodes_and_is_routable_at_once(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    assert request_to_knb_problems(w.rus, w)  # unknown body before the broadcast
    designate(w)
    w.deliver(w.sec)
    assert {e.state for e in entries(w.sec.engine)} == {DeliveryState.DELIVERED}
    assert request_to_knb_problems(w.rus, w)  # received, not yet applied
    done = w.process_all()
    for node in (w.kaz, w.rus):
        assert [(p.type, p.outcome) for p in done[node.node_id]] == [
            (DocumentType.DESIGNATION_NOTICE, "applied")
        ]
        with SqlUnitOfWork(node.engine) as uow:
            assert uow.registry.registry().get("KAZ-KNB") == KNB
            audit = uow.audit.for_object("KAZ-KNB")
        assert [a["action"] for a in audit] == ["registry:designated"]
        assert audit[0]["actor_id"] == "CSTO-SEC"
        # Applied from another node's document: the audit entry says which node sent it.
        assert audit[0]["details"]["origin"] == {"channel": "node", "address": w.sec.node_id}
    assert request_to_knb_problems(w.rus, w) == []
    with w.rus.engine.connect() as conn:
        row = conn.execute(select(inbox.c.processed_at, inbox.c.processing_error)).one()
    assert row.processed_at == w.clock.now
    assert row.processing_error is None
    # Processing again finds nothing to do.
    assert w.rus.process(w.clock) == []


def forged(w: World, sender: Node, recipient: Node, doc_type: DocumentType) -> Document:
    """A document of ``doc_type`` genuinely sealed by a Party node (not the Secretariat)."""
    body = designation_body(KNB) if doc_type is DocumentType.DESIGNATION_NOTICE else {}
    document = Document(
        id=uuid.uuid4(), type=doc_type, sender=sender.node_id, recipient=recipient.node_id,
        created_at=w.clock.now, body=body, trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with sender.engine.begin() as conn:
        enqueue(conn, document, keys=sender.keys, trust=sender.trust(), now=w.clock.now)
    return document


def test_a_designation_from_a_party_node_is_refused_and_nothing_applied(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    document = forged(w, w.kaz, w.rus, DocumentType.DESIGNATION_NOTICE)
    w.deliver(w.kaz)  # the transport accepts it: the Kazakh node's key is genuine
    [done] = w.rus.process(w.clock)
    assert done.outcome == "refused"
    assert "only the Secretariat's node" in done.detail
    errors = processing_errors(w.rus.engine)
    assert list(errors) == [document.id]
    assert "CSTO-SEC" in errors[document.id]
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") is None
        assert uow.audit.for_object("KAZ-KNB") == []
        [refusal] = uow.audit.for_object(str(document.id))
    assert refusal["action"] == "inbox:refused"
    assert refusal["actor_id"] == w.kaz.node_id
    assert request_to_knb_problems(w.rus, w)
    assert w.rus.process(w.clock) == []  # processed: not tried again


def test_applying_the_same_designation_twice_changes_nothing(make_world: WorldFactory) -> None:
    w = make_world("rus")
    designate(w)
    w.deliver(w.sec)
    w.process_all()
    # The same notice again under a new document id (a re-sent broadcast).
    again = Document(
        id=uuid.uuid4(), type=DocumentType.DESIGNATION_NOTICE, sender=w.sec.node_id,
        recipient=w.rus.node_id, created_at=w.clock.now, body=designation_body(KNB),
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with w.sec.engine.begin() as conn:
        enqueue(conn, again, keys=w.sec.keys, trust=w.sec.trust(), now=w.clock.now)
    w.deliver(w.sec)
    with SqlUnitOfWork(w.rus.engine) as uow:
        before = (uow.registry.registry(), uow.audit.for_object("KAZ-KNB"))
    [done] = w.rus.process(w.clock)
    assert done.outcome == "unchanged"
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert (uow.registry.registry(), uow.audit.for_object("KAZ-KNB")) == before
    # The very same document delivered again is dropped by the inbox (answered with the
    # original receipt), so it is never processed twice.
    [entry] = [e for e in entries(w.sec.engine) if e.document_id == again.id]
    assert w.rus.inbox.accept(entry.sealed).duplicate
    assert w.rus.process(w.clock) == []


def test_a_change_of_designation_ends_routing_to_the_body(make_world: WorldFactory) -> None:
    w = make_world("rus")
    designate(w)
    w.clock.advance(minutes=1)
    ended = replace(KNB, designated_until=datetime(2026, 3, 1, tzinfo=UTC))
    designate(w, ended)
    w.deliver(w.sec)
    done = w.rus.process(w.clock)
    assert [p.outcome for p in done] == ["applied", "applied"]  # in the order sent
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") == ended
        assert [a["action"] for a in uow.audit.for_object("KAZ-KNB")] == [
            "registry:designated",
            "registry:changed",
        ]
    assert request_to_knb_problems(w.rus, w) == []
    w.clock.now = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert "not designated" in request_to_knb_problems(w.rus, w)[0]


def test_a_notice_delivered_late_does_not_undo_a_newer_one(make_world: WorldFactory) -> None:
    w = make_world("rus")
    designate(w)
    w.clock.advance(minutes=1)
    ended = replace(KNB, designated_until=datetime(2026, 3, 1, tzinfo=UTC))
    designate(w, ended)
    to_rus = [e for e in entries(w.sec.engine) if e.recipient == w.rus.node_id]
    for entry in reversed(to_rus):  # the change arrives (and is applied) first
        w.rus.inbox.accept(entry.sealed)
        w.rus.process(w.clock)
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") == ended
    outcomes = [a["details"]["outcome"] for a in audit_rows(w.rus, "inbox:processed")]
    assert outcomes == ["applied", "unchanged"]


def audit_rows(node: Node, action: str) -> list[dict[str, Any]]:
    with node.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_a_withdrawal_unbinds_the_right_party_after_its_date(make_world: WorldFactory) -> None:
    w = make_world("rus")
    notice = TreatyNotification(
        Party.TAJIKISTAN, NotificationKind.WITHDRAWAL, date(2026, 1, 30), date(2026, 8, 1)
    )
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_treaty_notification(
            uow, notice, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    w.deliver(w.sec)
    done = w.process_all()
    assert all(p.outcome == "applied" for ps in done.values() for p in ps)
    for node in (w.kaz, w.rus):
        with SqlUnitOfWork(node.engine) as uow:
            report = reg.treaty_report(uow, date(2026, 8, 1))
            before = reg.treaty_report(uow, date(2026, 7, 31))
        bound = {p.party: p.bound for p in report.parties}
        assert bound[Party.TAJIKISTAN] is False
        assert all(bound[p] for p in Party if p is not Party.TAJIKISTAN)
        assert all(p.bound for p in before.parties)
        assert {p.party: p.withdrawal_on for p in report.parties}[Party.TAJIKISTAN] == date(
            2026, 8, 1
        )


def test_a_notification_from_a_party_node_is_refused(make_world: WorldFactory) -> None:
    w = make_world("rus")
    document = Document(
        id=uuid.uuid4(), type=DocumentType.TREATY_NOTIFICATION, sender=w.kaz.node_id,
        recipient=w.rus.node_id, created_at=w.clock.now,
        body={"party": "TJK", "kind": "withdrawal", "received_on": "2026-01-30",
              "effective_on": "2026-08-01"},
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with w.kaz.engine.begin() as conn:
        enqueue(conn, document, keys=w.kaz.keys, trust=w.kaz.trust(), now=w.clock.now)
    w.deliver(w.kaz)
    [done] = w.rus.process(w.clock)
    assert done.outcome == "refused"
    with SqlUnitOfWork(w.rus.engine) as uow:
        assert uow.registry.treaty().withdrawn_from == {}


def test_documents_without_a_handler_are_left_for_later(make_world: WorldFactory) -> None:
    w = make_world("rus")
    # Every type has a handler now but the transport's own receipt, never an inbox document.
    share = forged(w, w.kaz, w.rus, DocumentType.RECEIPT)
    designate(w)
    w.deliver()
    done = w.rus.process(w.clock)
    assert [p.type for p in done] == [DocumentType.DESIGNATION_NOTICE]
    with w.rus.engine.connect() as conn:
        pending = conn.execute(
            select(inbox.c.document_id).where(inbox.c.processed_at.is_(None))
        ).scalars()
        assert list(pending) == [str(share.id)]
        actions = set(conn.execute(select(audit_log.c.action)).scalars())
    assert "inbox:processed" in actions
