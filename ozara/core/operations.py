"""Coordinated operations (Art. 5 para 3): planned and conducted together by the bodies of
several Parties, as a state machine written as a table (like ``actions.py``).

A lead body proposes an operation (name, goals, period, Art. 3 categories, the bodies it
invites); each invited body accepts or declines, once; the first acceptance makes the
operation active. The lead assigns tasks with due dates to itself or to a body that
accepted; those bodies report on the operation's progress and link their requests and
records to it; the lead closes it with a joint summary signed by its head or a deputy
(as a request is signed, Art. 6 para 5), or cancels it. A closed or cancelled operation
does not change. Each decision names its rules, and so its articles (Art. 4, 5, 16).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ozara.core.actions import HEAD, OPS
from ozara.core.lifecycle import Context
from ozara.core.parties import Officer, Role
from ozara.core.requests import CrimeCategory
from ozara.core.rules import Decision, Violation, violation

MAX_TEXT = 20_000
MAX_NAME = 300
MAX_INVITED = 50


class OperationState(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (OperationState.CLOSED, OperationState.CANCELLED)


class Answer(enum.StrEnum):
    """An invited body's participation."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class OperationAction(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ASSIGN_TASK = "assign_task"
    COMPLETE_TASK = "complete_task"
    REPORT = "report"
    LINK = "link"
    CLOSE = "close"
    CANCEL = "cancel"


class LinkKind(enum.StrEnum):
    REQUEST = "request"  # Art. 6-9
    RECORD = "record"  # Art. 5 para 1


class Actor(enum.StrEnum):
    """Who may take an action: the lead body, an invited body that has not answered, a member
    (the lead or a body that accepted), or the body a task is assigned to."""

    LEAD = "lead"
    INVITED = "invited"
    MEMBER = "member"
    ASSIGNEE = "assignee"


@dataclass(frozen=True, slots=True)
class OperationSpec:
    actor: Actor
    roles: frozenset[Role]
    sources: frozenset[OperationState]
    target: OperationState | None  # None: the state does not change
    rule: str
    needs_text: bool
    event: str


