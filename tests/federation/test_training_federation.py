"""Training events (Art. 5 para 4) between three Parties' nodes: the Kazakh node (KAZ-MVD)
hosts a seminar, the Russian (RUS-MVD, RUS-FSB) and Belarusian (BLR-MVD) nodes nominate.
The Russian node uses the ``engine`` database (SQLite and PostgreSQL); the others SQLite
files. The world (three nodes, one transport) is the one of the operations' tests.

The host's node orders the actions; every node ends at the same state and version.
"""

# ruff: noqa: F811 -- the tests take the fixture ``w`` imported below
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ozara.core.parties import Officer, Role
from ozara.core.rules import ProtocolError
from ozara.core.training import (
    EventState,
    NominationState,
    Nominee,
    TrainingAction,
    TrainingCommand,
    TrainingEvent,
)
from ozara.documents import DocumentType
from ozara.federation.requests import SignatoryKeyMissing, Unroutable
from ozara.federation.training import FederatedTrainingPeers
from ozara.federation.training_documents import action_body, announcement_body
from ozara.services import training as svc
from ozara.store.training import StoredEvent, TrainingRepository
from ozara.store.uow import SqlUnitOfWork
from tests.federation.conftest import Node
from tests.federation.test_operations_federation import (
    KAZ_HEAD_KEY,
    World,
    errors,
    forge,
    outcomes,
    refusal,
    w,  # noqa: F401 -- the fixture: three nodes on one transport
)
from tests.services.test_training_services import seminar

A = TrainingAction
KAZ, KAZ_HEAD, RUS, FSB, BLR = (
    "kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.officer", "rus-fsb.officer", "blr-mvd.officer",
)  # fmt: skip
PERSON = Nominee("Ivanov Ivan", "senior detective", "ivanov@example.ru")


def peers(node: Node, keys: bool = True) -> FederatedTrainingPeers:
    officer_keys = {KAZ_HEAD: KAZ_HEAD_KEY} if keys else {}
    return FederatedTrainingPeers(node.keys, node.trust, officer_keys)


def announce(w: World, keys: bool = True, **overrides: Any) -> str:
    with SqlUnitOfWork(w.kaz.engine) as uow:
        return svc.announce_event(uow, seminar(**overrides), KAZ_HEAD, w.clock.now,
                                  peers(w.kaz, keys))  # fmt: skip


def act(w: World, node: Node, eid: str, who: str, action: TrainingAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node.engine) as uow:
        command = TrainingCommand(action, **kw)
        return svc.act_on_event(uow, eid, command, who, w.clock.now, peers(node))


def held(node: Node, eid: str) -> StoredEvent:
    with SqlUnitOfWork(node.engine) as uow:
        return TrainingRepository(uow.connection).get(eid)


def same(w: World, eid: str, state: EventState, version: int) -> list[TrainingEvent]:
    """Every node holds the event at the same state and version, with the same nominations."""
    copies = [held(n, eid).event for n in w.nodes]
    for ev in copies:
        assert (ev.state, ev.version) == (state, version)
        assert [(n.id, n.body_id, n.state, n.nominee) for n in ev.nominations] == [
            (n.id, n.body_id, n.state, n.nominee) for n in copies[0].nominations
        ]
    return copies


