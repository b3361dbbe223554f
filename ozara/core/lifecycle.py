"""The life of a request (Art. 6–9) as an explicit state machine.

``transition(request, command, actor, context, now)`` is the only way a request
changes. It checks, in order: the state allows the action (the table in
``ozara.core.actions``), the actor's body is on the right side, the actor has the role,
the action's own rules (reasons for a refusal, a designated target for a forwarding,
the treaty in force on sending...). It returns the new request and its events, or
raises ``ProtocolError`` naming the article.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ozara.core import cooperation as coop
from ozara.core import deadlines as dl
from ozara.core.actions import ACTIONS, HEAD, OPS, Action, ActionSpec, State
from ozara.core.deadlines import Deadline, DeadlineKind
from ozara.core.events import RequestEvent, Side
from ozara.core.parties import Officer, Registry
from ozara.core.requests import RequestContent, check_parties
from ozara.core.rules import RULES, Decision, ProtocolError, Violation, violation
from ozara.core.treaty import TreatyStatus

__all__ = [
    "ACTIONS",
    "Action",
    "Command",
    "Context",
    "Request",
    "State",
    "Transition",
    "allowed_actions",
    "check",
    "new_request",
    "transition",
]


@dataclass(frozen=True, slots=True)
class Command:
    action: Action
    #: Reasons, conditions, results, the information asked or given, the circumstances.
    text: str = ""
    #: A partial refusal or partial results (Art. 9 para 1, Art. 7 para 7).
    partial: bool = False
    #: The body a request is forwarded to (Art. 7 para 4).
    target_body: str | None = None
    #: Free details kept with the event (reference numbers, refused items...).
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Context:
    """What the core must know of the world at the moment of the action."""

    registry: Registry
    treaty: TreatyStatus


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    content: RequestContent
    created_at: datetime
    created_by: str
    state: State = State.DRAFT
    #: The body now holding the request; differs from the content's after a forwarding.
    requested_body: str = ""
    signed_by: str | None = None
    signed_at: datetime | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    confirmed_at: datetime | None = None
    deadlines: tuple[Deadline, ...] = ()
    conditions: str | None = None
    conditions_accepted: bool | None = None
    postponed_at: datetime | None = None
    partially_refused: bool = False
    outcome: str | None = None
    #: Representatives, consultations and costs (Art. 8, 11, 12; ``core.cooperation``).
    cooperation: coop.Cooperation = field(default_factory=coop.Cooperation)
    version: int = 0

    @property
    def requesting_body(self) -> str:
        return self.content.requesting_body

    def deadline(self, kind: DeadlineKind) -> Deadline | None:
        return next((d for d in self.deadlines if d.kind is kind), None)

    def open_deadlines(self) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.is_open())

    def overdue(self, now: datetime) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.is_overdue(now))

    @property
    def awaiting_confirmation(self) -> bool:
        return (
            self.content.urgent
            and self.signed_at is None
            and self.sent_at is not None
            and self.confirmed_at is None
        )

    def side_of(self, officer: Officer) -> Side | None:
        if officer.body_id == self.content.requesting_body:
            return Side.REQUESTING
        if officer.body_id == self.requested_body:
            return Side.REQUESTED
        return None


def deadline_owner(request: Request, kind: DeadlineKind) -> str:
    """The body that must act before the deadline.

    The written confirmation is owed by the requesting body (Art. 6 para 4); forwarding
    and execution by the body holding the request (Art. 7 paras 2 and 4).
    """
    if kind is DeadlineKind.URGENT_CONFIRMATION:
        return request.content.requesting_body
    return request.requested_body


def new_request(request_id: str, content: RequestContent, actor: Officer, now: datetime) -> Request:
    """A draft, created by an officer of the requesting body."""
    if actor.body_id != content.requesting_body or not (actor.roles & OPS):
        raise ProtocolError(
            [
                violation(
                    "requesting_body",
                    "lifecycle.role",
                    "only the requesting body's staff draft its requests",
                )
            ]
        )
    return Request(
        request_id, content, dl.require_utc(now), actor.id, requested_body=content.requested_body
    )


@dataclass(frozen=True, slots=True)
class Transition:
    request: Request
    events: tuple[RequestEvent, ...]


def check(
    request: Request, command: Command, actor: Officer, context: Context, now: datetime
) -> Decision:
    """May ``actor`` take ``command`` on ``request`` now? Every violation, with its article."""
    spec = ACTIONS[command.action]
    problems = _check_state(request, command.action, spec)
    if problems:
        return Decision(False, (spec.rule,), tuple(problems))
    problems = _check_actor(request, command.action, spec, actor)
    if not problems:
        problems = _check_rules(request, command, spec, context, dl.require_utc(now), actor=actor)
    return Decision(not problems, (spec.rule,), tuple(problems))


def allowed_actions(
    request: Request, actor: Officer, context: Context, now: datetime
) -> list[Action]:
    """Actions the actor may take now, not counting a missing text (for menus)."""
    out = []
    for action, spec in ACTIONS.items():
        if action in coop.COOPERATION_ACTIONS:
            continue  # each needs its own form (``cooperation.offered``), not a text
        probe = Command(action, text="-" if spec.needs_text else "")
        if action is Action.FORWARD:
            if not _forward_targets(request, context, now):
                continue
            probe = replace(probe, target_body=_forward_targets(request, context, now)[0])
        if check(request, probe, actor, context, now).allowed:
            out.append(action)
    return out


def _forward_targets(request: Request, context: Context, now: datetime) -> list[str]:
    current = context.registry.get(request.requested_body)
    if current is None:
        return []
    return [b.id for b in context.registry.designated(now, current.party) if b.id != current.id]


def _check_state(request: Request, action: Action, spec: ActionSpec) -> list[Violation]:
    if request.state in spec.sources:
        if action is Action.CONFIRM and not request.awaiting_confirmation:
            return [
                violation(
                    "action",
                    "art6.urgent_confirmation",
                    "there is no urgent request awaiting written confirmation",
                )
            ]
        if action is Action.CLOSE and request.awaiting_confirmation:
            return [
                violation(
                    "action",
                    "art6.urgent_confirmation",
                    "confirm the urgent request in writing before closing it",
                )
            ]
        return []
    if action is Action.SEND and request.state is State.DRAFT:
        return [violation("state", "art6.written", "sign the request first")]
    if action is Action.SEND_URGENT and request.state is State.SIGNED:
        return [violation("state", "art6.urgent", "a signed request is sent with 'send'")]
    if action in coop.COOPERATION_ACTIONS:
        return [violation("state", spec.rule, f"not while the request is {request.state.value!r}")]
    return [
        violation(
            "state",
            "lifecycle.transition",
            f"{action.value!r} is not allowed while the request is "
            f"{request.state.value!r}; see {RULES[spec.rule].article}",
        )
    ]


def _check_actor(
    request: Request, action: Action, spec: ActionSpec, actor: Officer
) -> list[Violation]:
    if spec.side is None:
        if request.side_of(actor) is None:
            return [
                violation(
                    "actor",
                    "lifecycle.role",
                    f"{action.value!r} is for staff of {request.content.requesting_body!r} "
                    f"or {request.requested_body!r}",
                )
            ]
    elif request.side_of(actor) is not spec.side:
        body = (
            request.content.requesting_body
            if spec.side is Side.REQUESTING
            else request.requested_body
        )
        return [
            violation("actor", "lifecycle.role", f"{action.value!r} is for staff of body {body!r}")
        ]
    if not (actor.roles & spec.roles):
        if spec.roles == HEAD:
            rule = "art6.signatory" if action in (Action.SIGN, Action.CONFIRM) else "lifecycle.role"
            if action in coop.COOPERATION_ACTIONS:
                rule = spec.rule
            return [
                violation(
                    "actor",
                    rule,
                    f"{action.value!r} needs the head of the body or a deputy (role 'signatory')",
                )
            ]
        return [
            violation(
                "actor",
                "lifecycle.role",
                f"role(s) {sorted(r.value for r in actor.roles)} may not {action.value!r}",
            )
        ]
    return []


def _check_rules(
    request: Request,
    command: Command,
    spec: ActionSpec,
    context: Context,
    now: datetime,
    *,
    actor: Officer,
) -> list[Violation]:
    problems: list[Violation] = []
    action = command.action
    if spec.needs_text and not command.text.strip():
        problems.append(violation("text", spec.rule, "a text is required"))
    if action is Action.SEND_URGENT and not request.content.urgent:
        problems.append(
            violation(
                "urgent", "art6.urgent", "the request is not marked urgent; sign it and send it"
            )
        )
    if action in (Action.SEND, Action.SEND_URGENT, Action.RECEIVE):
        problems.extend(check_parties(request.content, context.registry, context.treaty, now))
    if action is Action.FORWARD:
        problems.extend(_check_forward(request, command, context, now))
    if action in coop.COOPERATION_ACTIONS and not problems:
        found = coop.check(
            request, action, details=command.details, text=command.text, actor=actor,
            registry=context.registry, now=now,
        )  # fmt: skip
        problems.extend(found)
    return problems


def _check_forward(
    request: Request, command: Command, context: Context, now: datetime
) -> list[Violation]:
    target_id = command.target_body
    if not target_id:
        return [violation("target_body", "art7.forwarding", "name the competent body")]
    target = context.registry.get(target_id)
    current = context.registry.get(request.requested_body)
    if target is None or not target.is_designated(now):
        return [violation("target_body", "art4.designated", f"{target_id!r} is not designated")]
    if current is not None and target.party is not current.party:
        return [
            violation(
                "target_body",
                "art7.forwarding",
                "a request is passed only to a competent body of the same state",
            )
        ]
    if target.id == request.requested_body:
        return [violation("target_body", "art7.forwarding", "the body already holds it")]
    return []


def transition(
    request: Request, command: Command, actor: Officer, context: Context, now: datetime
) -> Transition:
    """Apply ``command``: the new request and its events, or ``ProtocolError``."""
    now = dl.require_utc(now)
    check(request, command, actor, context, now).raise_if_denied()
    spec = ACTIONS[command.action]
    new, details = _apply(request, command, actor, context, now)
    state_to = spec.target if spec.target is not None else request.state
    if command.action is Action.REFUSE and command.partial:
        state_to = request.state  # the rest of the request is still executed (Art. 9 para 1)
        new = replace(new, partially_refused=True)
    if state_to.is_terminal or state_to in (State.EXECUTED, State.REFUSED):
        new = _settle_deadlines(new, now, keep_confirmation=not state_to.is_terminal)
    new = replace(new, state=state_to, version=request.version + 1)
    event = RequestEvent(
        request_id=request.id,
        name=spec.event
        if not (command.action is Action.REFUSE and command.partial)
        else "request:partially_refused",
        at=now,
        actor_id=actor.id,
        body_id=actor.body_id,
        state_from=request.state.value,
        state_to=state_to.value,
        articles=(RULES[spec.rule].article,),
        details={
            **dict(command.details),
            **details,
            **({"text": command.text} if command.text else {}),
        },
        notify=spec.notify if spec.side is not None else _other(request.side_of(actor)),
    )
    return Transition(new, (event,))


def _other(side: Side | None) -> Side | None:
    """The side told of an action either side may take (Art. 11, 12)."""
    if side is None:
        return None
    return Side.REQUESTED if side is Side.REQUESTING else Side.REQUESTING


def _apply(
    request: Request, command: Command, actor: Officer, context: Context, now: datetime
) -> tuple[Request, dict[str, Any]]:
    """The action's own effect on the request's fields and deadlines."""
    a = command.action
    r = request
    if a is Action.SIGN:
        return replace(r, signed_by=actor.id, signed_at=now), {}
    if a is Action.SEND:
        return replace(r, sent_at=now), {}
    if a is Action.SEND_URGENT:
        due = dl.confirmation_due(now)
        return (
            replace(r, sent_at=now, deadlines=(Deadline(DeadlineKind.URGENT_CONFIRMATION, due),)),
            {"confirmation_due": due.isoformat()},
        )
    if a is Action.CONFIRM:
        return (
            replace(
                r,
                confirmed_at=now,
                signed_by=actor.id,
                signed_at=now,
                deadlines=_meet(r.deadlines, DeadlineKind.URGENT_CONFIRMATION, now),
            ),
            {"late": now >= (dl.confirmation_due(r.sent_at) if r.sent_at else now)},
        )
    if a is Action.RECEIVE:
        body = context.registry.get(r.requested_body)
        assert body is not None  # check_parties passed
        execution = dl.execution_due(now, body.zone, r.content.agreed_term_days)
        forwarding = dl.forwarding_due(now, body.zone)
        return (
            replace(
                r,
                received_at=now,
                deadlines=(
                    *r.deadlines,
                    Deadline(DeadlineKind.EXECUTION, execution),
                    Deadline(DeadlineKind.FORWARDING, forwarding),
                ),
            ),
            {"execution_due": execution.isoformat(), "forwarding_due": forwarding.isoformat()},
        )
    if a is Action.FORWARD:
        fwd = r.deadline(DeadlineKind.FORWARDING)
        late = fwd is not None and now >= fwd.due_at
        return (
            replace(
                r,
                requested_body=command.target_body or r.requested_body,
                deadlines=_meet(r.deadlines, DeadlineKind.FORWARDING, now),
            ),
            {"from_body": r.requested_body, "to_body": command.target_body, "late": late},
        )
    if a is Action.START_EXECUTION:
        return replace(r, deadlines=_meet(r.deadlines, DeadlineKind.FORWARDING, now)), {}
    if a in (Action.REQUEST_INFO, Action.PROPOSE_CONDITIONS, Action.REFUSE):
        r = replace(r, deadlines=_meet(r.deadlines, DeadlineKind.FORWARDING, now))
        if a is Action.PROPOSE_CONDITIONS:
            resumed: dict[str, Any] = {}
            if r.state is State.POSTPONED:
                # Conditions replace the postponement (Art. 7 para 6): end it as a resumption
                # would, adding its days, or the clock would stay stopped for good.
                r, resumed = _resume(r, now, context)
            return replace(r, conditions=command.text, conditions_accepted=None), resumed
        if a is Action.REFUSE and not command.partial:
            r = replace(r, outcome="refused")
        return r, {"partial": command.partial} if a is Action.REFUSE else {}
    if a is Action.POSTPONE:
        return (
            replace(
                r,
                postponed_at=now,
                deadlines=_meet(_pause(r.deadlines, now), DeadlineKind.FORWARDING, now),
            ),
            {},
        )
    if a is Action.RESUME:
        return _resume(r, now, context)
    if a is Action.ACCEPT_CONDITIONS:
        return replace(r, conditions_accepted=True), {"conditions": r.conditions}
    if a is Action.DECLINE_CONDITIONS:
        return replace(r, conditions_accepted=False), {"conditions": r.conditions}
    if a is Action.EXECUTE:
        return (
            # A request refused in part is executed in part at most (Art. 9 para 1).
            replace(
                r,
                outcome="executed_partial"
                if command.partial or r.partially_refused
                else "executed_full",
            ),
            {"partial": command.partial},
        )
    if a is Action.WITHDRAW:
        return replace(r, outcome="withdrawn"), {}
    if a in coop.COOPERATION_ACTIONS:
        co, details = coop.apply(
            r, a, details=command.details, text=command.text, actor=actor,
            registry=context.registry, now=now,
        )  # fmt: skip
        return replace(r, cooperation=co), details
    return r, {}


def _resume(r: Request, now: datetime, context: Context) -> tuple[Request, dict[str, Any]]:
    assert r.postponed_at is not None
    # The term keeps the calendar of the body that first received the request.
    first = context.registry.get(r.content.requested_body)
    zone = first.zone if first is not None else None
    out = [
        replace(
            d, due_at=dl.extend_for_postponement(d.due_at, d.paused_at, now, zone), paused_at=None
        )
        if d.kind is DeadlineKind.EXECUTION and d.paused_at is not None
        else d
        for d in r.deadlines
    ]
    execution = next(d for d in out if d.kind is DeadlineKind.EXECUTION)
    return (
        replace(r, postponed_at=None, deadlines=tuple(out)),
        {"execution_due": execution.due_at.isoformat()},
    )


def _meet(
    deadlines: tuple[Deadline, ...], kind: DeadlineKind, now: datetime
) -> tuple[Deadline, ...]:
    return tuple(
        replace(d, met_at=now) if d.kind is kind and d.met_at is None else d for d in deadlines
    )


def _pause(deadlines: tuple[Deadline, ...], now: datetime) -> tuple[Deadline, ...]:
    return tuple(
        replace(d, paused_at=now) if d.kind is DeadlineKind.EXECUTION and d.met_at is None else d
        for d in deadlines
    )


def _settle_deadlines(r: Request, now: datetime, *, keep_confirmation: bool) -> Request:
    """The request has left the requested body's hands: its clocks stop.

    The urgent confirmation stays open after an execution or refusal: the written
    form is still owed (Art. 6 para 4), only a withdrawal or closing ends it.
    """
    out = tuple(
        d
        if (
            d.met_at is not None
            or (keep_confirmation and d.kind is DeadlineKind.URGENT_CONFIRMATION)
        )
        else replace(d, met_at=now, paused_at=None)
        for d in r.deadlines
    )
    return replace(r, deadlines=out, postponed_at=None)


def creation_event(request: Request) -> RequestEvent:
    """The first event of every request: its draft was created (Art. 6 para 1)."""
    return RequestEvent(
        request_id=request.id,
        name="request:created",
        at=request.created_at,
        actor_id=request.created_by,
        body_id=request.content.requesting_body,
        state_from=State.DRAFT.value,
        state_to=State.DRAFT.value,
        articles=("Art. 6 para 1",),
        details={"urgent": request.content.urgent},
    )
