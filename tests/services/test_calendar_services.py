"""The calendar of a body: request deadlines, operation and training dates, its export audited."""

from __future__ import annotations

from datetime import date, timedelta

import icalendar
import pytest
from sqlalchemy import Engine, select

from ozara.core.actions import Action
from ozara.core.calendar import Entry, EntryKind
from ozara.core.operations import OperationAction, OperationCommand
from ozara.core.training import TrainingAction
from ozara.services import calendar as svc
from ozara.services import operations as operations_svc
from ozara.services.requests import AccessDenied
from ozara.store import tables as t
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services import test_training_services as training
from tests.services.test_operation_services import propose
from tests.services.test_request_services import act, create


def kinds(node: Engine, clock: Clock, who: str) -> list[tuple[EntryKind, str]]:
    with SqlUnitOfWork(node) as uow:
        return [(e.kind, e.ref) for e in svc.entries(uow, who, clock.now)]


def test_an_urgent_request_shows_its_72_hours_to_the_requesting_body_only_while_open(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock, urgent=True, urgent_grounds="An attack is being prepared")
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND_URGENT)
    assert kinds(node, clock, "kaz-mvd.officer") == [(EntryKind.URGENT_CONFIRMATION, rid)]
    # The requested body sees it too (it waits for the written confirmation) ...
    assert kinds(node, clock, "rus-mvd.officer") == [(EntryKind.URGENT_CONFIRMATION, rid)]
    # ... and a body with no part in the request does not.
    assert kinds(node, clock, "blr-mvd.officer") == []
    act(node, clock, rid, "kaz-mvd.head", Action.CONFIRM)
    assert (EntryKind.URGENT_CONFIRMATION, rid) not in kinds(node, clock, "kaz-mvd.officer")


def test_execution_is_due_30_days_after_receipt_and_overdue_after(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND)
    act(node, clock, rid, "rus-mvd.liaison", Action.RECEIVE)
    assert (EntryKind.EXECUTION, rid) in kinds(node, clock, "rus-mvd.officer")
    assert (EntryKind.EXECUTION, rid) in kinds(node, clock, "kaz-mvd.officer")
    clock.advance(days=32)
    with SqlUnitOfWork(node) as uow:
        found = svc.entries(uow, "rus-mvd.officer", clock.now)
    (entry,) = [e for e in found if e.kind is EntryKind.EXECUTION]
    assert entry.is_overdue(clock.now) and entry.body_id == "RUS-MVD"
    assert entry.path == f"/requests/{rid}"
    overdue = [e.is_overdue(clock.now) for e in found]
    assert overdue == sorted(overdue, reverse=True)  # overdue first


def test_beyond_the_horizon_is_not_shown(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND)
    act(node, clock, rid, "rus-mvd.liaison", Action.RECEIVE)
    with SqlUnitOfWork(node) as uow:
        assert svc.entries(uow, "rus-mvd.officer", clock.now, horizon=timedelta(hours=1)) == []


def test_operation_period_and_tasks_for_the_lead_and_the_assigned_body_only(
    node: Engine, clock: Clock
) -> None:
    oid = propose(node, clock)
    assert kinds(node, clock, "kaz-mvd.officer") == [(EntryKind.OPERATION_PERIOD, oid)]
    with SqlUnitOfWork(node) as uow:
        operations_svc.act_on_operation(
            uow, oid, OperationCommand(OperationAction.ACCEPT), "rus-mvd.head", clock.now
        )
    with SqlUnitOfWork(node) as uow:
        operations_svc.act_on_operation(
            uow, oid,
            OperationCommand(
                OperationAction.ASSIGN_TASK, text="Trace the hosting of the phishing pages",
                body_id="RUS-MVD", due=date(2026, 2, 20),
            ),
            "kaz-mvd.officer", clock.now,
        )  # fmt: skip
    rus = kinds(node, clock, "rus-mvd.officer")
    assert (EntryKind.OPERATION_PERIOD, oid) in rus
    task_refs = [ref for kind, ref in rus if kind is EntryKind.OPERATION_TASK]
    assert len(task_refs) == 1 and task_refs[0].startswith(f"{oid}/")
    assert task_refs[0] in [ref for _, ref in kinds(node, clock, "kaz-mvd.officer")]
    # Invited but not assigned: the period, not the task.
    assert kinds(node, clock, "blr-mvd.officer") == [(EntryKind.OPERATION_PERIOD, oid)]
    # Not invited at all: nothing.
    assert kinds(node, clock, "arm-police.officer") == []