def test_a_seminar_with_nominations_across_three_parties(w: World) -> None:
    eid = announce(w)
    assert outcomes(w.exchange()) == [("training_announcement", "applied")] * 2
    same(w, eid, EventState.ANNOUNCED, 1)
    for node in w.nodes:  # the head's signature is kept on every node
        signature = held(node, eid).announcement_signature
        assert signature is not None and signature["officer_id"] == KAZ_HEAD
    assert held(w.rus, eid).received_from == "KAZ-MVD-NODE"

    # A nomination made on the Russian node goes to the host's node, which applies it and
    # sends it to every invited Party's node.
    outcome = act(w, w.rus, eid, RUS, A.NOMINATE, nominee=PERSON)
    assert outcome.forwarded and held(w.rus, eid).event.version == 1
    assert outcomes(w.exchange()) == [
        ("training_action", "applied"), ("training_update", "applied"),
        ("training_update", "applied"),
    ]  # fmt: skip
    [host, rus, _] = same(w, eid, EventState.ANNOUNCED, 2)
    assert host.nominations[0].by == "rus-mvd.officer@RUS-MVD-NODE"
    assert rus.nominations[0].by == RUS  # its own officer, at home
    act(w, w.blr, eid, BLR, A.NOMINATE, nominee=Nominee("Kovalenko", "inspector", "k@mvd.by"))
    w.exchange()
    [host, *_] = same(w, eid, EventState.ANNOUNCED, 3)
    ru, by = host.nominations
    act(w, w.kaz, eid, KAZ, A.CONFIRM, nomination_id=ru.id)
    act(w, w.kaz, eid, KAZ, A.DECLINE, nomination_id=by.id, text="Not an investigator")
    act(w, w.kaz, eid, KAZ, A.CLOSE)
    assert outcomes(w.exchange()) == [("training_update", "applied")] * 6
    [_, rus, blr] = same(w, eid, EventState.CLOSED, 6)
    assert [n.state for n in blr.nominations] == [
        NominationState.CONFIRMED, NominationState.DECLINED,
    ]  # fmt: skip
    assert blr.nominations[1].reason == "Not an investigator"
    # A confirmed nomination is no longer withdrawn; refused on the Russian node, unsent.
    with pytest.raises(ProtocolError) as exc:
        act(w, w.rus, eid, RUS, A.WITHDRAW, nomination_id=ru.id)
    assert [v.rule for v in exc.value.violations] == ["art5.training_nomination"]

    w.clock.advance(days=40)  # 2026-03-11: the seminar has begun
    act(w, w.kaz, eid, KAZ, A.HOLD, text="Held in Almaty")
    w.exchange()
    same(w, eid, EventState.HELD, 7)
    with SqlUnitOfWork(w.blr.engine) as uow:
        trail = [a["action"] for a in uow.audit.for_object(eid)]
    assert trail == [
        "training:announced", "training:nominated", "document:queued:training_action",
        "training:action_sent", "training:nominated", "training:nomination_confirmed",
        "training:nomination_declined", "training:closed", "training:held",
]  # fmt: skip
    assert w.exchange() == [] and errors(w) == {}


def test_the_host_orders_two_nominations_for_the_last_place(w: World) -> None:
    eid = announce(w, places={"RUS": 1, "BLR": 1})
    w.exchange()
    # Both Russian bodies nominate before either nomination reached the host: each passes
    # the check on the Russian node's copy; the host's node applies one, refuses the other.
    act(w, w.rus, eid, RUS, A.NOMINATE, nominee=PERSON)
    act(w, w.rus, eid, FSB, A.NOMINATE, nominee=Nominee("Petrov", "analyst", "p@fsb.ru"))
    done = w.exchange()
    assert sorted(o for t, o in outcomes(done) if t == "training_action") == [
        "applied", "refused",
    ]  # fmt: skip
    [host, *_] = same(w, eid, EventState.ANNOUNCED, 2)
    assert len(host.nominations) == 1
    [reason] = errors(w)["KAZ-MVD-NODE"].values()
    assert "Art. 5 para 4" in reason and "place" in reason


def test_a_nomination_crossing_the_close_is_refused_by_the_host(w: World) -> None:
    eid = announce(w)
    w.exchange()
    act(w, w.blr, eid, BLR, A.NOMINATE, nominee=PERSON)
    act(w, w.kaz, eid, KAZ, A.CLOSE)
    # The host's node processes its inbox after closing: the nomination arrives too late.
    assert ("training_action", "refused") in outcomes(w.exchange())
    same(w, eid, EventState.CLOSED, 2)
    [reason] = errors(w)["KAZ-MVD-NODE"].values()
    assert "Art. 5 para 4" in reason and "closed" in reason


