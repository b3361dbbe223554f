"""Joint research and the library of literature (Art. 5 para 6) between three Parties'
nodes (the world of tests/federation/test_operations_federation.py): the Kazakh node
(KAZ-MVD) leads and shares, the Russian (RUS-MVD, the ``engine`` database: SQLite and
PostgreSQL) and Belarusian (BLR-MVD) nodes take part and receive."""

from __future__ import annotations

from typing import Any

import pytest

from ozara.core.operations import Answer
from ozara.core.parties import Party
from ozara.core.research import ResearchAction, ResearchCommand, ResearchState
from ozara.core.rules import ProtocolError
from ozara.federation.literature import FederatedLiteraturePeers
from ozara.federation.requests import SignatoryKeyMissing
from ozara.federation.research import FederatedResearchPeers
from ozara.services import literature as lit
from ozara.services import research as svc
from ozara.store.research import ResearchRepository, StoredProject
from ozara.store.uow import SqlUnitOfWork
from tests.federation.conftest import Node
from tests.federation.test_operations_federation import (
    KAZ_HEAD_KEY,
    World,
    errors,
    outcomes,
    w,  # noqa: F401 -- the fixture
)
from tests.services.test_literature_services import PDF, meta
from tests.services.test_research_services import proposal

A = ResearchAction
KAZ, KAZ_HEAD, RUS, RUS_HEAD = "kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.officer", "rus-mvd.head"
BLR, BLR_HEAD = "blr-mvd.officer", "blr-mvd.head"


def peers(node: Node, keys: bool = True) -> FederatedResearchPeers:
    return FederatedResearchPeers(node.keys, node.trust, {KAZ_HEAD: KAZ_HEAD_KEY} if keys else {})


def act(world: World, node: Node, pid: str, who: str, action: ResearchAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node.engine) as uow:
        command = ResearchCommand(action, **kw)
        return svc.act_on_project(uow, pid, command, who, world.clock.now, peers(node))


def held(node: Node, pid: str) -> StoredProject:
    with SqlUnitOfWork(node.engine) as uow:
        return ResearchRepository(uow.connection).get(pid)


def versions(world: World, pid: str) -> list[tuple[ResearchState, int]]:
    return [(p.state, p.version) for p in (held(n, pid).project for n in world.nodes)]


def test_a_project_across_three_parties(w: World) -> None:  # noqa: F811
    with SqlUnitOfWork(w.kaz.engine) as uow:
        pid = svc.propose_project(uow, proposal(), KAZ, w.clock.now, peers(w.kaz))
    assert outcomes(w.exchange()) == [("research_project", "applied")] * 2
    assert held(w.rus, pid).received_from == "KAZ-MVD-NODE"

    # An invited body joins on its own node: checked there, applied by the lead's node.
    assert act(w, w.rus, pid, RUS_HEAD, A.JOIN).forwarded
    assert held(w.rus, pid).project.version == 1
    assert outcomes(w.exchange()) == [
        ("research_action", "applied"), ("research_project", "applied"),
        ("research_project", "applied"),
    ]  # fmt: skip
    assert versions(w, pid) == [(ResearchState.ACTIVE, 2)] * 3
    # The Protocol is checked on the acting node first: nothing leaves it.
    with pytest.raises(ProtocolError) as exc:
        act(w, w.blr, pid, BLR, A.POST_RESULT, text="x")
    assert [v.rule for v in exc.value.violations] == ["art5.research_participant"]
    act(w, w.blr, pid, BLR_HEAD, A.DECLINE, text="No researchers free")
    act(w, w.rus, pid, RUS, A.ADD_RESEARCHER, text="I. Petrov")
    act(w, w.rus, pid, RUS, A.POST_RESULT, text="Typology v1")
    w.exchange()
    assert versions(w, pid) == [(ResearchState.ACTIVE, 5)] * 3
    blr = held(w.blr, pid).project
    assert (
        blr.results[0].text == "Typology v1" and blr.results[0].by == "rus-mvd.officer@RUS-MVD-NODE"
    )
    assert [p.answer for p in blr.participants] == [Answer.ACCEPTED, Answer.DECLINED]

    # Completing: the final results travel signed by the lead's head.
    done = act(w, w.kaz, pid, KAZ_HEAD, A.COMPLETE, text="Typology agreed").project
    assert done.state is ResearchState.COMPLETED
    assert outcomes(w.exchange()) == [("research_project", "applied")] * 2
    assert versions(w, pid) == [(ResearchState.COMPLETED, 6)] * 3
    for node in w.nodes:
        signature = held(node, pid).final_signature
        assert signature is not None and signature["officer_id"] == KAZ_HEAD
    with pytest.raises(ProtocolError) as exc:
        act(w, w.rus, pid, RUS, A.POST_RESULT, text="late")
    assert [v.rule for v in exc.value.violations] == ["art5.research_state"]
    assert errors(w) == {}


