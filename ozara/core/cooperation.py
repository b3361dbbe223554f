"""Cooperation around a request: representatives (Art. 8), consultations (Art. 11), costs (Art. 12).

These are actions of the request's own lifecycle (``ozara.core.actions``): they belong to a
request, follow its state and its two bodies, and travel between the nodes as the other
actions do. None of them moves the request to another state; each changes the request's
``Cooperation`` (a value kept with the request) and leaves one event.

The structured part of each action travels in ``Command.details``, JSON as it is sent::

    propose_participation  {"representatives": [{"name", "post", "body"}],
                            "date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD",
                            "actions": ["what they would take part in", ...]}
    answer_participation   {"proposal": n, "decision": "agreed" | "refused",
                            "agreed": ["name", ...]}           (agreed: optional, a subset)
    record_participation   {"proposal": n, "took_part": ["name", ...]}
    record_consultation    {"bodies": [...], "persons": [...], "held_on": "YYYY-MM-DD",
                            "subject": one of SUBJECTS}        (text: the outcome)
    propose_costs          {"shares": [{"borne_by": "requesting" | "requested", "what",
                            "amount": "1500.00" | null, "currency": "USD" | null}]}
    answer_costs           {"proposal": n, "decision": "accepted" | "rejected"}

Parsing here is pure and strict: an unknown key is refused (a typo would be lost on the
other node), and every fault names its field, rule and article.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ozara.core.actions import ACTIONS, Action, State
from ozara.core.events import Side
from ozara.core.parties import Officer, Registry
from ozara.core.rules import Violation, violation

#: The cooperation actions; the generic action menus leave them out (they need a form).
COOPERATION_ACTIONS = frozenset({
    Action.PROPOSE_PARTICIPATION, Action.ANSWER_PARTICIPATION, Action.RECORD_PARTICIPATION,
    Action.RECORD_CONSULTATION, Action.PROPOSE_COSTS, Action.ANSWER_COSTS,
})  # fmt: skip

#: What a consultation is about (Art. 11: a request, or a disagreement over one).
SUBJECTS = ("request", "refusal", "conditions", "postponement", "participation", "costs", "other")
#: The command keys of each action: the payload that travels, and nothing else.
PAYLOAD_KEYS: Mapping[Action, frozenset[str]] = {
    Action.PROPOSE_PARTICIPATION: frozenset({"representatives", "date_from", "date_to", "actions"}),
    Action.ANSWER_PARTICIPATION: frozenset({"proposal", "decision", "agreed"}),
    Action.RECORD_PARTICIPATION: frozenset({"proposal", "took_part"}),
    Action.RECORD_CONSULTATION: frozenset({"bodies", "persons", "held_on", "subject"}),
    Action.PROPOSE_COSTS: frozenset({"shares"}),
    Action.ANSWER_COSTS: frozenset({"proposal", "decision"}),
}
_REQUIRED_KEYS: Mapping[Action, frozenset[str]] = {
    **PAYLOAD_KEYS,
    Action.ANSWER_PARTICIPATION: frozenset({"proposal", "decision"}),
}
MAX_ITEMS = 20
MAX_NAME = 200
MAX_LINE = 1000
_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217


class Status(enum.StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"  # participation
    REFUSED = "refused"
    ACCEPTED = "accepted"  # costs
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Representative:
    name: str
    post: str
    body: str


@dataclass(frozen=True, slots=True)
class Participation:
    """A request that representatives of the requesting body take part (Art. 8)."""

    number: int
    representatives: tuple[Representative, ...]
    date_from: date
    date_to: date
    actions: tuple[str, ...]
    proposed_by: str
    proposed_at: datetime
    note: str = ""
    status: Status = Status.PROPOSED
    #: The names the requested body agreed to (all of them, or some).
    agreed: tuple[str, ...] = ()
    answered_by: str | None = None
    answered_at: datetime | None = None
    reasons: str = ""
    #: Who actually took part: None until recorded, then a subset of ``agreed``.
    took_part: tuple[str, ...] | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    def agreed_representatives(self) -> tuple[Representative, ...]:
        return tuple(r for r in self.representatives if r.name in self.agreed)


@dataclass(frozen=True, slots=True)
class Consultation:
    """Consultations and negotiations held on the request or a disagreement (Art. 11)."""

    number: int
    bodies: tuple[str, ...]
    persons: tuple[str, ...]
    held_on: date
    subject: str
    outcome: str
    recorded_by: str
    body_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class CostShare:
    borne_by: Side
    what: str
    amount: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CostProposal:
    """Costs borne otherwise than each Party its own, agreed for this case (Art. 12)."""

    number: int
    side: Side  # the side that proposed; the other one answers
    shares: tuple[CostShare, ...]
    description: str
    proposed_by: str
    proposed_at: datetime
    status: Status = Status.PROPOSED
    answered_by: str | None = None
    answered_at: datetime | None = None
    reasons: str = ""


@dataclass(frozen=True, slots=True)
class Cooperation:
    participations: tuple[Participation, ...] = ()
    consultations: tuple[Consultation, ...] = ()
    costs: tuple[CostProposal, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.participations or self.consultations or self.costs)

    def participation(self, number: int) -> Participation | None:
        return next((p for p in self.participations if p.number == number), None)

    def cost_proposal(self, number: int) -> CostProposal | None:
        return next((c for c in self.costs if c.number == number), None)

    def costs_in_force(self) -> CostProposal | None:
        """The last accepted agreement; None: each Party bears its own costs (Art. 12)."""
        accepted = [c for c in self.costs if c.status is Status.ACCEPTED]
        return accepted[-1] if accepted else None

    def agreed_representatives(self) -> tuple[Representative, ...]:
        return tuple(r for p in self.participations for r in p.agreed_representatives())


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


# -- parsing the payload -----------------------------------------------------------------


class _Payload:
    """Reads one command's details, collecting every fault under the action's rule."""

    def __init__(self, details: Mapping[str, Any], rule: str) -> None:
        self.d, self.rule, self.problems = details, rule, list[Violation]()

    def fault(self, name: str, detail: str, rule: str | None = None) -> None:
        self.problems.append(violation(name, rule or self.rule, detail))

    def text(self, value: object, name: str, limit: int = MAX_NAME) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fault(name, "a non-empty text is required")
            return None
        if "\x00" in value or len(value) > limit:
            self.fault(name, f"a text of at most {limit} characters", "input.type")
            return None
        return value.strip()

    def texts(self, name: str, limit: int = MAX_NAME, *, allow_empty: bool = False) -> list[str]:
        raw = self.d.get(name)
        if not isinstance(raw, list) or (not raw and not allow_empty) or len(raw) > MAX_ITEMS:
            low = 0 if allow_empty else 1
            self.fault(name, f"a list of {low} to {MAX_ITEMS} texts")
            return []
        out = [self.text(v, f"{name}[{n}]", limit) for n, v in enumerate(raw)]
        found = [v for v in out if v is not None]
        if len(set(found)) != len(found):
            self.fault(name, "the same entry twice")
        return found

    def day(self, name: str) -> date | None:
        raw = self.d.get(name)
        if isinstance(raw, str) and len(raw) == len("YYYY-MM-DD"):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        self.fault(name, "a date as YYYY-MM-DD", "input.type")
        return None

    def number(self) -> int:
        raw = self.d.get("proposal")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            self.fault("proposal", "the number of the proposal answered")
            return 0
        return raw

    def one_of(self, name: str, options: tuple[str, ...]) -> str | None:
        raw = self.d.get(name)
        if raw not in options:
            self.fault(name, f"one of {', '.join(options)}")
            return None
        return str(raw)


def _keys(action: Action, details: Mapping[str, Any], p: _Payload) -> None:
    for key in sorted(set(details) - PAYLOAD_KEYS[action]):
        p.fault(key, f"known: {', '.join(sorted(PAYLOAD_KEYS[action]))}", "input.unknown_field")
    for key in sorted(_REQUIRED_KEYS[action] - set(details)):
        p.fault(key, "this field is required")


def _representatives(p: _Payload, requesting_body: str) -> tuple[Representative, ...]:
    raw = p.d.get("representatives")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        p.fault("representatives", f"a list of 1 to {MAX_ITEMS} representatives")
        return ()
    out: list[Representative] = []
    for n, item in enumerate(raw):
        where = f"representatives[{n}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "post", "body"}:
            p.fault(where, "each representative gives exactly name, post and body")
            continue
        name, post = p.text(item["name"], f"{where}.name"), p.text(item["post"], f"{where}.post")
        body = p.text(item["body"], f"{where}.body", 64)
        if body is not None and body != requesting_body:
            # Art. 8 admits representatives of the requesting body, not of a third one.
            p.fault(f"{where}.body", f"a representative of {requesting_body}, not {body}")
        if name is not None and post is not None and body is not None:
            out.append(Representative(name, post, body))
    if len({r.name for r in out}) != len(out):
        p.fault("representatives", "the same name twice: each representative once")
    return tuple(out)


def _shares(p: _Payload) -> tuple[CostShare, ...]:
    raw = p.d.get("shares")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        p.fault("shares", f"a list of 1 to {MAX_ITEMS} shares: who bears what")
        return ()
    out = []
    for n, item in enumerate(raw):
        where = f"shares[{n}]"
        if (
            not isinstance(item, Mapping)
            or not {"borne_by", "what"} <= set(item)
            or not set(item) <= {"borne_by", "what", "amount", "currency"}
        ):
            p.fault(where, "borne_by and what, with amount and currency if known")
            continue
        if item["borne_by"] not in (Side.REQUESTING.value, Side.REQUESTED.value):
            p.fault(f"{where}.borne_by", "requesting or requested")
            continue
        what = p.text(item["what"], f"{where}.what", MAX_LINE)
        amount, currency = item.get("amount"), item.get("currency")
        if (amount is None) != (currency is None):
            p.fault(f"{where}.amount", "an amount and its currency, both or neither")
            continue
        if amount is not None and not (isinstance(amount, str) and _AMOUNT.fullmatch(amount)):
            p.fault(f"{where}.amount", "a decimal amount such as 1500.00", "input.type")
            continue
        if currency is not None and not (
            isinstance(currency, str) and _CURRENCY.fullmatch(currency)
        ):
            p.fault(f"{where}.currency", "an ISO 4217 code such as USD", "input.type")
            continue
        if what is not None:
            out.append(CostShare(Side(item["borne_by"]), what, amount, currency))
    return tuple(out)


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
    p = _Payload(details, rules[action])
    _keys(action, details, p)
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
    case: Case, p: _Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    representatives = _representatives(p, case.requesting_body)
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
    co: Cooperation, p: _Payload, text: str, actor: Officer, now: datetime
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
    co: Cooperation, p: _Payload, actor: Officer, now: datetime
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
    case: Case, p: _Payload, text: str, actor: Officer, registry: Registry, now: datetime
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
    case: Case, p: _Payload, text: str, actor: Officer, now: datetime
) -> _Parsed | None:
    co = case.cooperation
    shares = _shares(p)
    if any(c.status is Status.PROPOSED for c in co.costs):
        p.fault("action", "a cost proposal awaits its answer: the other body answers it first")
    side = side_of(case, actor)
    if p.problems or side is None:
        return None
    number = len(co.costs) + 1
    new = CostProposal(number, side, shares, text.strip(), actor.id, now)
    return _Parsed(replace(co, costs=(*co.costs, new)), {"number": number})


def _answer_costs(
    case: Case, p: _Payload, text: str, actor: Officer, now: datetime
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
