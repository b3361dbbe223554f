"""Training events (Art. 5 para 4) through the use cases, against real databases (SQLite
and PostgreSQL). One node holds every body here; between nodes, see
tests/federation/test_training_federation.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ozara.core.parties import Party
from ozara.core.rules import ProtocolError
from ozara.core.training import (
    EventState,
    NominationState,
    Nominee,
    TrainingAction,
    TrainingCommand,
)
from ozara.services import training as svc
from ozara.services.requests import AccessDenied
from ozara.store import tables as t
from ozara.store.repository import NotFound
from ozara.store.training import TrainingRepository
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock

A = TrainingAction
KAZ, KAZ_HEAD = "kaz-mvd.officer", "kaz-mvd.head"
RUS, FSB, BLR, ARM = "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer", "arm-police.officer"


def seminar(**overrides: Any) -> dict[str, Any]:
    """A seminar in Almaty, a month after the tests' clock (2026-01-30)."""
    doc: dict[str, Any] = {
        "kind": "seminar",
        "title": "Investigating phishing with cryptocurrency cash-out",
        "topic": "Tracing wallets, preserving evidence, requests under Art. 6",
        "date_from": "2026-03-10",
        "date_to": "2026-03-12",
        "venues": ["Almaty, Academy of the MVD"],
        "language": "ru",
        "nomination_deadline": "2026-02-20",
        "places": {"RUS": 2, "BLR": 1},
    }
    doc.update(overrides)
    return doc


def person(name: str = "Ivanov Ivan") -> Nominee:
    return Nominee(name, "senior detective", "ivanov@example.ru")