_P, _A = OperationState.PROPOSED, OperationState.ACTIVE
_CLOSED, _CANCELLED = OperationState.CLOSED, OperationState.CANCELLED
_OPEN, _ON = frozenset({_P, _A}), frozenset({_A})
_X = OperationAction
_INV, _PART = "art5.operation_invited", "art5.operation_participant"
_SUM, _LEAD = "art5.operation_summary", "art5.operation_lead"
_I, _L, _M, _T = Actor.INVITED, Actor.LEAD, Actor.MEMBER, Actor.ASSIGNEE
_Row = tuple[
    OperationAction, Actor, frozenset[Role], frozenset[OperationState], OperationState | None,
    str, bool, str,
]  # fmt: skip
# fmt: off
_ROWS: list[_Row] = [
    # action          actor roles from   to          rule   text?  event
    (_X.ACCEPT,        _I,  HEAD, _OPEN, _A,         _INV,  False, "accepted"),
    (_X.DECLINE,       _I,  HEAD, _OPEN, None,       _INV,  False, "declined"),
    (_X.ASSIGN_TASK,   _L,  OPS,  _ON,   None,       _PART, True,  "task_assigned"),
    (_X.COMPLETE_TASK, _T,  OPS,  _ON,   None,       _PART, False, "task_done"),
    (_X.REPORT,        _M,  OPS,  _ON,   None,       _PART, True,  "reported"),
    (_X.LINK,          _M,  OPS,  _OPEN, None,       _PART, False, "linked"),
    (_X.CLOSE,         _L,  OPS,  _ON,   _CLOSED,    _SUM,  True,  "closed"),
    (_X.CANCEL,        _L,  HEAD, _OPEN, _CANCELLED, _LEAD, True,  "cancelled"),
]
# fmt: on
ACTIONS: dict[OperationAction, OperationSpec] = {
    a: OperationSpec(actor, roles, sources, target, rule, text, f"operation:{event}")
    for a, actor, roles, sources, target, rule, text, event in _ROWS
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What the lead body proposes."""

    name: str
    goals: str
    period_from: date
    period_to: date
    categories: tuple[CrimeCategory, ...]
    invited: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "goals": self.goals,
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "categories": [c.value for c in self.categories],
            "invited": list(self.invited),
        }


@dataclass(frozen=True, slots=True)
class Participant:
    body_id: str
    answer: Answer = Answer.INVITED
    answered_at: datetime | None = None
    answered_by: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    body_id: str
    text: str
    due: date
    assigned_at: datetime
    assigned_by: str
    done_at: datetime | None = None
    done_by: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    id: str
    body_id: str
    text: str
    at: datetime
    by: str
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    ref: str
    body_id: str
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    signed_by: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Operation:
    id: str
    lead_body: str
    plan: Plan
    created_at: datetime
    created_by: str
    state: OperationState = OperationState.PROPOSED
    participants: tuple[Participant, ...] = ()
    tasks: tuple[Task, ...] = ()
    reports: tuple[Report, ...] = ()
    links: tuple[Link, ...] = ()
    summary: Summary | None = None
    cancel_reason: str = ""
    version: int = 1

    def participant(self, body_id: str | None) -> Participant | None:
        return next((p for p in self.participants if p.body_id == body_id), None)

    def task(self, task_id: str | None) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def is_member(self, body_id: str | None) -> bool:
        p = self.participant(body_id)
        return body_id == self.lead_body or (p is not None and p.answer is Answer.ACCEPTED)

    def involves(self, body_id: str | None) -> bool:
        return body_id == self.lead_body or self.participant(body_id) is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, stored and compared (``operation_forms.operation_json``)."""
        from ozara.core.operation_forms import operation_json  # noqa: PLC0415 -- a cycle

        return operation_json(self)


@dataclass(frozen=True, slots=True)
class OperationCommand:
    action: OperationAction
    #: The task, the report, the summary, the reasons (a decline's are optional).
    text: str = ""
    #: ASSIGN_TASK: the body and the due date; COMPLETE_TASK and REPORT: the task.
    body_id: str | None = None
    due: date | None = None
    task_id: str | None = None
    #: LINK: what is linked.
    link_kind: LinkKind | None = None
    ref: str | None = None
    #: The id of the task or report made, chosen once by the node where the action is taken.
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    operation: Operation
    event: str
    decision: Decision


# -- proposal --------------------------------------------------------------------------


def check_proposal(
    plan: Plan, lead_body: str, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` propose ``plan`` with ``lead_body`` leading it now? (Art. 4, 5, 16)."""
    rules = ("art5.operation_lead", "art4.designated", "art16.in_force")
    if actor.body_id != lead_body or not actor.roles & OPS:
        return _deny(rules, "lead_body", "art5.operation_lead", "the lead body's staff propose")
    problems = check_invited(lead_body, plan.invited, ctx, now, "art5.operation_parties")
    return Decision(not problems, rules, tuple(problems))


def check_invited(
    lead_body: str, invited: tuple[str, ...], ctx: Context, now: datetime, parties_rule: str
) -> list[Violation]:
    """The lead and every invited body are designated (Art. 4), each invited body is of
    another Party than the lead (``parties_rule``: Art. 5 para 3 or para 6), and the
    Protocol binds the lead's Party and each invited Party today (Art. 16). Shared by
    coordinated operations and joint research projects."""
    problems: list[Violation] = []
    lead = ctx.registry.get(lead_body)
    if lead is None or not lead.is_designated(now):
        problems.append(violation("lead_body", "art4.designated", f"{lead_body} is not designated"))
    for i, body_id in enumerate(invited):
        body = ctx.registry.get(body_id)
        where = f"invited[{i}]"
        if body is None or not body.is_designated(now):
            problems.append(violation(where, "art4.designated", f"{body_id} is not designated"))
        elif body_id == lead_body or (lead is not None and body.party is lead.party):
            detail = f"{body_id} is a body of the lead's own Party"
            problems.append(violation(where, parties_rule, detail))
        elif lead is not None:
            pair = ctx.treaty.check_pair(lead.party, body.party, now.date())
            problems += [replace(v, field=where) for v in pair.violations]
    return problems


def designated_actor(actor: Officer, ctx: Context, now: datetime) -> Violation | None:
    """The acting officer's body is designated now (Art. 4). Shared with research projects."""
    body = ctx.registry.get(actor.body_id or "")
    if body is None or not body.is_designated(now):
        return violation("actor", "art4.designated", f"{actor.body_id} is not designated")
    return None


def joining_bound(lead_body: str, actor: Officer, ctx: Context, now: datetime) -> Violation | None:
    """A body accepting an invitation: the Protocol binds its Party and the lead's today
    (Art. 16), the first rule in the way. Shared with research projects (joining)."""
    lead, body = ctx.registry.get(lead_body), ctx.registry.get(actor.body_id or "")
    if lead is not None and body is not None:
        pair = ctx.treaty.check_pair(lead.party, body.party, now.date())
        return pair.violations[0] if pair.violations else None
    return None


def answered(  # noqa: PLR0917 -- whose answer, which, who, when, why
    participants: tuple[Participant, ...],
    body_id: str,
    accepted: bool,
    actor: Officer,
    now: datetime,
    text: str,
) -> tuple[Participant, ...]:
    """The participants once ``body_id`` accepted (or declined) the invitation, by ``actor``
    with ``text``. Shared with research projects (join, decline)."""
    answer = Participant(body_id, Answer.ACCEPTED if accepted else Answer.DECLINED, now,
                         actor.id, text)  # fmt: skip
    return tuple(answer if p.body_id == body_id else p for p in participants)


def propose(  # noqa: PLR0917 -- the operation's id, its plan, its lead, who, the world, when
    operation_id: str, plan: Plan, lead_body: str, actor: Officer, ctx: Context, now: datetime
) -> Change:
    """A new operation, proposed to every invited body; or ``ProtocolError``."""
    decision = check_proposal(plan, lead_body, actor, ctx, now)
    decision.raise_if_denied()
    operation = Operation(
        operation_id, lead_body, plan, now, actor.id,
        participants=tuple(Participant(b) for b in plan.invited),
    )  # fmt: skip
    return Change(operation, "operation:proposed", decision)


# -- actions ---------------------------------------------------------------------------


def _deny(rules: tuple[str, ...], where: str, rule: str, detail: str | None = None) -> Decision:
    return Decision(False, rules, (violation(where, rule, detail),))


def check(
    operation: Operation, command: OperationCommand, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` take ``command`` on ``operation`` now? The first rule in the way."""
    spec = ACTIONS[command.action]
    rules = (spec.rule, "art4.designated")
    if operation.state.is_terminal:
        detail = f"the operation is {operation.state.value}"
        return _deny(rules, "operation", "art5.operation_state", detail)
    if operation.state not in spec.sources:
        detail = f"{command.action.value} is not possible while it is {operation.state.value}"
        return _deny(rules, "operation", "art5.operation_state", detail)
    problem = _who(operation, command, spec, actor)
    if problem is None and not actor.roles & spec.roles:
        problem = violation("actor", "lifecycle.role", f"{command.action.value}: another role")
    if problem is None:
        problem = designated_actor(actor, ctx, now)
    if problem is None:
        problem = _rules(operation, command, actor, ctx, now)
    if problem is not None:
        return Decision(False, rules, (problem,))
    return Decision(True, (spec.rule, "art4.designated", "art16.in_force"))


def _who(
    operation: Operation, command: OperationCommand, spec: OperationSpec, actor: Officer
) -> Violation | None:
    body = actor.body_id
    if not operation.involves(body):
        return violation("actor", "art5.operation_invited", f"{body} is not invited to it")
    match spec.actor:
        case Actor.LEAD if body != operation.lead_body:
            return violation("actor", "art5.operation_lead", f"the lead is {operation.lead_body}")
        case Actor.INVITED:
            p = operation.participant(body)
            if p is None:
                return violation("actor", "art5.operation_invited", "the lead body is not invited")
            if p.answer is not Answer.INVITED:
                return violation("actor", "art5.operation_invited", f"{body} {p.answer.value}")
        case Actor.MEMBER if not operation.is_member(body):
            return violation("actor", "art5.operation_participant", f"{body} has not accepted")
        case Actor.ASSIGNEE:
            task = operation.task(command.task_id)
            if task is None:
                return violation("task_id", "art5.operation_participant", "no such task")
            if task.body_id != body:
                return violation("actor", "art5.operation_participant", f"{task.body_id}'s task")
    return None


def _rules(
    operation: Operation,
    command: OperationCommand,
    actor: Officer,
    ctx: Context,
    now: datetime,
) -> Violation | None:
    action, spec = command.action, ACTIONS[command.action]
    text = command.text.strip()
    if len(text) > MAX_TEXT:
        return violation("text", "input.type", f"at most {MAX_TEXT} characters")
    if action is OperationAction.CLOSE:
        if not text:
            return violation("summary", "art5.operation_summary", "write the joint summary")
        if not actor.has(Role.SIGNATORY):
            return violation("summary", "art5.operation_signatory", f"{actor.id} may not sign")
    elif spec.needs_text and not text:
        return violation("text", "art5.operation_required")
    if spec.actor is Actor.ASSIGNEE or action is OperationAction.REPORT:
        task = operation.task(command.task_id)
        if command.task_id is not None and task is None:
            return violation("task_id", "art5.operation_participant", "no such task")
        if action is OperationAction.COMPLETE_TASK and task and task.done_at is not None:
            return violation("task_id", "art5.operation_participant", "the task is done already")
        if task is not None and task.body_id != actor.body_id:
            return violation("task_id", "art5.operation_participant", f"{task.body_id}'s task")
    if action is OperationAction.ASSIGN_TASK:
        return _check_task(operation, command)
    if action is OperationAction.LINK and (command.link_kind is None or not command.ref):
        return violation("ref", "art5.operation_required", "a request or a record")
    if action is OperationAction.ACCEPT:
        return joining_bound(operation.lead_body, actor, ctx, now)
    needs_item = action in (OperationAction.ASSIGN_TASK, OperationAction.REPORT)
    if needs_item and not command.item_id:
        return violation("item_id", "input.type", "an id for the new item")
    return None


def _check_task(operation: Operation, command: OperationCommand) -> Violation | None:
    if command.body_id is None or not operation.is_member(command.body_id):
        detail = f"{command.body_id} has not accepted the invitation"
        return violation("body_id", "art5.operation_participant", detail)
    plan = operation.plan
    if command.due is None:
        return violation("due", "art5.operation_required", "a due date")
    if not plan.period_from <= command.due <= plan.period_to:
        detail = f"{command.due.isoformat()} is outside {plan.period_from}–{plan.period_to}"
        return violation("due", "art5.operation_period", detail)
    if not command.item_id:
        return violation("item_id", "input.type", "an id for the new task")
    if operation.task(command.item_id) is not None:
        return violation("item_id", "input.type", "a task with this id exists")
    return None


def transition(
    operation: Operation, command: OperationCommand, actor: Officer, ctx: Context, now: datetime
) -> Change:
    """The operation after ``command``, or ``ProtocolError`` naming the article."""
    decision = check(operation, command, actor, ctx, now)
    decision.raise_if_denied()
    spec = ACTIONS[command.action]
    body, text, op = actor.body_id or "", command.text.strip(), operation
    match command.action:
        case OperationAction.ACCEPT | OperationAction.DECLINE:
            accepted = command.action is OperationAction.ACCEPT
            op = replace(op, participants=answered(op.participants, body, accepted, actor, now,
                                                   text))  # fmt: skip
        case OperationAction.ASSIGN_TASK:
            assert command.item_id and command.body_id and command.due
            task = Task(command.item_id, command.body_id, text, command.due, now, actor.id)
            op = replace(op, tasks=(*op.tasks, task))
        case OperationAction.COMPLETE_TASK:
            op = replace(op, tasks=tuple(
                replace(t, done_at=now, done_by=actor.id) if t.id == command.task_id else t
                for t in op.tasks
            ))  # fmt: skip
        case OperationAction.REPORT:
            assert command.item_id
            report = Report(command.item_id, body, text, now, actor.id, command.task_id)
            op = replace(op, reports=(*op.reports, report))
        case OperationAction.LINK:
            assert command.link_kind and command.ref
            link = Link(command.link_kind, command.ref, body, now, actor.id)
            if not any((k.kind, k.ref) == (link.kind, link.ref) for k in op.links):
                op = replace(op, links=(*op.links, link))
        case OperationAction.CLOSE:
            op = replace(op, summary=Summary(text, actor.id, now))
        case OperationAction.CANCEL:
            op = replace(op, cancel_reason=text)
    op = replace(op, state=spec.target or op.state, version=op.version + 1)
    return Change(op, spec.event, decision)


def allowed_actions(
    operation: Operation, actor: Officer, ctx: Context, now: datetime
) -> list[OperationAction]:
    """Actions the actor may take now, given a text and items (for menus)."""
    out = []
    own = next(
        (t.id for t in operation.tasks if t.body_id == actor.body_id and not t.done_at), None
    )
    for action in OperationAction:
        probe = OperationCommand(
            action, text="-", body_id=actor.body_id, due=operation.plan.period_from,
            task_id=own if action is OperationAction.COMPLETE_TASK else None,
            link_kind=LinkKind.RECORD, ref="-", item_id="-",
        )  # fmt: skip
        if check(operation, probe, actor, ctx, now).allowed:
            out.append(action)
    return out


__all__ = [
    "ACTIONS", "Answer", "Change", "Link", "LinkKind", "Operation", "OperationAction",
    "OperationCommand", "OperationState", "Participant", "Plan", "Report", "Summary", "Task",
    "allowed_actions", "answered", "check", "check_invited", "check_proposal",
    "designated_actor", "joining_bound", "propose", "transition",
]  # fmt: skip
