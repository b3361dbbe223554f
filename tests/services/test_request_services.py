"""Request use cases against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.lifecycle import Action, Command, State
from ozara.core.rules import ProtocolError
from ozara.services import requests as svc
from ozara.store import tables as t
from ozara.store.repository import AuditRepository, ConcurrentChange, NotFound
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "requesting_body": "KAZ-MVD",
        "requested_body": "RUS-MVD",
        "purpose": "Identify the holder of an account used in a phishing campaign",
        "justification": "Criminal case 2026-0117, phishing against Kazakh bank clients",
        "substance": "Funds were moved through an account registered in Russia",
        "assistance": {
            "items": [{"kind": "procedural_action", "description": "Obtain subscriber data"}],
            "text": "",
        },
        "execution_terms": "30 days under the Criminal Procedure Code of Kazakhstan",
        "crime_category": "c",
        "legal_qualification": "Criminal Code of Kazakhstan, Art. 205",
    }
    doc.update(overrides)
    return doc


def create(node: Engine, clock: Clock, who: str = "kaz-mvd.officer", **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.create_request(uow, document(**overrides), who, clock.now)


def act(node: Engine, clock: Clock, rid: str, who: str, action: Action, **kw: Any) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.act(uow, rid, Command(action, **kw), who, clock.now)


def count(node: Engine, table: Any) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_full_lifecycle_round_trips_through_the_database(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    assert rid == "KAZ-MVD-2026-00001"
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND)
    clock.advance(hours=5)
    act(node, clock, rid, "rus-mvd.liaison", Action.RECEIVE)
    act(node, clock, rid, "rus-mvd.officer", Action.FORWARD, target_body="RUS-FSB")
    act(node, clock, rid, "rus-fsb.officer", Action.START_EXECUTION)
    clock.advance(days=10)
    act(node, clock, rid, "rus-fsb.head", Action.POSTPONE, text="A domestic case is open")
    clock.advance(days=2, hours=1)
    act(node, clock, rid, "rus-fsb.officer", Action.RESUME)
    act(node, clock, rid, "rus-fsb.officer", Action.EXECUTE, text="Subscriber identified")
    act(node, clock, rid, "kaz-mvd.officer", Action.CLOSE)
    with SqlUnitOfWork(node) as uow:
        view = svc.show(uow, rid, "kaz-mvd.officer", clock.now)
    assert view.request.state is State.CLOSED
    assert view.request.requested_body == "RUS-FSB"
    names = [e.name for e in view.events]
    assert names == [
        "request:created", "request:signed", "request:sent", "request:received",
        "request:forwarded", "request:execution_started", "request:postponed",
        "request:resumed", "request:executed", "request:closed",
    ]  # fmt: skip
    assert all(e.ruleset == "csto-it-2014.1" and e.articles for e in view.events)
    execution = next(d for d in view.request.deadlines if d.kind.value == "execution")
    # Received 30 January 15:00 Moscow time: day 30 is 1 March; the postponement of
    # 2 days 1 hour adds 3 whole days, so the last day is 4 March, Moscow time.
    last_moment = execution.due_at.astimezone(ZoneInfo("Europe/Moscow")) - timedelta(microseconds=1)
    assert last_moment.date().isoformat() == "2026-03-04"
    assert view.allowed == []


def test_each_transition_writes_its_event_and_audit_row(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    events, audits = count(node, t.request_events), count(node, t.audit_log)
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    assert count(node, t.request_events) == events + 1
    assert count(node, t.audit_log) == audits + 1


def test_a_failure_inside_the_transaction_leaves_nothing_half_written(
    node: Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = create(node, clock)
    before = (count(node, t.request_events), count(node, t.audit_log))

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditRepository, "record", broken)
    with pytest.raises(RuntimeError):
        act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    monkeypatch.undo()
    with SqlUnitOfWork(node) as uow:
        assert uow.requests.get(rid).state is State.DRAFT
    assert (count(node, t.request_events), count(node, t.audit_log)) == before


def test_an_illegal_action_is_refused_with_its_article_and_stores_nothing(
    node: Engine, clock: Clock
) -> None:
    rid = create(node, clock)
    before = count(node, t.request_events)
    with pytest.raises(ProtocolError) as err:
        act(node, clock, rid, "kaz-mvd.officer", Action.SEND)
    assert err.value.violations[0].article == "Art. 6 para 3"
    with pytest.raises(ProtocolError) as err:
        act(node, clock, rid, "kaz-mvd.officer", Action.SIGN)
    assert err.value.violations[0].article == "Art. 6 para 5"
    assert count(node, t.request_events) == before


def test_an_invalid_document_is_refused_and_nothing_is_stored(node: Engine, clock: Clock) -> None:
    with pytest.raises(ProtocolError) as err:
        create(node, clock, purpose="", requested_body="XXX")
    fields = {v.field for v in err.value.violations}
    assert {"purpose"} <= fields
    with pytest.raises(ProtocolError) as err:
        create(node, clock, requested_body="XXX")
    assert err.value.violations[0].article == "Art. 4"
    assert count(node, t.requests) == 0


def test_an_officer_of_another_body_cannot_see_or_act(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    with SqlUnitOfWork(node) as uow, pytest.raises(svc.AccessDenied):
        svc.show(uow, rid, "blr-mvd.officer", clock.now)
    with pytest.raises(svc.AccessDenied):
        act(node, clock, rid, "blr-mvd.head", Action.WITHDRAW)
    with SqlUnitOfWork(node) as uow:
        assert svc.list_requests(uow, "blr-mvd.officer") == []
        assert [r["id"] for r in svc.list_requests(uow, "auditor")] == [rid]


def test_unknown_request_and_unknown_officer(node: Engine, clock: Clock) -> None:
    with pytest.raises(NotFound):
        act(node, clock, "NOPE", "kaz-mvd.head", Action.SIGN)
    rid = create(node, clock)
    with pytest.raises(NotFound):
        act(node, clock, rid, "nobody", Action.SIGN)


def test_a_stale_write_is_detected(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    with SqlUnitOfWork(node) as uow:
        stale = uow.requests.get(rid)
    act(node, clock, rid, "kaz-mvd.head", Action.SIGN)
    with SqlUnitOfWork(node) as uow, pytest.raises(ConcurrentChange):
        uow.requests.save(stale, stale, clock.now)


def test_overdue_urgent_confirmation_is_reported_in_local_time(node: Engine, clock: Clock) -> None:
    rid = create(node, clock, urgent=True, urgent_grounds="An attack is being prepared")
    act(node, clock, rid, "kaz-mvd.officer", Action.SEND_URGENT)
    with SqlUnitOfWork(node) as uow:
        assert [d.kind for d in svc.deadlines(uow, clock.now)] == ["urgent_confirmation"]
        assert not svc.deadlines(uow, clock.now)[0].overdue
    clock.advance(hours=72)
    with SqlUnitOfWork(node) as uow:
        (item,) = svc.deadlines(uow, clock.now, body_id="KAZ-MVD")
        assert item.overdue and item.body_id == "KAZ-MVD"
        assert item.local_due.utcoffset() is not None
        assert str(item.local_due.tzinfo) == "Asia/Almaty"
        assert svc.deadlines(uow, clock.now, body_id="RUS-MVD") == []
    act(node, clock, rid, "kaz-mvd.head", Action.CONFIRM)
    with SqlUnitOfWork(node) as uow:
        assert svc.deadlines(uow, clock.now) == []


def test_reference_numbers_count_per_body_and_year(node: Engine, clock: Clock) -> None:
    assert create(node, clock) == "KAZ-MVD-2026-00001"
    assert create(node, clock) == "KAZ-MVD-2026-00002"
    arm = create(node, clock, who="arm-police.officer", requesting_body="ARM-POLICE")
    assert arm == "ARM-POLICE-2026-00001"


def test_a_stored_request_is_read_back_without_revalidation(node: Engine, clock: Clock) -> None:
    """A rule tightened later must not make an old case unreadable."""
    rid = create(node, clock)
    with node.begin() as conn:
        content = conn.execute(select(t.requests.c.content).where(t.requests.c.id == rid))
        stored = dict(content.scalar_one())
        stored["purpose"] = ""  # would now be refused by Art. 6 para 2
        conn.execute(t.requests.update().where(t.requests.c.id == rid).values(content=stored))
    with SqlUnitOfWork(node) as uow:
        assert uow.requests.get(rid).content.purpose == ""


def test_deadlines_of_an_unknown_body_is_an_error_naming_art4(node: Engine, clock: Clock) -> None:
    with SqlUnitOfWork(node) as uow, pytest.raises(ProtocolError) as err:
        svc.deadlines(uow, clock.now, body_id="NOPE")
    assert (err.value.violations[0].field, err.value.violations[0].article) == ("body", "Art. 4")


def test_show_reads_then_audits_the_view(node: Engine, clock: Clock) -> None:
    rid = create(node, clock)
    with SqlUnitOfWork(node) as uow:
        view = svc.show(uow, rid, "kaz-mvd.officer", clock.now)
        assert [e.name for e in view.events] == ["request:created"]
    with SqlUnitOfWork(node) as uow:
        assert [a["action"] for a in uow.audit.for_object(rid)][-1] == "request:viewed"
