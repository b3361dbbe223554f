"""Coordinated operations (Art. 5 para 3) in the pure core: the proposal, the answers, tasks,
reports, links, the signed summary, and every denial with its article."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ozara import seed
from ozara.core.lifecycle import Context
from ozara.core.operation_forms import load_operation, parse_plan
from ozara.core.operations import (
    Answer,
    LinkKind,
    Operation,
    OperationAction,
    OperationCommand,
    OperationState,
    allowed_actions,
    check,
    propose,
    transition,
)
from ozara.core.parties import Party, Registry
from ozara.core.rules import ProtocolError
from ozara.core.treaty import TreatyStatus
from tests.core.conftest import T0, all_officers

OFFICERS = all_officers()
CTX = Context(Registry.of(seed.BODIES), TreatyStatus.from_notifications(seed.TREATY_NOTIFICATIONS))
A = OperationAction


def plan_document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Operation Phishnet",
        "goals": "Identify and stop the operators of phishing pages imitating banks",
        "period_from": "2025-02-01",
        "period_to": "2025-03-31",
        "categories": ["c"],
        "invited": ["RUS-MVD", "BLR-MVD", "KGZ-MVD"],
    }
    doc.update(overrides)
    return doc


def rules(exc: pytest.ExceptionInfo[ProtocolError]) -> list[str]:
    return [v.rule for v in exc.value.violations]


def proposed(**overrides: Any) -> Operation:
    plan = parse_plan(plan_document(**overrides))
    return propose("OP-1", plan, "KAZ-MVD", OFFICERS["kaz-mvd.officer"], CTX, T0).operation


def act(op: Operation, who: str, action: OperationAction, **kw: Any) -> Operation:
    return transition(op, OperationCommand(action, **kw), OFFICERS[who], CTX, T0).operation


def denied(op: Operation, who: str, action: OperationAction, **kw: Any) -> list[str]:
    decision = check(op, OperationCommand(action, **kw), OFFICERS[who], CTX, T0)
    assert not decision.allowed
    with pytest.raises(ProtocolError) as exc:
        act(op, who, action, **kw)
    return rules(exc)


def task(body: str = "RUS-MVD", due: date = date(2025, 2, 20), item: str = "T1") -> dict[str, Any]:
    return {"text": "Trace the hosting of the pages", "body_id": body, "due": due, "item_id": item}


def active() -> Operation:
    op = act(proposed(), "rus-mvd.head", A.ACCEPT)
    return act(op, "blr-mvd.head", A.DECLINE, text="No capacity this quarter")


# -- the proposal --------------------------------------------------------------------------


def test_a_proposal_invites_each_body_and_waits_for_answers() -> None:
    op = proposed()
    assert op.state is OperationState.PROPOSED and op.version == 1
    assert [(p.body_id, p.answer) for p in op.participants] == [
        ("RUS-MVD", Answer.INVITED), ("BLR-MVD", Answer.INVITED), ("KGZ-MVD", Answer.INVITED),
    ]  # fmt: skip
    assert op.plan.period_to == date(2025, 3, 31) and op.created_by == "kaz-mvd.officer"


def test_a_plan_is_checked_field_by_field() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_plan({"name": " ", "period_from": "2025-02-01", "categories": ["z"], "extra": 1})
    found = {(v.field, v.rule) for v in exc.value.violations}
    assert found == {
        ("extra", "input.unknown_field"), ("name", "art5.operation_required"),
        ("goals", "art5.operation_required"), ("period_to", "art5.operation_required"),
        ("categories[0]", "art3.category"), ("invited", "art5.operation_required"),
    }  # fmt: skip


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse_plan(plan_document(period_from="2025-03-01", period_to="2025-02-28"))
    assert rules(exc) == ["art5.operation_period"]
    assert exc.value.violations[0].article == "Art. 5 para 3"


@pytest.mark.parametrize(
    ("invited", "rule"),
    [
        (["KAZ-MVD"], "art5.operation_parties"),  # the lead itself
        (["RUS-MVD", "KAZ-KNB"], "art4.designated"),  # no such body
    ],
)
def test_the_invited_bodies_are_designated_bodies_of_other_parties(
    invited: list[str], rule: str
) -> None:
    with pytest.raises(ProtocolError) as exc:
        proposed(invited=invited)
    assert rules(exc) == [rule]


def test_a_party_not_bound_by_the_protocol_cannot_be_invited() -> None:
    """Art. 16: the Protocol must be in force between the lead's Party and each invited one."""
    without_tjk = [n for n in seed.TREATY_NOTIFICATIONS if n.party is not Party.TAJIKISTAN]
    ctx = Context(CTX.registry, TreatyStatus.from_notifications(without_tjk))
    plan = parse_plan(plan_document(invited=["RUS-MVD", "TJK-MVD"]))
    with pytest.raises(ProtocolError) as exc:
        propose("OP-1", plan, "KAZ-MVD", OFFICERS["kaz-mvd.officer"], ctx, T0)
    assert rules(exc) == ["art16.in_force"] and exc.value.violations[0].field == "invited[1]"


