"""Cooperation around a request: representatives (Art. 8), consultations (Art. 11), costs (Art. 12).

These are actions of the request's own lifecycle (``ozara.core.actions``): they belong to a
request, follow its state and its two bodies, and travel between the nodes as the other
actions do. None of them moves the request to another state; each changes the request's
``Cooperation`` (a value kept with the request) and leaves one event.

The structured part of each action travels in ``Command.details``: its keys and their
parsing are in ``cooperation_payload``, the values it yields in ``cooperation_values``.
This module decides: whether the action may be taken on this request, by this officer,
now (``check``), what it changes (``apply``), and which forms to offer (``offered``). The
public names of the two other modules stay importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from ozara.core.actions import ACTIONS, Action, State
from ozara.core.cooperation_payload import (
    MAX_ITEMS,
    MAX_LINE,
    MAX_NAME,
    PAYLOAD_KEYS,
    SUBJECTS,
    Payload,
    check_keys,
    read_representatives,
    read_shares,
)
from ozara.core.cooperation_values import (
    Consultation,
    Cooperation,
    CostProposal,
    CostShare,
    Participation,
    Representative,
    Status,
)
from ozara.core.events import Side
from ozara.core.parties import Officer, Registry
from ozara.core.rules import Violation

__all__ = [
    "COOPERATION_ACTIONS",
    "MAX_ITEMS",
    "MAX_LINE",
    "MAX_NAME",
    "PAYLOAD_KEYS",
    "SUBJECTS",
    "Case",
    "Consultation",
    "Cooperation",
    "CostProposal",
    "CostShare",
    "Participation",
    "Representative",
    "Status",
    "apply",
    "check",
    "offered",
    "side_of",
]

#: The cooperation actions; the generic action menus leave them out (they need a form).
COOPERATION_ACTIONS = frozenset({
    Action.PROPOSE_PARTICIPATION, Action.ANSWER_PARTICIPATION, Action.RECORD_PARTICIPATION,
    Action.RECORD_CONSULTATION, Action.PROPOSE_COSTS, Action.ANSWER_COSTS,
})  # fmt: skip


class Case(Protocol):
    """What the checks need of a request (``lifecycle.Request`` is one)."""

    @property
    def state(self) -> State: ...
    @property
    def requested_body(self) -> str: ...
    @property
    def conditions(self) -> str | None: ...
    @property
    def partially_refused(self) -> bool: ...
    @property
    def cooperation(self) -> Cooperation: ...
    @property
    def requesting_body(self) -> str: ...


# -- the checks and the effect -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Parsed:
    cooperation: Cooperation
    details: dict[str, Any]


def check(
    case: Case,
    action: Action,
    *,
    details: Mapping[str, Any],
    text: str,
    actor: Officer,
    registry: Registry,
    now: datetime,
) -> list[Violation]:
    """Every fault of a cooperation action (state, side and role are checked before)."""
    _, problems = _evaluate(case, action, details, text, actor, registry, now)
    return problems


def apply(
    case: Case,
    action: Action,
    *,
    details: Mapping[str, Any],
    text: str,
    actor: Officer,
    registry: Registry,
    now: datetime,
) -> tuple[Cooperation, dict[str, Any]]:
    """The new cooperation value and what the event records besides the command."""
    parsed, problems = _evaluate(case, action, details, text, actor, registry, now)
    assert parsed is not None and not problems  # ``check`` passed first
    return parsed.cooperation, parsed.details


def _evaluate(  # noqa: PLR0917 -- the action's whole context
    case: Case,
    action: Action,
    details: Mapping[str, Any],
    text: str,
    actor: Officer,
    registry: Registry,
    now: datetime,
) -> tuple[_Parsed | None, list[Violation]]:
    rules = {
        Action.PROPOSE_PARTICIPATION: "art8.representatives",
        Action.ANSWER_PARTICIPATION: "art8.answer",
        Action.RECORD_PARTICIPATION: "art8.not_agreed",
        Action.RECORD_CONSULTATION: "art11.consultation",
        Action.PROPOSE_COSTS: "art12.costs",
        Action.ANSWER_COSTS: "art12.answer",
    }
    p = Payload(details, rules[action])
    check_keys(action, details, p)
    if p.problems:
        return None, p.problems
    co = case.cooperation
    parsed: _Parsed | None
    match action:
        case Action.PROPOSE_PARTICIPATION:
            parsed = _propose_participation(case, p, text, actor, now)
        case Action.ANSWER_PARTICIPATION:
            parsed = _answer_participation(co, p, text, actor, now)
        case Action.RECORD_PARTICIPATION:
            parsed = _record_participation(co, p, actor, now)
        case Action.RECORD_CONSULTATION:
            parsed = _consultation(case, p, text, actor, registry, now)
        case Action.PROPOSE_COSTS:
            parsed = _propose_costs(case, p, text, actor, now)
        case _:
            parsed = _answer_costs(case, p, text, actor, now)
    return (parsed if not p.problems else None), p.problems


def _propose_participation(
    case: Case, p: Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    representatives = read_representatives(p, case.requesting_body)
    start, end = p.day("date_from"), p.day("date_to")
    actions = p.texts("actions", MAX_LINE)
    if start is not None and end is not None:
        if end < start:
            p.fault("date_to", "the last day comes on or after the first", "art8.participation")
        # A day's slack: the officer's calendar day may be behind UTC's.
        elif end < (now - timedelta(days=1)).date():
            p.fault("date_to", "the days of participation are already past", "art8.participation")
    if any(x.status is Status.PROPOSED for x in co.participations):
        p.fault(
            "action",
            "a participation request awaits its answer: the requested body answers it first",
            "art8.participation",
        )
    if p.problems or start is None or end is None:
        return None
    number = len(co.participations) + 1
    new = Participation(
        number, representatives, start, end, tuple(actions), actor.id, now, note=text.strip()
    )
    return _Parsed(replace(co, participations=(*co.participations, new)), {"number": number})


def _answer_participation(
    co: Cooperation, p: Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    number, decision = p.number(), p.one_of("decision", (Status.AGREED, Status.REFUSED))
    found = co.participation(number) if number else None
    if number and found is None:
        p.fault("proposal", f"there is no participation request no. {number}")
    elif found is not None and found.status is not Status.PROPOSED:
        p.fault("proposal", f"participation request no. {number} is already {found.status}")
    if p.problems or found is None:
        return None
    names = [r.name for r in found.representatives]
    agreed: list[str] = []
    if decision == Status.AGREED:
        agreed = p.texts("agreed") if "agreed" in p.d else names
        for name in agreed:
            if name not in names:
                p.fault("agreed", f"{name!r} is not among the representatives proposed")
        if len(agreed) < len(names) and not text.strip():
            p.fault("text", "agreeing to some representatives only, give the reasons")
    else:
        if "agreed" in p.d:
            p.fault("agreed", "a refusal agrees to nobody")
        if not text.strip():
            p.fault("text", "a refusal states its reasons")
    if p.problems or decision is None:
        return None
    answered = replace(
        found, status=Status(decision), agreed=tuple(n for n in names if n in agreed),
        answered_by=actor.id, answered_at=now, reasons=text.strip(),
    )  # fmt: skip
    out = tuple(answered if x.number == number else x for x in co.participations)
    return _Parsed(replace(co, participations=out), {})


def _record_participation(
    co: Cooperation, p: Payload, actor: Officer, now: datetime
) -> _Parsed | None:
    number = p.number()
    took_part = p.texts("took_part", allow_empty=True)
    found = co.participation(number) if number else None
    if number and found is None:
        p.fault("proposal", f"there is no participation request no. {number}")
    elif found is not None and found.status is not Status.AGREED:
        p.fault("proposal", f"participation request no. {number} was not agreed ({found.status})")
    elif found is not None and found.took_part is not None:
        p.fault("proposal", f"who took part under no. {number} is already recorded")
    elif found is not None:
        for n, name in enumerate(took_part):
            if name not in found.agreed:
                p.fault(
                    f"took_part[{n}]",
                    f"{name!r} was not agreed by the requested body and cannot have taken part",
                )
    if p.problems or found is None:
        return None
    done = replace(found, took_part=tuple(took_part), recorded_by=actor.id, recorded_at=now)
    out = tuple(done if x.number == number else x for x in co.participations)
    return _Parsed(replace(co, participations=out), {})


def _consultation(  # noqa: PLR0917
    case: Case, p: Payload, text: str, actor: Officer, registry: Registry, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    bodies, persons = p.texts("bodies", 64), p.texts("persons")
    held_on, subject = p.day("held_on"), p.one_of("subject", SUBJECTS)
    for n, body in enumerate(bodies):
        if registry.get(body) is None:
            p.fault(f"bodies[{n}]", f"unknown body {body!r}", "art4.designated")
    if actor.body_id not in bodies:
        p.fault("bodies", f"the recording body {actor.body_id} took part in it")
    if held_on is not None and held_on > (now + timedelta(days=1)).date():
        p.fault("held_on", "a consultation is recorded once it has been held")
    if subject == "refusal" and not (case.state is State.REFUSED or case.partially_refused):
        p.fault("subject", "the request has not been refused, in full or in part")
    if subject == "conditions" and case.conditions is None:
        p.fault("subject", "no conditions were proposed on this request")
    if subject == "participation" and not co.participations:
        p.fault("subject", "no participation was requested on this request")
    if subject == "costs" and not co.costs:
        p.fault("subject", "no cost agreement was proposed on this request")
    if p.problems or held_on is None or subject is None:
        return None
    number = len(co.consultations) + 1
    new = Consultation(
        number, tuple(bodies), tuple(persons), held_on, subject, text.strip(), actor.id,
        actor.body_id or "", now,
    )  # fmt: skip
    return _Parsed(replace(co, consultations=(*co.consultations, new)), {"number": number})


def side_of(case: Case, actor: Officer) -> Side | None:
    if actor.body_id == case.requesting_body:
        return Side.REQUESTING
    if actor.body_id == case.requested_body:
        return Side.REQUESTED
    return None


def _propose_costs(
    case: Case, p: Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    shares = read_shares(p)
    if any(c.status is Status.PROPOSED for c in co.costs):
        p.fault("action", "a cost proposal awaits its answer: the other body answers it first")
    side = side_of(case, actor)
    if p.problems or side is None:
        return None
    number = len(co.costs) + 1
    new = CostProposal(number, side, shares, text.strip(), actor.id, now)
    return _Parsed(replace(co, costs=(*co.costs, new)), {"number": number})


def _answer_costs(
    case: Case, p: Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    number = p.number()
    decision = p.one_of("decision", (Status.ACCEPTED, Status.REJECTED))
    found = co.cost_proposal(number) if number else None
    if number and found is None:
        p.fault("proposal", f"there is no cost proposal no. {number}")
    elif found is not None and found.status is not Status.PROPOSED:
        # A new agreement needs a new proposal: an answer is given once.
        p.fault("proposal", f"cost proposal no. {number} is already {found.status}")
    elif found is not None and found.side is side_of(case, actor):
        p.fault("actor", "the proposing body does not answer its own proposal")
    if p.problems or found is None or decision is None:
        return None
    answered = replace(
        found, status=Status(decision), answered_by=actor.id, answered_at=now,
        reasons=text.strip(),
    )  # fmt: skip
    out = tuple(answered if x.number == number else x for x in co.costs)
    return _Parsed(replace(co, costs=out), {})


def offered(case: Case, actor: Officer) -> frozenset[Action]:
    """The cooperation forms ``actor`` may use now: state, side and role allow the action,
    and there is something to answer or record. The payload is checked on submission."""
    side = side_of(case, actor)
    if side is None:
        return frozenset()
    co, out = case.cooperation, set()
    for action in COOPERATION_ACTIONS:
        spec = ACTIONS[action]
        if case.state in spec.sources and spec.side in (None, side) and actor.roles & spec.roles:
            out.add(action)
    pending_costs = [c for c in co.costs if c.status is Status.PROPOSED]
    if not any(p.status is Status.PROPOSED for p in co.participations):
        out.discard(Action.ANSWER_PARTICIPATION)
    else:
        out.discard(Action.PROPOSE_PARTICIPATION)
    if not any(p.status is Status.AGREED and p.took_part is None for p in co.participations):
        out.discard(Action.RECORD_PARTICIPATION)
    if not any(c.side is not side for c in pending_costs):
        out.discard(Action.ANSWER_COSTS)
    if pending_costs:
        out.discard(Action.PROPOSE_COSTS)
    return frozenset(out)