def announce(node: Engine, clock: Clock, who: str = KAZ_HEAD, **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.announce_event(uow, seminar(**overrides), who, clock.now)


def act(node: Engine, clock: Clock, eid: str, who: str, action: TrainingAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.act_on_event(uow, eid, TrainingCommand(action, **kw), who, clock.now)


def nominate(node: Engine, clock: Clock, eid: str, who: str = RUS, name: str = "Ivanov") -> str:
    event = act(node, clock, eid, who, A.NOMINATE, nominee=person(name)).event
    return str(event.nominations[-1].id)


def denied(
    node: Engine, clock: Clock, eid: str, who: str, action: TrainingAction, **kw: Any
) -> str:
    before = version(node, eid)
    with pytest.raises(ProtocolError) as exc:
        act(node, clock, eid, who, action, **kw)
    assert version(node, eid) == before  # nothing changed
    [v] = exc.value.violations
    assert v.article in {"Art. 5 para 4", "Art. 4", "Art. 16"}
    return v.rule


def version(node: Engine, eid: str) -> int:
    with SqlUnitOfWork(node) as uow:
        return TrainingRepository(uow.connection).get(eid).event.version


def trail(node: Engine, eid: str) -> list[tuple[str, str]]:
    with SqlUnitOfWork(node) as uow:
        return [(a["action"], a["actor_id"]) for a in uow.audit.for_object(eid)]


def count(node: Engine, table: Any) -> int:
    with node.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_seminar_from_announcement_to_held(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    with SqlUnitOfWork(node) as uow:
        [row] = svc.list_events(uow, FSB)  # the other Russian body sees it too
        assert (row.id, row.state, row.host_body) == (eid, EventState.ANNOUNCED, "KAZ-MVD")
        assert svc.list_events(uow, ARM) == []
        view = svc.show_event(uow, eid, RUS, clock.now)
    assert view.allowed == [A.NOMINATE] and view.received_from is None
    clock.advance(days=1)
    n1 = nominate(node, clock, eid, RUS, "Ivanov")
    n2 = nominate(node, clock, eid, FSB, "Petrov")
    n3 = nominate(node, clock, eid, BLR, "Kovalenko")
    act(node, clock, eid, KAZ, A.CONFIRM, nomination_id=n1)
    act(node, clock, eid, FSB, A.WITHDRAW, nomination_id=n2)
    act(node, clock, eid, KAZ, A.DECLINE, nomination_id=n3, text="Not an investigator")
    act(node, clock, eid, KAZ, A.CLOSE)
    clock.advance(days=40)  # 2026-03-11: the seminar has begun
    held = act(node, clock, eid, KAZ, A.HOLD, text="Held: 1 participant from Russia").event
    assert (held.state, held.version) == (EventState.HELD, 9)
    assert [n.state for n in held.nominations] == [
        NominationState.CONFIRMED, NominationState.WITHDRAWN, NominationState.DECLINED,
    ]  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        assert TrainingRepository(uow.connection).get(eid).event == held
        assert [r.state for r in svc.list_events(uow, BLR, state=EventState.HELD)] == [
            EventState.HELD
        ]
    assert trail(node, eid) == [
        ("training:announced", KAZ_HEAD), ("training:viewed", RUS), ("training:nominated", RUS),
        ("training:nominated", FSB), ("training:nominated", BLR),
        ("training:nomination_confirmed", KAZ), ("training:nomination_withdrawn", FSB),
        ("training:nomination_declined", KAZ), ("training:closed", KAZ), ("training:held", KAZ),
    ]  # fmt: skip
    with SqlUnitOfWork(node) as uow:
        rows = uow.audit.for_object(eid)
    assert "Art. 5 para 4" in rows[2]["details"]["articles"]
    # The audit row names the nomination, never the nominee's personal data.
    assert "Ivanov" not in str(rows[2]["details"]) and rows[2]["details"]["item_id"] == n1


def test_an_announcement_with_faults_stores_nothing(node: Engine, clock: Clock) -> None:
    with pytest.raises(ProtocolError) as exc:
        announce(node, clock, date_from="2026-03-10", date_to="2026-03-01", kind="webinar")
    assert sorted(v.rule for v in exc.value.violations) == [
        "art5.training_dates", "art5.training_kind",
    ]  # fmt: skip
    with pytest.raises(ProtocolError) as exc:
        announce(node, clock, who=KAZ)  # staff, not the head or a deputy
    assert [v.rule for v in exc.value.violations] == ["lifecycle.role"]
    assert count(node, t.training_events) == count(node, t.training_parties) == 0


def test_a_body_not_invited_is_refused_and_does_not_see_it(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    assert denied(node, clock, eid, ARM, A.NOMINATE, nominee=person()) == ("art5.training_invited")
    assert denied(node, clock, eid, KAZ, A.NOMINATE, nominee=person()) == (
        "art5.training_own_party"
    )
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.show_event(uow, eid, ARM, clock.now)


def test_a_nomination_over_the_quota_is_refused(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    nominate(node, clock, eid, RUS, "Ivanov")
    nominate(node, clock, eid, FSB, "Petrov")  # Russia's two places: pending ones count
    assert denied(node, clock, eid, RUS, A.NOMINATE, nominee=person("Sidorov")) == (
        "art5.training_quota"
    )
    nominate(node, clock, eid, BLR, "Kovalenko")
    assert denied(node, clock, eid, BLR, A.NOMINATE, nominee=person("Ivanova")) == (
        "art5.training_quota"
    )


def test_after_the_deadline_or_once_closed(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    clock.advance(days=22)  # 2026-02-21: the deadline was 2026-02-20
    assert denied(node, clock, eid, RUS, A.NOMINATE, nominee=person()) == ("art5.training_deadline")
    act(node, clock, eid, KAZ, A.CLOSE)
    assert denied(node, clock, eid, RUS, A.NOMINATE, nominee=person()) == "art5.training_state"
    assert denied(node, clock, eid, KAZ, A.HOLD) == "art5.training_dates"  # not begun


@pytest.mark.parametrize("end", [A.HOLD, A.CANCEL])
def test_a_held_or_cancelled_event_is_refused(
    node: Engine, clock: Clock, end: TrainingAction
) -> None:
    eid = announce(node, clock)
    n1 = nominate(node, clock, eid)
    clock.advance(days=40)
    act(node, clock, eid, KAZ_HEAD, end, text="The end")
    assert denied(node, clock, eid, KAZ, A.CONFIRM, nomination_id=n1) == "art5.training_state"
    assert denied(node, clock, eid, RUS, A.WITHDRAW, nomination_id=n1) == "art5.training_state"
    assert denied(node, clock, eid, KAZ_HEAD, A.CANCEL, text="x") == "art5.training_state"


def test_only_the_host_decides_and_only_the_head_cancels(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    n1 = nominate(node, clock, eid)
    assert denied(node, clock, eid, BLR, A.CONFIRM, nomination_id=n1) == "art5.training_host"
    assert denied(node, clock, eid, KAZ, A.CANCEL, text="Budget") == "lifecycle.role"
    assert denied(node, clock, eid, FSB, A.WITHDRAW, nomination_id=n1) == (
        "art5.training_nomination"
    )


def test_officers_of_no_body_and_unknown_events(node: Engine, clock: Clock) -> None:
    eid = announce(node, clock)
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.list_events(uow, "auditor")
    with pytest.raises(AccessDenied):
        act(node, clock, eid, "csto.secretariat", A.CLOSE)
    with pytest.raises(NotFound):
        act(node, clock, "no-such-event", RUS, A.NOMINATE, nominee=person())
    with SqlUnitOfWork(node) as uow:
        stored = TrainingRepository(uow.connection).get(eid)
    assert stored.event.announcement.places == ((Party.BELARUS, 1), (Party.RUSSIA, 2))