def test_only_the_lead_bodys_staff_propose() -> None:
    plan = parse_plan(plan_document())
    with pytest.raises(ProtocolError) as exc:
        propose("OP-1", plan, "KAZ-MVD", OFFICERS["rus-mvd.officer"], CTX, T0)
    assert rules(exc) == ["art5.operation_lead"]


# -- answers -------------------------------------------------------------------------------


def test_the_first_acceptance_makes_the_operation_active() -> None:
    op = act(proposed(), "rus-mvd.head", A.ACCEPT)
    assert op.state is OperationState.ACTIVE and op.version == 2
    rus = op.participant("RUS-MVD")
    assert rus is not None and rus.answer is Answer.ACCEPTED and rus.answered_by == "rus-mvd.head"
    op = act(op, "blr-mvd.head", A.DECLINE, text="No capacity")
    blr = op.participant("BLR-MVD")
    assert blr is not None and (blr.answer, blr.reason) == (Answer.DECLINED, "No capacity")
    assert op.state is OperationState.ACTIVE


def test_a_body_not_invited_cannot_act() -> None:
    op = active()
    assert denied(op, "arm-police.head", A.ACCEPT) == ["art5.operation_invited"]
    assert denied(op, "arm-police.officer", A.REPORT, text="x", item_id="R") == [
        "art5.operation_invited"
    ]


def test_an_invitation_is_answered_once_by_the_head() -> None:
    op = active()
    assert denied(op, "rus-mvd.head", A.DECLINE) == ["art5.operation_invited"]
    assert denied(op, "blr-mvd.head", A.ACCEPT) == ["art5.operation_invited"]
    assert denied(op, "kgz-mvd.officer", A.ACCEPT) == ["lifecycle.role"]
    assert denied(op, "kaz-mvd.head", A.ACCEPT) == ["art5.operation_invited"]  # the lead


# -- tasks, reports, links -----------------------------------------------------------------


def test_tasks_reports_and_links() -> None:
    op = act(active(), "kaz-mvd.officer", A.ASSIGN_TASK, **task())
    op = act(op, "kaz-mvd.officer", A.ASSIGN_TASK, **task("KAZ-MVD", item="T2"))
    assert [(t.id, t.body_id, t.done_at) for t in op.tasks] == [
        ("T1", "RUS-MVD", None), ("T2", "KAZ-MVD", None),
    ]  # fmt: skip
    assert allowed_actions(op, OFFICERS["rus-mvd.officer"], CTX, T0) == [
        A.COMPLETE_TASK, A.REPORT, A.LINK,
    ]  # fmt: skip
    op = act(op, "rus-mvd.officer", A.REPORT, text="Hosting traced to AS64500", task_id="T1",
             item_id="R1")  # fmt: skip
    op = act(op, "rus-mvd.officer", A.COMPLETE_TASK, task_id="T1")
    op = act(op, "rus-mvd.officer", A.LINK, link_kind=LinkKind.REQUEST, ref="RUS-MVD-2025-00007")
    op = act(op, "rus-mvd.officer", A.LINK, link_kind=LinkKind.REQUEST, ref="RUS-MVD-2025-00007")
    assert op.tasks[0].done_by == "rus-mvd.officer" and op.reports[0].task_id == "T1"
    assert [(k.kind, k.ref, k.body_id) for k in op.links] == [
        (LinkKind.REQUEST, "RUS-MVD-2025-00007", "RUS-MVD")
    ]
    assert op.version == 9  # a second link to the same request is an action, not a new link
    assert denied(op, "rus-mvd.officer", A.COMPLETE_TASK, task_id="T1") == [
        "art5.operation_participant"
    ]
    assert denied(op, "rus-mvd.officer", A.COMPLETE_TASK, task_id="T2") == [
        "art5.operation_participant"
    ]


@pytest.mark.parametrize("body", ["BLR-MVD", "KGZ-MVD", "ARM-POLICE"])
def test_a_task_goes_only_to_a_body_that_accepted(body: str) -> None:
    """Declined (BLR), not answered yet (KGZ), never invited (ARM)."""
    rules_found = denied(active(), "kaz-mvd.officer", A.ASSIGN_TASK, **task(body))
    assert rules_found == ["art5.operation_participant"]


def test_only_the_lead_assigns_tasks_within_the_period() -> None:
    op = active()
    assert denied(op, "rus-mvd.officer", A.ASSIGN_TASK, **task()) == ["art5.operation_lead"]
    late = task(due=date(2025, 4, 1))
    assert denied(op, "kaz-mvd.officer", A.ASSIGN_TASK, **late) == ["art5.operation_period"]
    assert denied(op, "kaz-mvd.officer", A.REPORT, item_id="R") == ["art5.operation_required"]


