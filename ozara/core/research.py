"""Joint research projects (Art. 5 para 6), as a state machine written as a table (like
``operations.py``, whose invitation rules it shares).

A lead body proposes a project (title, topic, goals, period, the bodies of other Parties it
invites, its own named researchers); each invited body joins or declines, once, by its head
or a deputy; the first to join makes the project active. The lead and the bodies that joined
name their researchers and post results (a text, and optionally a document of the library
of exchanged literature); the lead's head or deputy completes the project with its final
results, or cancels it. A completed or cancelled project does not change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ozara.core.actions import HEAD, OPS
from ozara.core.lifecycle import Context
from ozara.core.operations import (
    Answer,
    Participant,
    answered,
    check_invited,
    designated_actor,
    joining_bound,
)
from ozara.core.parties import Officer, Role
from ozara.core.rules import Decision, Violation, violation

MAX_TEXT = 20_000
MAX_TITLE = 300
MAX_INVITED = 50
MAX_NAME = 200


class ResearchState(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (ResearchState.COMPLETED, ResearchState.CANCELLED)


class ResearchAction(enum.StrEnum):
    JOIN = "join"
    DECLINE = "decline"
    ADD_RESEARCHER = "add_researcher"
    POST_RESULT = "post_result"
    COMPLETE = "complete"
    CANCEL = "cancel"


class Actor(enum.StrEnum):
    LEAD = "lead"
    INVITED = "invited"  # invited and not answered yet
    MEMBER = "member"  # the lead or a body that joined


@dataclass(frozen=True, slots=True)
class ResearchSpec:
    actor: Actor
    roles: frozenset[Role]
    sources: frozenset[ResearchState]
    target: ResearchState | None
    rule: str
    needs_text: bool
    event: str


_P, _A = ResearchState.PROPOSED, ResearchState.ACTIVE
_OPEN, _ON = frozenset({_P, _A}), frozenset({_A})
_X = ResearchAction
_INV, _PART, _LEAD = "art5.research_invited", "art5.research_participant", "art5.research_lead"
_I, _M, _L = Actor.INVITED, Actor.MEMBER, Actor.LEAD
_DONE, _OFF = ResearchState.COMPLETED, ResearchState.CANCELLED
# fmt: off
ACTIONS: dict[ResearchAction, ResearchSpec] = {
    a: ResearchSpec(actor, roles, src, to, rule, text, f"research:{event}")
    for a, actor, roles, src, to, rule, text, event in [
        # action            actor roles src    to     rule   text?  event
        (_X.JOIN,           _I,   HEAD, _OPEN, _A,    _INV,  False, "joined"),
        (_X.DECLINE,        _I,   HEAD, _OPEN, None,  _INV,  False, "declined"),
        (_X.ADD_RESEARCHER, _M,   OPS,  _OPEN, None,  _PART, True,  "researcher_added"),
        (_X.POST_RESULT,    _M,   OPS,  _ON,   None,  _PART, True,  "result_posted"),
        (_X.COMPLETE,       _L,   HEAD, _ON,   _DONE, _LEAD, True,  "completed"),
        (_X.CANCEL,         _L,   HEAD, _OPEN, _OFF,  _LEAD, True,  "cancelled"),
    ]
}
# fmt: on


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the lead body proposes."""

    title: str
    topic: str
    goals: str
    period_from: date
    period_to: date
    invited: tuple[str, ...]
    #: The lead body's own named researchers.
    researchers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Researcher:
    body_id: str
    name: str
    added_at: datetime
    added_by: str


@dataclass(frozen=True, slots=True)
class Result:
    """A milestone or result a participant posts."""

    id: str
    body_id: str
    text: str
    at: datetime
    by: str
    #: A document of the library of exchanged literature (``core.literature``), if any.
    document_id: str | None = None


@dataclass(frozen=True, slots=True)
class FinalResults:
    text: str
    signed_by: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    lead_body: str
    proposal: Proposal
    created_at: datetime
    created_by: str
    state: ResearchState = ResearchState.PROPOSED
    participants: tuple[Participant, ...] = ()
    researchers: tuple[Researcher, ...] = ()
    results: tuple[Result, ...] = ()
    final: FinalResults | None = None
    cancel_reason: str = ""
    version: int = 1

    def participant(self, body_id: str | None) -> Participant | None:
        return next((p for p in self.participants if p.body_id == body_id), None)

    def is_member(self, body_id: str | None) -> bool:
        p = self.participant(body_id)
        return body_id == self.lead_body or (p is not None and p.answer is Answer.ACCEPTED)

    def involves(self, body_id: str | None) -> bool:
        return body_id == self.lead_body or self.participant(body_id) is not None

    def to_dict(self) -> dict[str, Any]:
        from ozara.core.research_forms import project_json  # noqa: PLC0415 -- a cycle

        return project_json(self)


@dataclass(frozen=True, slots=True)
class ResearchCommand:
    action: ResearchAction
    #: The researcher's name, the result, the final results, the reasons.
    text: str = ""
    #: POST_RESULT: a document of the library attached to the result.
    document_id: str | None = None
    #: POST_RESULT: the result's id, chosen once by the node where it is posted.
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    project: Project
    event: str
    decision: Decision