def test_completing_without_the_heads_key_changes_nothing(w: World) -> None:  # noqa: F811
    with SqlUnitOfWork(w.kaz.engine) as uow:
        pid = svc.propose_project(uow, proposal(), KAZ, w.clock.now, peers(w.kaz))
    w.exchange()
    act(w, w.rus, pid, RUS_HEAD, A.JOIN)
    w.exchange()
    command = ResearchCommand(A.COMPLETE, text="Done")
    with SqlUnitOfWork(w.kaz.engine) as uow, pytest.raises(SignatoryKeyMissing):
        svc.act_on_project(uow, pid, command, KAZ_HEAD, w.clock.now, peers(w.kaz, keys=False))
    assert versions(w, pid) == [(ResearchState.ACTIVE, 2)] * 3


def lpeers(node: Node) -> FederatedLiteraturePeers:
    return FederatedLiteraturePeers(node.keys, node.trust)


def test_literature_shared_searched_and_withdrawn(w: World) -> None:  # noqa: F811
    with SqlUnitOfWork(w.kaz.engine) as uow:
        doc = lit.add_literature(uow, meta(), "kit.pdf", "application/pdf", PDF, KAZ, w.clock.now)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        lit.share_literature(uow, doc, [Party.RUSSIA], KAZ, w.clock.now, lpeers(w.kaz))
    assert outcomes(w.exchange()) == [("literature_share", "applied")]
    with SqlUnitOfWork(w.rus.engine) as uow:
        [hit] = lit.search_literature(uow, "фишинг Telegram", RUS, w.clock.now)
    with SqlUnitOfWork(w.rus.engine) as uow:
        view = lit.read_literature(uow, doc, RUS, w.clock.now, file=True)
    assert hit.id == doc and view.content == PDF and view.stored.holding.owner_body == "KAZ-MVD"
    with SqlUnitOfWork(w.blr.engine) as uow:  # not shared with Belarus: not sent there
        assert lit.search_literature(uow, "фишинг", BLR, w.clock.now) == []
    with SqlUnitOfWork(w.kaz.engine) as uow:
        lit.share_literature(uow, doc, [Party.BELARUS], KAZ, w.clock.now, lpeers(w.kaz))
    assert outcomes(w.exchange()) == [("literature_share", "applied")]
    w.clock.advance(hours=1)
    with SqlUnitOfWork(w.kaz.engine) as uow:
        lit.withdraw_literature(uow, doc, "superseded", KAZ, w.clock.now, lpeers(w.kaz))
    assert outcomes(w.exchange()) == [("literature_withdrawal", "applied")] * 2
    for node, who in ((w.rus, RUS), (w.blr, BLR)):
        with SqlUnitOfWork(node.engine) as uow, pytest.raises(ProtocolError) as exc:
            lit.read_literature(uow, doc, who, w.clock.now)
        assert [v.rule for v in exc.value.violations] == ["art5.literature_withdrawn"]
    with SqlUnitOfWork(w.rus.engine) as uow:
        trail = [a["action"] for a in uow.audit.for_object(doc)]
    assert trail == [
        "literature:received", "literature:read", "literature:withdrawn",
        "literature:read_denied",
    ]  # fmt: skip
    assert errors(w) == {}