def test_a_body_that_declined_neither_reports_nor_links() -> None:
    op = active()
    assert denied(op, "blr-mvd.officer", A.REPORT, text="x", item_id="R") == [
        "art5.operation_participant"
    ]
    assert denied(op, "blr-mvd.officer", A.LINK, link_kind=LinkKind.RECORD, ref="x") == [
        "art5.operation_participant"
    ]


def test_no_tasks_before_anyone_accepted() -> None:
    assert denied(proposed(), "kaz-mvd.officer", A.ASSIGN_TASK, **task()) == [
        "art5.operation_state"
    ]


# -- the end -------------------------------------------------------------------------------


def test_the_lead_closes_with_a_summary_signed_by_its_head() -> None:
    op = act(active(), "kaz-mvd.head", A.CLOSE, text="Four servers seized, 12 suspects named")
    assert op.state is OperationState.CLOSED
    assert op.summary is not None and op.summary.signed_by == "kaz-mvd.head"
    assert op.summary.text.startswith("Four servers")


def test_closing_without_a_summary_is_refused() -> None:
    assert denied(active(), "kaz-mvd.head", A.CLOSE, text="  ") == ["art5.operation_summary"]


def test_a_summary_signed_by_a_non_signatory_is_refused() -> None:
    found = denied(active(), "kaz-mvd.officer", A.CLOSE, text="Done")
    assert found == ["art5.operation_signatory"]
    assert denied(active(), "rus-mvd.head", A.CLOSE, text="Done") == ["art5.operation_lead"]


@pytest.mark.parametrize(
    ("who", "action", "kw"),
    [
        ("rus-mvd.officer", A.REPORT, {"text": "late", "item_id": "R9"}),
        ("kgz-mvd.head", A.ACCEPT, {}),
        ("kaz-mvd.head", A.CANCEL, {"text": "again"}),
        ("rus-mvd.officer", A.LINK, {"link_kind": LinkKind.RECORD, "ref": "r"}),
    ],
)
def test_a_closed_or_cancelled_operation_does_not_change(
    who: str, action: OperationAction, kw: dict[str, Any]
) -> None:
    closed = act(active(), "kaz-mvd.head", A.CLOSE, text="Done")
    cancelled = act(active(), "kaz-mvd.head", A.CANCEL, text="The suspects were arrested")
    assert cancelled.state is OperationState.CANCELLED
    for op in (closed, cancelled):
        assert denied(op, who, action, **kw) == ["art5.operation_state"]
        assert allowed_actions(op, OFFICERS[who], CTX, T0) == []


def test_a_proposed_operation_is_cancelled_not_closed() -> None:
    assert denied(proposed(), "kaz-mvd.head", A.CLOSE, text="x") == ["art5.operation_state"]
    assert denied(proposed(), "kaz-mvd.officer", A.CANCEL, text="x") == ["lifecycle.role"]
    op = act(proposed(), "kaz-mvd.head", A.CANCEL, text="No partner answered")
    assert op.cancel_reason == "No partner answered"


def test_decisions_name_their_articles() -> None:
    op = active()
    ok = check(op, OperationCommand(A.REPORT, text="x", item_id="R"), OFFICERS["rus-mvd.officer"],
               CTX, T0)  # fmt: skip
    assert ok.allowed and "Art. 5 para 3" in ok.articles and "Art. 16" in ok.articles
    no = check(op, OperationCommand(A.ACCEPT), OFFICERS["arm-police.head"], CTX, T0)
    assert no.violations[0].article == "Art. 5 para 3"


def test_an_undesignated_body_cannot_act() -> None:
    """Art. 4: RUS-MVD's designation ends; it can no longer report."""
    op = active()
    later = T0 + timedelta(days=1)
    ended = [
        b if b.id != "RUS-MVD" else type(b)(**{**_fields(b), "designated_until": T0})
        for b in seed.BODIES
    ]
    ctx = Context(Registry.of(ended), CTX.treaty)
    cmd = OperationCommand(A.REPORT, text="x", item_id="R")
    decision = check(op, cmd, OFFICERS["rus-mvd.officer"], ctx, later)
    assert [v.rule for v in decision.violations] == ["art4.designated"]


def _fields(body: Any) -> dict[str, Any]:
    return {k: getattr(body, k) for k in body.__slots__}


def test_the_json_form_round_trips() -> None:
    op = act(active(), "kaz-mvd.officer", A.ASSIGN_TASK, **task())
    op = act(op, "rus-mvd.officer", A.REPORT, text="r", task_id="T1", item_id="R1")
    op = act(op, "rus-mvd.officer", A.LINK, link_kind=LinkKind.RECORD, ref="rec-1")
    op = act(op, "kaz-mvd.head", A.CLOSE, text="Done")
    assert load_operation(op.to_dict()) == op
