"""Coordinated operations (Art. 5 para 3) through the use cases, against real databases
(SQLite and PostgreSQL). One node holds every body here; between nodes, see
tests/federation/test_operations_federation.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.operations import (
    Answer,
    LinkKind,
    OperationAction,
    OperationCommand,
    OperationState,
)
from ozara.core.parties import Party
from ozara.core.rules import ProtocolError
from ozara.services import operations as svc
from ozara.services import records as records_svc
from ozara.services.requests import AccessDenied
from ozara.store import tables as t
from ozara.store.operations import OperationRepository
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.store.test_records_repository import record_document

A = OperationAction
KAZ, KAZ_HEAD = "kaz-mvd.officer", "kaz-mvd.head"
RUS, RUS_HEAD, BLR_HEAD, KGZ_HEAD = (
    "rus-mvd.officer",
    "rus-mvd.head",
    "blr-mvd.head",
    "kgz-mvd.head",
)
ARM = "arm-police.officer"


def plan(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Operation Phishnet",
        "goals": "Identify and stop the operators of phishing pages imitating banks",
        "period_from": "2026-02-01",
        "period_to": "2026-04-30",
        "categories": ["c", "a"],
        "invited": ["RUS-MVD", "BLR-MVD", "KGZ-MVD"],
    }
    doc.update(overrides)
    return doc


def propose(node: Engine, clock: Clock, who: str = KAZ, **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.propose_operation(uow, plan(**overrides), who, clock.now)


def act(node: Engine, clock: Clock, oid: str, who: str, action: OperationAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.act_on_operation(uow, oid, OperationCommand(action, **kw), who, clock.now)


def denied(
    node: Engine, clock: Clock, oid: str, who: str, action: OperationAction, **kw: Any
) -> list[str]:
    before = version(node, oid)
    with pytest.raises(ProtocolError) as exc:
        act(node, clock, oid, who, action, **kw)
    assert version(node, oid) == before  # nothing changed
    return [v.rule for v in exc.value.violations]


def version(node: Engine, oid: str) -> int:
    with SqlUnitOfWork(node) as uow:
        return OperationRepository(uow.connection).get(oid).operation.version


def actions(node: Engine, oid: str) -> list[tuple[str, str]]:
    with SqlUnitOfWork(node) as uow:
        return [(a["action"], a["actor_id"]) for a in uow.audit.for_object(oid)]


def count(node: Engine, table: Any) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def task(body: str = "RUS-MVD", due: date = date(2026, 3, 1)) -> dict[str, Any]:
    return {"text": "Trace the hosting of the phishing pages", "body_id": body, "due": due}


def started(node: Engine, clock: Clock) -> str:
    oid = propose(node, clock)
    act(node, clock, oid, RUS_HEAD, A.ACCEPT)
    act(node, clock, oid, BLR_HEAD, A.DECLINE, text="No capacity this quarter")
    return oid


def test_an_operation_from_proposal_to_signed_summary(node: Engine, clock: Clock) -> None:
    oid = propose(node, clock)
    with SqlUnitOfWork(node) as uow:
        [row] = svc.list_operations(uow, RUS)
        assert (row.id, row.state, row.lead_body) == (oid, OperationState.PROPOSED, "KAZ-MVD")
        assert svc.list_operations(uow, ARM) == []
        view = svc.show_operation(uow, oid, RUS_HEAD, clock.now)
    assert view.allowed == [A.ACCEPT, A.DECLINE] and view.received_from is None
    clock.advance(hours=2)
    act(node, clock, oid, RUS_HEAD, A.ACCEPT)
    act(node, clock, oid, BLR_HEAD, A.DECLINE, text="No capacity this quarter")
    outcome = act(node, clock, oid, KAZ, A.ASSIGN_TASK, **task())
    assert not outcome.forwarded
    [t1] = outcome.operation.tasks
    report = act(node, clock, oid, RUS, A.REPORT, text="Traced to AS64500", task_id=t1.id)
    assert report.operation.reports[0].task_id == t1.id
    act(node, clock, oid, RUS, A.COMPLETE_TASK, task_id=t1.id)
    with SqlUnitOfWork(node) as uow:
        rid = records_svc.create_record(uow, record_document(), KAZ, clock.now)
    act(node, clock, oid, KAZ, A.LINK, link_kind=LinkKind.RECORD, ref=rid)
    closed = act(node, clock, oid, KAZ_HEAD, A.CLOSE, text="Four servers seized").operation
    assert closed.state is OperationState.CLOSED and closed.version == 8
    assert closed.summary is not None and closed.summary.signed_by == KAZ_HEAD
    with SqlUnitOfWork(node) as uow:
        repo = OperationRepository(uow.connection)
        assert repo.get(oid).operation == closed
        assert repo.linked_to("record", rid) == [oid]
        assert [r.state for r in svc.list_operations(uow, RUS)] == [OperationState.CLOSED]
    assert actions(node, oid) == [
        ("operation:proposed", KAZ), ("operation:viewed", RUS_HEAD),
        ("operation:accepted", RUS_HEAD), ("operation:declined", BLR_HEAD),
        ("operation:task_assigned", KAZ), ("operation:reported", RUS),
        ("operation:task_done", RUS), ("operation:linked", KAZ), ("operation:closed", KAZ_HEAD),
    ]  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        closing = uow.audit.for_object(oid)[-1]
    assert "Art. 5 para 3" in closing["details"]["articles"]


def test_a_period_that_ends_before_it_starts_stores_nothing(node: Engine, clock: Clock) -> None:
    with pytest.raises(ProtocolError) as exc:
        propose(node, clock, period_from="2026-03-01", period_to="2026-02-01")
    assert [v.rule for v in exc.value.violations] == ["art5.operation_period"]
    assert count(node, t.operations) == count(node, t.operation_bodies) == 0


def test_a_body_not_invited_is_refused(node: Engine, clock: Clock) -> None:
    oid = started(node, clock)
    assert denied(node, clock, oid, "arm-police.head", A.ACCEPT) == ["art5.operation_invited"]
    assert denied(node, clock, oid, ARM, A.REPORT, text="x") == ["art5.operation_invited"]
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.show_operation(uow, oid, ARM, clock.now)


def test_a_task_for_a_body_that_has_not_accepted_is_refused(node: Engine, clock: Clock) -> None:
    oid = started(node, clock)
    for body in ("BLR-MVD", "KGZ-MVD"):  # declined; not answered yet
        assert denied(node, clock, oid, KAZ, A.ASSIGN_TASK, **task(body)) == [
            "art5.operation_participant"
        ]
    assert denied(node, clock, oid, KAZ, A.ASSIGN_TASK, **task(due=date(2026, 5, 1))) == [
        "art5.operation_period"
    ]


def test_closing_needs_a_summary_signed_by_the_head(node: Engine, clock: Clock) -> None:
    oid = started(node, clock)
    assert denied(node, clock, oid, KAZ_HEAD, A.CLOSE, text="") == ["art5.operation_summary"]
    assert denied(node, clock, oid, KAZ, A.CLOSE, text="Done") == ["art5.operation_signatory"]
    assert denied(node, clock, oid, RUS_HEAD, A.CLOSE, text="Done") == ["art5.operation_lead"]


@pytest.mark.parametrize("end", [A.CLOSE, A.CANCEL])
def test_a_closed_or_cancelled_operation_is_refused(
    node: Engine, clock: Clock, end: OperationAction
) -> None:
    oid = started(node, clock)
    act(node, clock, oid, KAZ_HEAD, end, text="The end")
    assert denied(node, clock, oid, RUS, A.REPORT, text="late") == ["art5.operation_state"]
    assert denied(node, clock, oid, KGZ_HEAD, A.ACCEPT) == ["art5.operation_state"]
    assert denied(node, clock, oid, KAZ_HEAD, A.CANCEL, text="x") == ["art5.operation_state"]


def test_links_are_to_the_bodys_own_requests_and_records(node: Engine, clock: Clock) -> None:
    oid = started(node, clock)
    with SqlUnitOfWork(node) as uow:
        rid = records_svc.create_record(uow, record_document(), KAZ, clock.now)
    link = {"link_kind": LinkKind.RECORD, "ref": rid}
    assert denied(node, clock, oid, RUS, A.LINK, **link) == ["art5.operation_link"]
    with SqlUnitOfWork(node) as uow:
        records_svc.share_record(uow, rid, [Party.RUSSIA], KAZ, clock.now)
    act(node, clock, oid, RUS, A.LINK, **link)
    missing = {"link_kind": LinkKind.REQUEST, "ref": "KAZ-MVD-2026-00001"}
    assert denied(node, clock, oid, RUS, A.LINK, **missing) == ["art5.operation_link"]
    blr = {"link_kind": LinkKind.RECORD, "ref": rid}
    assert denied(node, clock, oid, "blr-mvd.officer", A.LINK, **blr) == [
        "art5.operation_participant"
    ]


def test_officers_of_no_body_and_unknown_operations(node: Engine, clock: Clock) -> None:
    oid = started(node, clock)
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.list_operations(uow, "auditor")
    with pytest.raises(AccessDenied):
        act(node, clock, oid, "csto.secretariat", A.REPORT, text="x")
    with pytest.raises(NotFound):
        act(node, clock, "no-such-operation", RUS, A.REPORT, text="x")
    with SqlUnitOfWork(node) as uow:
        stored = OperationRepository(uow.connection).get(oid).operation
    assert [p.answer for p in stored.participants] == [
        Answer.ACCEPTED, Answer.DECLINED, Answer.INVITED,
    ]  # fmt: skip
