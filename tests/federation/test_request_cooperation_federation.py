"""Representatives, consultations and costs (Art. 8, 11, 12) between two nodes.

Each is an action on the request: both nodes hold it, and the receiving node replays it
through its own core, so a payload its rules forbid is refused there with the article.
"""

from __future__ import annotations

import uuid
from typing import Any

from ozara.core.cooperation import Cooperation, Status
from ozara.core.events import Side
from ozara.core.lifecycle import Action, State
from ozara.documents import Document, DocumentType
from ozara.federation import processing_errors
from ozara.federation.handover import handover_body
from ozara.services import request_cooperation as coop
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue
from tests.federation.conftest import Node, World, WorldFactory
from tests.federation.test_requests import act, assert_same, copy, exchange, peers, sent_request

IVANOV = coop.representative("A. Ivanov", "Senior investigator", "KAZ-MVD")
SEITOV = coop.representative("B. Seitov", "IT expert", "KAZ-MVD")


def who(w: World, node: Node, officer: str) -> coop.Who:
    return coop.Who(officer, w.clock.now, peers(w, node))


def executing(w: World) -> str:
    request_id = sent_request(w)
    for action in (Action.RECEIVE, Action.START_EXECUTION):
        w.clock.advance(hours=2)
        act(w, w.rus, request_id, action, "rus-mvd.officer")
    exchange(w)
    return request_id


def plain(co: Cooperation) -> list[Any]:
    """What both copies must agree on (officer ids differ: the remote one is qualified)."""
    return [
        [(p.number, p.status, p.agreed, p.took_part, p.representatives) for p in co.participations],
        [(c.number, c.bodies, c.held_on, c.subject, c.outcome) for c in co.consultations],
        [(c.number, c.side, c.status, c.shares) for c in co.costs],
    ]


def test_participation_is_asked_agreed_and_recorded_on_both_nodes(
    make_world: WorldFactory,
) -> None:
    w = make_world("rus")
    request_id = executing(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        coop.propose_participation(
            uow, request_id, who(w, w.kaz, "kaz-mvd.officer"), representatives=[IVANOV, SEITOV],
            date_from=w.clock.now.date(), date_to=w.clock.now.date(),
            actions=["Questioning of the provider's staff"],
        )  # fmt: skip
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.rus.engine) as uow:
        coop.answer_participation(
            uow, request_id, who(w, w.rus, "rus-mvd.head"), proposal=1, agreed=True,
            names=["A. Ivanov"], reasons="The expert's clearance is not confirmed",
        )  # fmt: skip
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.rus.engine) as uow:
        coop.record_participation(
            uow, request_id, who(w, w.rus, "rus-mvd.officer"), proposal=1, took_part=["A. Ivanov"]
        )
    exchange(w)
    kaz = assert_same(w, request_id, State.IN_EXECUTION)
    rus = copy(w.rus, request_id)
    assert plain(kaz.cooperation) == plain(rus.cooperation)
    (p,) = kaz.cooperation.participations
    assert (p.status, p.agreed, p.took_part) == (Status.AGREED, ("A. Ivanov",), ("A. Ivanov",))
    assert p.answered_by == "rus-mvd.head@RUS-MVD-NODE"
    assert processing_errors(w.kaz.engine) == processing_errors(w.rus.engine) == {}
    with SqlUnitOfWork(w.kaz.engine) as uow:
        names = [e.name for e in uow.events.for_request(request_id)]
    assert names[-3:] == ["request:participation_proposed", "request:participation_answered",
                          "request:participation_recorded"]  # fmt: skip