def test_the_export_is_audited_and_carries_no_task_text(node: Engine, clock: Clock) -> None:
    oid = propose(node, clock)
    with SqlUnitOfWork(node) as uow:
        operations_svc.act_on_operation(
            uow, oid, OperationCommand(OperationAction.ACCEPT), "rus-mvd.head", clock.now
        )
    with SqlUnitOfWork(node) as uow:
        operations_svc.act_on_operation(
            uow, oid,
            OperationCommand(
                OperationAction.ASSIGN_TASK, text="Watch the wallet bc1qsecret",
                body_id="KAZ-MVD", due=date(2026, 2, 3),
            ),
            "kaz-mvd.officer", clock.now,
        )  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        text = svc.export_ical(uow, "kaz-mvd.officer", clock.now, lang="en")
    assert "bc1qsecret" not in text and "Phishnet" not in text
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 2
    with node.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.actor_id, t.audit_log.c.action).where(
                t.audit_log.c.action == "calendar:exported"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("kaz-mvd.officer", "calendar:exported")]


def test_an_officer_of_no_body_has_no_calendar(node: Engine, clock: Clock) -> None:
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied, match="no competent body"):
        svc.entries(uow, "auditor", clock.now)


def test_training_events_for_the_host_and_the_invited_and_their_nomination_deadline(
    node: Engine, clock: Clock
) -> None:
    eid = training.announce(node, clock)  # RUS 2 places, BLR 1; 2026-03-10..12, by 02-20

    def found(who: str) -> dict[EntryKind, Entry]:
        with SqlUnitOfWork(node) as uow:
            return {e.kind: e for e in svc.entries(uow, who, clock.now) if e.ref == eid}

    host = found("kaz-mvd.officer")
    assert set(host) == {EntryKind.TRAINING_EVENT}  # the host does not nominate
    event = host[EntryKind.TRAINING_EVENT]
    assert (event.day, event.end, event.body_id) == (date(2026, 3, 10), date(2026, 3, 12),
                                                     "KAZ-MVD")  # fmt: skip
    assert event.path == f"/training/{eid}" and event.detail == training.seminar()["title"]
    rus = found("rus-fsb.officer")  # every body of an invited Party
    assert set(rus) == {EntryKind.TRAINING_EVENT, EntryKind.NOMINATION_DEADLINE}
    deadline = rus[EntryKind.NOMINATION_DEADLINE]
    assert (deadline.day, deadline.body_id, deadline.done) == (date(2026, 2, 20), "RUS-FSB",
                                                               False)  # fmt: skip
    assert found("kgz-mvd.officer") == {}  # Kyrgyzstan has no places
    # Russia's places all nominated: nothing left to do by the deadline.
    training.nominate(node, clock, eid, training.RUS, "Ivanov")
    training.nominate(node, clock, eid, training.FSB, "Petrov")
    assert found("rus-mvd.officer")[EntryKind.NOMINATION_DEADLINE].done
    assert not found("blr-mvd.officer")[EntryKind.NOMINATION_DEADLINE].done
    # Closed for nominations: the deadline goes, the event stays; cancelled: both go.
    training.act(node, clock, eid, training.KAZ, TrainingAction.CLOSE)
    assert set(found("blr-mvd.officer")) == {EntryKind.TRAINING_EVENT}
    training.act(node, clock, eid, training.KAZ_HEAD, TrainingAction.CANCEL, text="No hall")
    assert found("blr-mvd.officer") == {} and found("kaz-mvd.officer") == {}