def test_cancelling_is_signed_and_needs_the_heads_key(w: World) -> None:
    with pytest.raises(SignatoryKeyMissing):
        announce(w, keys=False)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert svc.list_events(uow, KAZ) == []
    eid = announce(w)
    w.exchange()
    act(w, w.kaz, eid, KAZ_HEAD, A.CANCEL, text="The venue is unavailable")
    assert outcomes(w.exchange()) == [("training_update", "applied")] * 2
    [_, rus, _] = same(w, eid, EventState.CANCELLED, 2)
    assert rus.closing_text == "The venue is unavailable"


def test_an_announcement_to_a_party_no_node_serves_is_not_made(w: World) -> None:
    with pytest.raises(Unroutable):
        announce(w, places={"RUS": 1, "ARM": 1})  # no node serves Armenia here
    with SqlUnitOfWork(w.kaz.engine) as uow:
        assert svc.list_events(uow, KAZ) == []


def test_a_node_acts_only_for_its_own_bodies(w: World) -> None:
    eid = announce(w)
    w.exchange()
    rus = Officer(RUS, "x", "RUS-MVD", frozenset({Role.OFFICER}))
    nominate = TrainingCommand(A.NOMINATE, nominee=PERSON, item_id="N1")
    # The Belarusian node nominates for the Russian body: refused by the host's node.
    body = action_body(eid, None, nominate, rus, "BLR-MVD-NODE", w.clock.now)
    assert "Art. 4" in refusal(w, forge(w, w.blr, w.kaz, DocumentType.TRAINING_ACTION, body), w.kaz)
    # The Belarusian node sends an update as if it hosted the event.
    body = action_body(eid, 1, nominate, rus, "RUS-MVD-NODE", w.clock.now)
    assert "Art. 4" in refusal(w, forge(w, w.blr, w.rus, DocumentType.TRAINING_UPDATE, body), w.rus)
    # A cancellation without the head's signature, even from the host's node.
    head = Officer(KAZ_HEAD, "x", "KAZ-MVD", frozenset({Role.SIGNATORY}))
    cancel = TrainingCommand(A.CANCEL, text="x")
    body = action_body(eid, 1, cancel, head, "KAZ-MVD-NODE", w.clock.now)
    reason = refusal(w, forge(w, w.kaz, w.rus, DocumentType.TRAINING_UPDATE, body), w.rus)
    assert "not signed" in reason
    # An announcement without the head's signature, from the host's own node.
    event = held(w.kaz, eid).event
    forged = announcement_body(event) | {"event_id": "EV-FORGED"}
    reason = refusal(w, forge(w, w.kaz, w.blr, DocumentType.TRAINING_ANNOUNCEMENT, forged), w.blr)
    assert "not signed" in reason
    # A body of a Party not invited, vouched for by its own node: the core refuses it.
    arm = TrainingCommand(A.NOMINATE, nominee=PERSON, item_id="N2")
    blr = Officer(BLR, "x", "BLR-MVD", frozenset({Role.OFFICER}))
    eid2 = announce(w, places={"RUS": 1})
    w.exchange()
    body = action_body(eid2, None, arm, blr, "BLR-MVD-NODE", w.clock.now)
    reason = refusal(w, forge(w, w.blr, w.kaz, DocumentType.TRAINING_ACTION, body), w.kaz)
    assert "Art. 5 para 4" in reason and "not invited" in reason
    same(w, eid, EventState.ANNOUNCED, 1)


def test_a_time_ahead_of_the_receivers_clock_is_refused(w: World) -> None:
    eid = announce(w)
    w.exchange()
    rus = Officer(RUS, "x", "RUS-MVD", frozenset({Role.OFFICER}))
    command = TrainingCommand(A.NOMINATE, nominee=PERSON, item_id="N1")
    body = action_body(eid, None, command, rus, "RUS-MVD-NODE", w.clock.now + timedelta(hours=2))
    reason = refusal(w, forge(w, w.rus, w.kaz, DocumentType.TRAINING_ACTION, body), w.kaz)
    assert "ahead of this node's clock" in reason
    same(w, eid, EventState.ANNOUNCED, 1)
