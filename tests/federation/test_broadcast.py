"""The Secretariat node records a designation or notification and queues it to every Party
node on the trust list, in one transaction (Art. 4: "immediately informs each Party")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from ozara.core.parties import CompetentBody, Party
from ozara.core.rules import ProtocolError
from ozara.core.treaty import NotificationKind, TreatyNotification
from ozara.documents import DocumentType, open_sealed
from ozara.federation import NotSecretariatNode, broadcast_designation, party_nodes
from ozara.federation import broadcast as broadcast_module
from ozara.federation.broadcast import broadcast_treaty_notification
from ozara.federation.payloads import read_designation
from ozara.services.requests import AccessDenied
from ozara.store.tables import audit_log
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import DeliveryState, entries
from ozara.transport import enqueue as real_enqueue
from tests.federation.conftest import SECRETARY, WorldFactory

KNB = CompetentBody(
    "KAZ-KNB", Party.KAZAKHSTAN, "Комитет национальной безопасности Республики Казахстан",
    "National Security Committee of Kazakhstan", "Asia/Almaty", datetime(2026, 1, 1, tzinfo=UTC),
)  # fmt: skip


def test_a_designation_is_queued_to_every_party_node(make_world: WorldFactory) -> None:
    w = make_world("sec")
    with SqlUnitOfWork(w.sec.engine) as uow:
        result = broadcast_designation(
            uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    assert set(result.documents) == {w.kaz.node_id, w.rus.node_id}  # not to itself
    assert result.skipped == ()
    queued = entries(w.sec.engine)
    assert {(e.recipient, e.document_type, e.state) for e in queued} == {
        (w.kaz.node_id, "designation_notice", DeliveryState.PENDING),
        (w.rus.node_id, "designation_notice", DeliveryState.PENDING),
    }
    with SqlUnitOfWork(w.sec.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") == KNB
        actions = list(uow.connection.execute(select(audit_log.c.action)).scalars())
    assert "registry:designated" in actions
    assert "federation:broadcast:designation_notice" in actions
    # Each is signed by the Secretariat's node and opens only for its recipient.
    for entry in queued:
        keys = w.kaz.keys if entry.recipient == w.kaz.node_id else w.rus.keys
        document = open_sealed(entry.sealed, keys, w.sec.trust(), w.clock.now)
        assert document.sender == "CSTO-SEC"
        assert read_designation(document.body) == KNB


def test_a_failure_while_queueing_leaves_neither_record_nor_outbox_rows(
    make_world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world("sec")
    calls = 0

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return real_enqueue(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(broadcast_module, "enqueue", failing)
    with SqlUnitOfWork(w.sec.engine) as uow, pytest.raises(RuntimeError):
        broadcast_designation(
            uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    assert calls == 2  # the first Party node's row was written, then rolled back
    assert entries(w.sec.engine) == []
    with SqlUnitOfWork(w.sec.engine) as uow:
        assert uow.registry.registry().get("KAZ-KNB") is None
        assert uow.audit.for_object("KAZ-KNB") == []


def test_only_the_secretariat_broadcasts(make_world: WorldFactory) -> None:
    w = make_world("sec")
    with SqlUnitOfWork(w.sec.engine) as uow, pytest.raises(AccessDenied):
        broadcast_designation(
            uow, KNB, "kaz-mvd.head", w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(NotSecretariatNode):
        broadcast_designation(
            uow, KNB, SECRETARY, w.clock.now, keys=w.kaz.keys, trust=w.kaz.trust()
        )
    assert entries(w.sec.engine) == entries(w.kaz.engine) == []


def test_a_designation_recorded_as_given_is_not_broadcast_again(make_world: WorldFactory) -> None:
    w = make_world("sec")
    trust = w.sec.trust()
    with SqlUnitOfWork(w.sec.engine) as uow:
        broadcast_designation(uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=trust)
    with SqlUnitOfWork(w.sec.engine) as uow, pytest.raises(ProtocolError):
        broadcast_designation(uow, KNB, SECRETARY, w.clock.now, keys=w.sec.keys, trust=trust)
    assert len(entries(w.sec.engine)) == 2
    # A change of the designation (its end) is a new broadcast.
    ended = replace(KNB, designated_until=datetime(2026, 6, 1, tzinfo=UTC))
    with SqlUnitOfWork(w.sec.engine) as uow:
        result = broadcast_designation(
            uow, ended, SECRETARY, w.clock.now, keys=w.sec.keys, trust=trust
        )
    assert result.change == "changed"
    assert len(entries(w.sec.engine)) == 4


def test_a_withdrawal_notice_is_queued_to_every_party_node(make_world: WorldFactory) -> None:
    w = make_world("sec")
    notice = TreatyNotification(
        Party.TAJIKISTAN, NotificationKind.WITHDRAWAL, date(2026, 1, 30), date(2026, 8, 1)
    )
    with SqlUnitOfWork(w.sec.engine) as uow:
        result = broadcast_treaty_notification(
            uow, notice, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    assert {e.document_type for e in entries(w.sec.engine)} == {
        DocumentType.TREATY_NOTIFICATION.value
    }
    assert set(result.documents) == {w.kaz.node_id, w.rus.node_id}
    short = replace(notice, party=Party.ARMENIA, effective_on=date(2026, 3, 1))
    with SqlUnitOfWork(w.sec.engine) as uow, pytest.raises(ProtocolError, match=r"Art\. 18"):
        broadcast_treaty_notification(
            uow, short, SECRETARY, w.clock.now, keys=w.sec.keys, trust=w.sec.trust()
        )
    assert len(entries(w.sec.engine)) == 2


def test_a_party_node_without_a_valid_key_is_skipped(make_world: WorldFactory) -> None:
    w = make_world("sec")
    fed = w.fed
    expired = tuple(
        replace(e, valid_until=w.clock.now - timedelta(days=1), valid_from=e.valid_from)
        if e.node_id == w.kaz.node_id
        else e
        for e in fed.entries()
    )
    trust_list = fed.issue(4, expired)
    assert party_nodes(trust_list, w.clock.now) == ([w.rus.node_id], [w.kaz.node_id])