def check_proposal(
    proposal: Proposal, lead_body: str, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` propose the project with ``lead_body`` leading it? (Art. 4, 5, 16)."""
    rules = ("art5.research_lead", "art4.designated", "art16.in_force")
    if actor.body_id != lead_body or not actor.roles & OPS:
        problem = violation("lead_body", "art5.research_lead", "the lead body's staff propose")
        return Decision(False, rules, (problem,))
    problems = check_invited(lead_body, proposal.invited, ctx, now, "art5.research_parties")
    return Decision(not problems, rules, tuple(problems))


def propose(  # noqa: PLR0917 -- the project's id, its proposal, its lead, who, the world, when
    project_id: str, proposal: Proposal, lead_body: str, actor: Officer, ctx: Context,
    now: datetime,
) -> Change:  # fmt: skip
    """A new project, proposed to every invited body; or ``ProtocolError``."""
    decision = check_proposal(proposal, lead_body, actor, ctx, now)
    decision.raise_if_denied()
    project = Project(
        project_id, lead_body, proposal, now, actor.id,
        participants=tuple(Participant(b) for b in proposal.invited),
        researchers=tuple(Researcher(lead_body, n, now, actor.id) for n in proposal.researchers),
    )  # fmt: skip
    return Change(project, "research:proposed", decision)


def check(
    project: Project, command: ResearchCommand, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` take ``command`` on ``project`` now? The first rule in the way."""
    spec = ACTIONS[command.action]
    rules = (spec.rule, "art4.designated")
    problem = _state(project, command, spec) or _who(project, spec, actor)
    if problem is None and not actor.roles & spec.roles:
        detail = f"{command.action.value}: the head of the body or a deputy"
        problem = violation("actor", "art5.research_role", detail)
    if problem is None:
        problem = designated_actor(actor, ctx, now)
    if problem is None:
        problem = _rules(project, command, spec, actor, ctx, now)
    if problem is not None:
        return Decision(False, rules, (problem,))
    return Decision(True, (spec.rule, "art4.designated", "art16.in_force"))


def _state(project: Project, command: ResearchCommand, spec: ResearchSpec) -> Violation | None:
    if project.state.is_terminal:
        return violation("project", "art5.research_state", f"it is {project.state.value}")
    if project.state not in spec.sources:
        detail = f"{command.action.value} is not possible while it is {project.state.value}"
        return violation("project", "art5.research_state", detail)
    return None


def _who(project: Project, spec: ResearchSpec, actor: Officer) -> Violation | None:
    body = actor.body_id
    if not project.involves(body):
        return violation("actor", "art5.research_invited", f"{body} is not invited to it")
    p = project.participant(body)
    match spec.actor:
        case Actor.LEAD if body != project.lead_body:
            return violation("actor", "art5.research_lead", f"the lead is {project.lead_body}")
        case Actor.INVITED if p is None:
            return violation("actor", "art5.research_invited", "the lead body is not invited")
        case Actor.INVITED if p is not None and p.answer is not Answer.INVITED:
            return violation("actor", "art5.research_invited", f"{body} {p.answer.value}")
        case Actor.MEMBER if not project.is_member(body):
            return violation("actor", "art5.research_participant", f"{body} has not joined")
    return None


def _rules(  # noqa: PLR0917
    project: Project, command: ResearchCommand, spec: ResearchSpec, actor: Officer,
    ctx: Context, now: datetime,
) -> Violation | None:  # fmt: skip
    text, action = command.text.strip(), command.action
    limit = MAX_NAME if action is ResearchAction.ADD_RESEARCHER else MAX_TEXT
    if len(text) > limit:
        return violation("text", "input.type", f"at most {limit} characters")
    if spec.needs_text and not text:
        field = "final_results" if action is ResearchAction.COMPLETE else "text"
        return violation(field, "art5.research_required")
    if action is ResearchAction.ADD_RESEARCHER and any(
        (r.body_id, r.name) == (actor.body_id, text) for r in project.researchers
    ):
        return violation("text", "input.type", f"{text} is named already")
    if action is ResearchAction.POST_RESULT:
        if not command.item_id:
            return violation("item_id", "input.type", "an id for the new result")
        if any(r.id == command.item_id for r in project.results):
            return violation("item_id", "input.type", "a result with this id exists")
    if action is ResearchAction.JOIN:
        return joining_bound(project.lead_body, actor, ctx, now)
    return None


def transition(
    project: Project, command: ResearchCommand, actor: Officer, ctx: Context, now: datetime
) -> Change:
    """The project after ``command``, or ``ProtocolError`` naming the article."""
    decision = check(project, command, actor, ctx, now)
    decision.raise_if_denied()
    spec = ACTIONS[command.action]
    body, text, p = actor.body_id or "", command.text.strip(), project
    match command.action:
        case ResearchAction.JOIN | ResearchAction.DECLINE:
            joined = command.action is ResearchAction.JOIN
            p = replace(p, participants=answered(p.participants, body, joined, actor, now, text))
        case ResearchAction.ADD_RESEARCHER:
            p = replace(p, researchers=(*p.researchers, Researcher(body, text, now, actor.id)))
        case ResearchAction.POST_RESULT:
            assert command.item_id
            result = Result(command.item_id, body, text, now, actor.id, command.document_id)
            p = replace(p, results=(*p.results, result))
        case ResearchAction.COMPLETE:
            p = replace(p, final=FinalResults(text, actor.id, now))
        case ResearchAction.CANCEL:
            p = replace(p, cancel_reason=text)
    p = replace(p, state=spec.target or p.state, version=p.version + 1)
    return Change(p, spec.event, decision)


def allowed_actions(
    project: Project, actor: Officer, ctx: Context, now: datetime
) -> list[ResearchAction]:
    """Actions the actor may take now, given a text (for menus)."""
    return [
        a
        for a in ResearchAction
        if check(project, ResearchCommand(a, text="-", item_id="-new-"), actor, ctx, now).allowed
    ]


__all__ = [
    "ACTIONS", "Change", "FinalResults", "Project", "Proposal", "ResearchAction",
    "ResearchCommand", "ResearchState", "Researcher", "Result", "allowed_actions", "check",
    "check_proposal", "propose", "transition",
]  # fmt: skip