def test_consultations_and_costs_travel_both_ways(make_world: WorldFactory) -> None:
    w = make_world("kaz")
    request_id = executing(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.rus.engine) as uow:
        coop.record_consultation(
            uow, request_id, who(w, w.rus, "rus-mvd.officer"), bodies=["KAZ-MVD", "RUS-MVD"],
            persons=["P. Petrov"], held_on=w.clock.now.date(), subject="request",
            outcome="Item 2 narrowed to one address",
        )  # fmt: skip
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        coop.propose_costs(
            uow, request_id, who(w, w.kaz, "kaz-mvd.officer"),
            shares=[coop.share("requesting", "Expert examination", "900.00", "EUR")],
        )  # fmt: skip
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.rus.engine) as uow:
        coop.answer_costs(uow, request_id, who(w, w.rus, "rus-mvd.head"), proposal=1, accepted=True)
    exchange(w)
    kaz = assert_same(w, request_id, State.IN_EXECUTION)
    assert plain(kaz.cooperation) == plain(copy(w.rus, request_id).cooperation)
    agreement = kaz.cooperation.costs_in_force()
    assert agreement is not None and agreement.side is Side.REQUESTING
    assert kaz.cooperation.consultations[0].outcome == "Item 2 narrowed to one address"
    assert processing_errors(w.kaz.engine) == processing_errors(w.rus.engine) == {}


def test_a_record_of_a_representative_not_agreed_is_refused_on_receipt(
    make_world: WorldFactory,
) -> None:
    """A node that bypassed its core cannot make the other copy record a stranger."""
    w = make_world("rus")
    request_id = executing(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        coop.propose_participation(
            uow, request_id, who(w, w.kaz, "kaz-mvd.officer"), representatives=[IVANOV],
            date_from=w.clock.now.date(), date_to=w.clock.now.date(), actions=["Search"],
        )  # fmt: skip
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.rus.engine) as uow:
        done = coop.answer_participation(
            uow, request_id, who(w, w.rus, "rus-mvd.head"), proposal=1, agreed=True
        )
    exchange(w)
    w.clock.advance(hours=1)
    document = Document(
        id=uuid.uuid4(), type=DocumentType.PARTICIPATION_RECORD, sender=w.rus.node_id,
        recipient=w.kaz.node_id, created_at=w.clock.now,
        body={
            "request_id": request_id, "action": "record_participation",
            "version": done.version, "at": w.clock.now.isoformat().replace("+00:00", "Z"),
            "actor": {"id": "rus-mvd.officer", "body_id": "RUS-MVD", "roles": ["officer"]},
            "text": "", "partial": False, "target_body": None,
            "details": {"proposal": 1, "took_part": ["C. Stranger"]},
        },
        trust_list_version=w.fed.trust_list.version,
    )  # fmt: skip
    with SqlUnitOfWork(w.rus.engine) as uow:
        enqueue(uow.connection, document, keys=w.rus.keys, trust=w.rus.trust.state,
                now=w.clock.now)  # fmt: skip
        uow.commit()
    exchange(w)
    error = processing_errors(w.kaz.engine)[document.id]
    assert "ProtocolError" in error and "Art. 8" in error and "C. Stranger" in error
    assert copy(w.kaz, request_id).cooperation.participations[0].took_part is None


def test_a_handover_carries_the_cooperation_steps(make_world: WorldFactory) -> None:
    """A forwarded request's history is replayed on the new holder's node (Art. 7 para 4):
    its cooperation steps travel with their payload."""
    w = make_world("rus")
    request_id = sent_request(w)
    w.clock.advance(hours=1)
    act(w, w.rus, request_id, Action.RECEIVE, "rus-mvd.officer")
    exchange(w)
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        coop.record_consultation(
            uow, request_id, who(w, w.kaz, "kaz-mvd.officer"), bodies=["KAZ-MVD"],
            persons=["A. Ivanov"], held_on=w.clock.now.date(), subject="request",
            outcome="Which body is competent: agreed to ask the FSB",
        )  # fmt: skip
    exchange(w)
    with SqlUnitOfWork(w.rus.engine) as uow:
        body = handover_body(uow, uow.requests.get(request_id))
    (step,) = [s for s in body["history"] if s["event"] == "request:consultation_recorded"]  # type: ignore[union-attr,index]
    assert step["details"]["subject"] == "request"  # type: ignore[index,call-overload]
    assert "number" not in step["details"]  # type: ignore[index,operator]
