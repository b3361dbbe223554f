"""Joint research projects (Art. 5 para 6) through the use cases, on SQLite and
PostgreSQL, one node holding every body; between nodes see
tests/federation/test_research_federation.py."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ozara.core.operations import Answer
from ozara.core.parties import Party
from ozara.core.research import ResearchAction, ResearchCommand, ResearchState
from ozara.core.rules import ProtocolError
from ozara.services import literature as lit
from ozara.services import research as svc
from ozara.services.requests import AccessDenied
from ozara.store.research import ResearchRepository
from ozara.store.uow import SqlUnitOfWork
from tests.conftest import Clock
from tests.services.test_literature_services import meta

A = ResearchAction
KAZ, KAZ_HEAD, RUS, RUS_HEAD = "kaz-mvd.officer", "kaz-mvd.head", "rus-mvd.officer", "rus-mvd.head"
BLR, BLR_HEAD, ARM_HEAD = "blr-mvd.officer", "blr-mvd.head", "arm-police.head"


def proposal(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": "Phishing kits sold on Telegram",
        "topic": "Who writes the kits, who sells them, how they are paid",
        "goals": "A shared typology and attribution methods",
        "period_from": "2026-02-01",
        "period_to": "2026-12-31",
        "invited": ["RUS-MVD", "BLR-MVD"],
        "researchers": ["A. Seitkali"],
    }
    doc.update(overrides)
    return doc


def propose(node: Engine, clock: Clock, who: str = KAZ, **overrides: Any) -> str:
    with SqlUnitOfWork(node) as uow:
        return svc.propose_project(uow, proposal(**overrides), who, clock.now)


def act(node: Engine, clock: Clock, pid: str, who: str, action: ResearchAction, **kw: Any) -> Any:
    with SqlUnitOfWork(node) as uow:
        return svc.act_on_project(uow, pid, ResearchCommand(action, **kw), who, clock.now)


def version(node: Engine, pid: str) -> int:
    with SqlUnitOfWork(node) as uow:
        return ResearchRepository(uow.connection).get(pid).project.version


def denied(
    node: Engine, clock: Clock, pid: str, who: str, action: ResearchAction, **kw: Any
) -> list[tuple[str, str]]:
    before = version(node, pid)
    with pytest.raises(ProtocolError) as exc:
        act(node, clock, pid, who, action, **kw)
    assert version(node, pid) == before  # nothing changed
    return [(v.rule, v.article) for v in exc.value.violations]


def started(node: Engine, clock: Clock) -> str:
    pid = propose(node, clock)
    act(node, clock, pid, RUS_HEAD, A.JOIN)
    return pid


def test_a_project_from_proposal_to_final_results(node: Engine, clock: Clock) -> None:
    pid = propose(node, clock)
    with SqlUnitOfWork(node) as uow:
        view = svc.show_project(uow, pid, RUS_HEAD, clock.now)
        [row] = svc.list_projects(uow, BLR)
    assert view.allowed == [A.JOIN, A.DECLINE] and row.state is ResearchState.PROPOSED
    act(node, clock, pid, RUS_HEAD, A.JOIN)
    act(node, clock, pid, BLR_HEAD, A.DECLINE, text="No researchers free this year")
    act(node, clock, pid, RUS, A.ADD_RESEARCHER, text="I. Petrov")
    with SqlUnitOfWork(node) as uow:
        doc = lit.add_literature(uow, meta(), "kit.pdf", "application/pdf", b"%PDF", RUS,
                                 clock.now)  # fmt: skip
    posted = act(node, clock, pid, RUS, A.POST_RESULT, text="Typology v1", document_id=doc)
    [result] = posted.project.results
    assert (result.body_id, result.document_id) == ("RUS-MVD", doc)
    done = act(node, clock, pid, KAZ_HEAD, A.COMPLETE, text="Typology and methods agreed")
    project = done.project
    assert project.state is ResearchState.COMPLETED and project.version == 6
    assert project.final is not None and project.final.signed_by == KAZ_HEAD
    assert [(r.body_id, r.name) for r in project.researchers] == [
        ("KAZ-MVD", "A. Seitkali"), ("RUS-MVD", "I. Petrov"),
    ]  # fmt: skip
    assert [p.answer for p in project.participants] == [Answer.ACCEPTED, Answer.DECLINED]
    with SqlUnitOfWork(node) as uow:
        assert ResearchRepository(uow.connection).get(pid).project == project
        trail = [(a["action"], a["actor_id"]) for a in uow.audit.for_object(pid)]
        assert "Art. 5 para 6" in uow.audit.for_object(pid)[-1]["details"]["articles"]
    assert trail == [
        ("research:proposed", KAZ), ("research:viewed", RUS_HEAD), ("research:joined", RUS_HEAD),
        ("research:declined", BLR_HEAD), ("research:researcher_added", RUS),
        ("research:result_posted", RUS), ("research:completed", KAZ_HEAD),
    ]  # fmt: skip


def test_proposal_faults_and_parties(node: Engine, clock: Clock) -> None:
    with pytest.raises(ProtocolError) as exc:
        propose(node, clock, period_from="2026-12-01", period_to="2026-01-01", title="")
    assert sorted(v.rule for v in exc.value.violations) == [
        "art5.research_period", "art5.research_required",
    ]  # fmt: skip
    with pytest.raises(ProtocolError) as exc:
        propose(node, clock, invited=["KAZ-MVD"])  # its own body
    assert [v.rule for v in exc.value.violations] == ["art5.research_parties"]
    with pytest.raises(ProtocolError) as exc:
        propose(node, clock, invited=["XYZ-NONE"])
    assert [v.rule for v in exc.value.violations] == ["art4.designated"]
    with SqlUnitOfWork(node) as uow:
        assert svc.list_projects(uow, RUS) == []


def test_a_body_not_invited(node: Engine, clock: Clock) -> None:
    pid = started(node, clock)
    assert denied(node, clock, pid, ARM_HEAD, A.JOIN) == [
        ("art5.research_invited", "Art. 5 para 6")
    ]
    assert denied(node, clock, pid, "arm-police.officer", A.POST_RESULT, text="x") == [
        ("art5.research_invited", "Art. 5 para 6")
    ]
    assert denied(node, clock, pid, RUS_HEAD, A.JOIN) == [
        ("art5.research_invited", "Art. 5 para 6")
    ]
    with SqlUnitOfWork(node) as uow, pytest.raises(AccessDenied):
        svc.show_project(uow, pid, "arm-police.officer", clock.now)


def test_not_a_participant(node: Engine, clock: Clock) -> None:
    pid = started(node, clock)  # Belarus invited, not answered
    assert denied(node, clock, pid, BLR, A.POST_RESULT, text="x") == [
        ("art5.research_participant", "Art. 5 para 6")
    ]
    act(node, clock, pid, BLR_HEAD, A.DECLINE)
    assert denied(node, clock, pid, BLR, A.ADD_RESEARCHER, text="N. N.") == [
        ("art5.research_participant", "Art. 5 para 6")
    ]


def test_wrong_role_and_lead_only(node: Engine, clock: Clock) -> None:
    pid = propose(node, clock)
    assert denied(node, clock, pid, RUS, A.JOIN) == [("art5.research_role", "Art. 5 para 6")]
    act(node, clock, pid, RUS_HEAD, A.JOIN)
    assert denied(node, clock, pid, KAZ, A.COMPLETE, text="Done") == [
        ("art5.research_role", "Art. 5 para 6")
    ]
    assert denied(node, clock, pid, RUS_HEAD, A.COMPLETE, text="Done") == [
        ("art5.research_lead", "Art. 5 para 6")
    ]
    assert denied(node, clock, pid, KAZ_HEAD, A.COMPLETE, text=" ") == [
        ("art5.research_required", "Art. 5 para 6")
    ]


@pytest.mark.parametrize("end", [A.COMPLETE, A.CANCEL])
def test_a_completed_or_cancelled_project(node: Engine, clock: Clock, end: ResearchAction) -> None:
    pid = started(node, clock)
    act(node, clock, pid, KAZ_HEAD, end, text="The end")
    for who, action in ((RUS, A.POST_RESULT), (BLR_HEAD, A.JOIN), (KAZ_HEAD, A.CANCEL)):
        assert denied(node, clock, pid, who, action, text="late") == [
            ("art5.research_state", "Art. 5 para 6")
        ]


def test_a_result_attaches_only_a_readable_document(node: Engine, clock: Clock) -> None:
    pid = started(node, clock)
    with SqlUnitOfWork(node) as uow:
        doc = lit.add_literature(uow, meta(), "kit.pdf", "application/pdf", b"%PDF", KAZ,
                                 clock.now)  # fmt: skip
    rule = [("art5.research_document", "Art. 5 para 6")]
    assert denied(node, clock, pid, RUS, A.POST_RESULT, text="x", document_id=doc) == rule
    assert denied(node, clock, pid, RUS, A.POST_RESULT, text="x", document_id="nope") == rule
    with SqlUnitOfWork(node) as uow:
        lit.share_literature(uow, doc, [Party.RUSSIA], KAZ, clock.now)
    act(node, clock, pid, RUS, A.POST_RESULT, text="x", document_id=doc)
