"""Training events (Art. 5 para 4): "help in training staff" through internships,
conferences, seminars, courses and trainings, as a state machine written as a table (like
``operations.py``).

A host body announces an event (its kind, title, topic, dates, venues, language, a
nomination deadline and the places it offers each invited Party, its own Party included
only if it gives itself places). Competent bodies of an invited Party nominate participants
until the deadline, within their Party's places; the host confirms or declines each
nomination, and a body may withdraw its own nomination while it is pending. The host
closes nominations, records that the event was held, or cancels it. A held or cancelled
event does not change. Each decision names its rules, and so its articles (Art. 4, 5, 16).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ozara.core.actions import HEAD, OPS
from ozara.core.lifecycle import Context
from ozara.core.parties import Officer, Party, Role
from ozara.core.rules import Decision, Violation, violation

MAX_TEXT = 20_000
MAX_NAME = 300
MAX_PLACES = 500  # per Party: a conference hall, not a stadium
MAX_VENUES = 10


class EventKind(enum.StrEnum):
    """The forms Art. 5 para 4 lists."""

    INTERNSHIP = "internship"
    CONFERENCE = "conference"
    SEMINAR = "seminar"
    COURSE = "course"
    TRAINING = "training"


class EventState(enum.StrEnum):
    ANNOUNCED = "announced"  # open for nominations until the deadline
    CLOSED = "closed"  # closed for nominations; the host still decides pending ones
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (EventState.HELD, EventState.CANCELLED)


class NominationState(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def holds_place(self) -> bool:
        """Pending and confirmed nominations count against the Party's places."""
        return self in (NominationState.PENDING, NominationState.CONFIRMED)


class TrainingAction(enum.StrEnum):
    NOMINATE = "nominate"
    WITHDRAW = "withdraw"
    CONFIRM = "confirm"
    DECLINE = "decline"
    CLOSE = "close"
    HOLD = "hold"
    CANCEL = "cancel"


class Actor(enum.StrEnum):
    """Who takes an action: the host body, a body of an invited Party, or the body that made
    the nomination the action is about."""

    HOST = "host"
    INVITED = "invited"
    NOMINATOR = "nominator"


@dataclass(frozen=True, slots=True)
class TrainingSpec:
    actor: Actor
    roles: frozenset[Role]
    sources: frozenset[EventState]
    target: EventState | None  # None: the event's state does not change
    rule: str
    event: str


_AN, _CL = EventState.ANNOUNCED, EventState.CLOSED
_OPEN, _NEW = frozenset({_AN, _CL}), frozenset({_AN})
_X, _H, _I, _N = TrainingAction, Actor.HOST, Actor.INVITED, Actor.NOMINATOR
_HOST, _INV, _NOM = "art5.training_host", "art5.training_invited", "art5.training_nomination"
_Row = tuple[TrainingAction, Actor, frozenset[Role], frozenset[EventState], EventState | None,
             str, str]  # fmt: skip
# fmt: off
_ROWS: list[_Row] = [
    # action       actor roles from   to                    rule   event
    (_X.NOMINATE,  _I,   OPS,  _NEW,  None,                 _INV,  "nominated"),
    (_X.WITHDRAW,  _N,   OPS,  _OPEN, None,                 _NOM,  "nomination_withdrawn"),
    (_X.CONFIRM,   _H,   OPS,  _OPEN, None,                 _HOST, "nomination_confirmed"),
    (_X.DECLINE,   _H,   OPS,  _OPEN, None,                 _HOST, "nomination_declined"),
    (_X.CLOSE,     _H,   OPS,  _NEW,  _CL,                  _HOST, "closed"),
    (_X.HOLD,      _H,   OPS,  _OPEN, EventState.HELD,      _HOST, "held"),
    (_X.CANCEL,    _H,   HEAD, _OPEN, EventState.CANCELLED, _HOST, "cancelled"),
]
# fmt: on
ACTIONS: dict[TrainingAction, TrainingSpec] = {
    a: TrainingSpec(actor, roles, sources, target, rule, f"training:{event}")
    for a, actor, roles, sources, target, rule, event in _ROWS
}


@dataclass(frozen=True, slots=True)
class Announcement:
    """What the host body announces."""

    kind: EventKind
    title: str
    topic: str
    date_from: date
    date_to: date
    venues: tuple[str, ...]
    language: str
    nomination_deadline: date
    #: Places offered to each invited Party (the host's own only if it gives itself some).
    places: tuple[tuple[Party, int], ...]

    def places_for(self, party: Party | None) -> int | None:
        return next((n for p, n in self.places if p is party), None)

    @property
    def parties(self) -> tuple[Party, ...]:
        return tuple(p for p, _ in self.places)


@dataclass(frozen=True, slots=True)
class Nominee:
    name: str
    post: str
    contact: str


@dataclass(frozen=True, slots=True)
class Nomination:
    id: str
    body_id: str
    party: Party
    nominee: Nominee
    at: datetime
    by: str
    state: NominationState = NominationState.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TrainingEvent:
    id: str
    host_body: str
    host_party: Party
    announcement: Announcement
    created_at: datetime
    created_by: str
    state: EventState = EventState.ANNOUNCED
    nominations: tuple[Nomination, ...] = ()
    #: What the host recorded when it was held, or why it was cancelled.
    closing_text: str = ""
    version: int = 1

    def nomination(self, nomination_id: str | None) -> Nomination | None:
        return next((n for n in self.nominations if n.id == nomination_id), None)

    def taken(self, party: Party) -> int:
        return sum(1 for n in self.nominations if n.party is party and n.state.holds_place)

    def invites(self, party: Party | None) -> bool:
        return self.announcement.places_for(party) is not None

    def involves(self, body_id: str | None, party: Party | None) -> bool:
        """The host body and every body of an invited Party see the event."""
        return body_id == self.host_body or self.invites(party)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, stored and compared (``training_forms.event_json``)."""
        from ozara.core.training_forms import event_json  # noqa: PLC0415 -- a cycle

        return event_json(self)


@dataclass(frozen=True, slots=True)
class TrainingCommand:
    action: TrainingAction
    #: A decline's or cancellation's reasons, what a held event gave (optional but cancel's).
    text: str = ""
    #: WITHDRAW, CONFIRM, DECLINE: the nomination.
    nomination_id: str | None = None
    #: NOMINATE: who, and the new nomination's id (chosen once, where the action is taken).
    nominee: Nominee | None = None
    item_id: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    event: TrainingEvent
    name: str
    decision: Decision


def _deny(rules: tuple[str, ...], where: str, rule: str, detail: str | None = None) -> Decision:
    return Decision(False, rules, (violation(where, rule, detail),))


def _party_of(ctx: Context, body_id: str | None, now: datetime) -> tuple[Party | None, bool]:
    """The body's Party and whether it is designated now (Art. 4)."""
    body = ctx.registry.get(body_id or "")
    if body is None:
        return None, False
    return body.party, body.is_designated(now)


# -- announcement ----------------------------------------------------------------------


def check_announcement(
    announcement: Announcement, host_body: str, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` announce this event hosted by ``host_body`` now? (Art. 4, 5, 16)."""
    rules = ("art5.training_host", "art4.designated", "art16.in_force")
    if actor.body_id != host_body:
        return _deny(rules, "host_body", "art5.training_host", "the host body's staff announce")
    if not actor.roles & HEAD:
        return _deny(rules, "actor", "lifecycle.role", "the head of the host body or a deputy")
    host_party, designated = _party_of(ctx, host_body, now)
    if host_party is None or not designated:
        return _deny(rules, "host_body", "art4.designated", f"{host_body} is not designated")
    problems: list[Violation] = []
    if announcement.nomination_deadline < now.date():
        detail = f"{announcement.nomination_deadline.isoformat()} has passed"
        problems.append(violation("nomination_deadline", "art5.training_deadline", detail))
    if not [p for p in announcement.parties if p is not host_party]:
        detail = "places for at least one other Party"
        problems.append(violation("places", "art5.training_parties", detail))
    for party in announcement.parties:
        if party is host_party:
            continue
        pair = ctx.treaty.check_pair(host_party, party, now.date())
        problems += [replace(v, field=f"places.{party.value}") for v in pair.violations]
    return Decision(not problems, rules, tuple(problems))


def announce(  # noqa: PLR0917 -- the event's id, what, the host, who, the world, when
    event_id: str,
    announcement: Announcement,
    host_body: str,
    actor: Officer,
    ctx: Context,
    now: datetime,
) -> Change:
    """A new event, announced to every invited Party; or ``ProtocolError``."""
    decision = check_announcement(announcement, host_body, actor, ctx, now)
    decision.raise_if_denied()
    host_party, _ = _party_of(ctx, host_body, now)
    assert host_party is not None
    event = TrainingEvent(event_id, host_body, host_party, announcement, now, actor.id)
    return Change(event, "training:announced", decision)


# -- actions ---------------------------------------------------------------------------


def check(
    event: TrainingEvent, command: TrainingCommand, actor: Officer, ctx: Context, now: datetime
) -> Decision:
    """May ``actor`` take ``command`` on ``event`` now? The first rule in the way."""
    spec = ACTIONS[command.action]
    rules = (spec.rule, "art4.designated")
    if event.state.is_terminal:
        return _deny(rules, "event", "art5.training_state", f"the event is {event.state.value}")
    if event.state not in spec.sources:
        detail = f"{command.action.value} is not possible while it is {event.state.value}"
        return _deny(rules, "event", "art5.training_state", detail)
    party, designated = _party_of(ctx, actor.body_id, now)
    problem = _who(event, command, spec, actor, party)
    if problem is None and not actor.roles & spec.roles:
        problem = violation("actor", "lifecycle.role", f"{command.action.value}: another role")
    if problem is None and not designated:
        problem = violation("actor", "art4.designated", f"{actor.body_id} is not designated")
    if problem is None:
        problem = _rules(event, command, party, ctx, now)
    if problem is not None:
        return Decision(False, rules, (problem,))
    return Decision(True, (spec.rule, "art4.designated", "art16.in_force"))


def _who(
    event: TrainingEvent,
    command: TrainingCommand,
    spec: TrainingSpec,
    actor: Officer,
    party: Party | None,
) -> Violation | None:
    body = actor.body_id
    if spec.actor is Actor.INVITED and party is event.host_party and not event.invites(party):
        detail = f"the host gave {event.host_party.value} no places of its own"
        return violation("actor", "art5.training_own_party", detail)
    if not event.involves(body, party):
        return violation("actor", "art5.training_invited", f"{body}'s Party is not invited")
    match spec.actor:
        case Actor.HOST if body != event.host_body:
            return violation("actor", "art5.training_host", f"the host is {event.host_body}")
        case Actor.INVITED if not event.invites(party):
            return violation("actor", "art5.training_invited", f"{body}'s Party is not invited")
        case Actor.NOMINATOR:
            nomination = event.nomination(command.nomination_id)
            if nomination is None:
                return violation("nomination_id", _NOM, "no such nomination")
            if nomination.body_id != body:
                return violation("actor", _NOM, f"{nomination.body_id} made this nomination")
    return None


def _rules(
    event: TrainingEvent,
    command: TrainingCommand,
    party: Party | None,
    ctx: Context,
    now: datetime,
) -> Violation | None:
    action, text = command.action, command.text.strip()
    if len(text) > MAX_TEXT:
        return violation("text", "input.type", f"at most {MAX_TEXT} characters")
    if action is TrainingAction.CANCEL and not text:
        return violation("text", "art5.training_required", "the reasons for cancelling")
    if action is TrainingAction.HOLD and now.date() < event.announcement.date_from:
        detail = f"it begins on {event.announcement.date_from.isoformat()}"
        return violation("event", "art5.training_dates", detail)
    if action is TrainingAction.NOMINATE:
        assert party is not None  # _who found the Party invited
        return _check_nomination(event, command, party, ctx, now)
    if action in (TrainingAction.WITHDRAW, TrainingAction.CONFIRM, TrainingAction.DECLINE):
        nomination = event.nomination(command.nomination_id)
        if nomination is None:
            return violation("nomination_id", _NOM, "no such nomination")
        if nomination.state is not NominationState.PENDING:
            return violation("nomination_id", _NOM, f"it is {nomination.state.value} already")
    return None


def _check_nomination(
    event: TrainingEvent, command: TrainingCommand, party: Party, ctx: Context, now: datetime
) -> Violation | None:
    deadline = event.announcement.nomination_deadline
    if now.date() > deadline:
        return violation("event", "art5.training_deadline", f"it was {deadline.isoformat()}")
    if party is not event.host_party:
        pair = ctx.treaty.check_pair(event.host_party, party, now.date())
        if pair.violations:
            return pair.violations[0]
    nominee = command.nominee
    if nominee is None or not nominee.name.strip() or not nominee.post.strip():
        return violation("nominee", "art5.training_required", "the nominee's name and post")
    if not nominee.contact.strip():
        return violation("nominee.contact", "art5.training_required", "a way to reach them")
    places = event.announcement.places_for(party) or 0
    if event.taken(party) >= places:
        detail = f"{party.value} has {places} place(s), all nominated"
        return violation("nominee", "art5.training_quota", detail)
    if not command.item_id:
        return violation("item_id", "input.type", "an id for the new nomination")
    if event.nomination(command.item_id) is not None:
        return violation("item_id", "input.type", "a nomination with this id exists")
    return None


def transition(
    event: TrainingEvent,
    command: TrainingCommand,
    actor: Officer,
    ctx: Context,
    now: datetime,
) -> Change:
    """The event after ``command``, or ``ProtocolError`` naming the article."""
    decision = check(event, command, actor, ctx, now)
    decision.raise_if_denied()
    spec = ACTIONS[command.action]
    text, out = command.text.strip(), event
    decided = {
        TrainingAction.WITHDRAW: NominationState.WITHDRAWN,
        TrainingAction.CONFIRM: NominationState.CONFIRMED,
        TrainingAction.DECLINE: NominationState.DECLINED,
    }
    match command.action:
        case TrainingAction.NOMINATE:
            assert command.item_id and command.nominee
            party, _ = _party_of(ctx, actor.body_id, now)
            assert party is not None
            nominee = Nominee(*(s.strip() for s in (
                command.nominee.name, command.nominee.post, command.nominee.contact
            )))  # fmt: skip
            made = Nomination(command.item_id, actor.body_id or "", party, nominee, now, actor.id)
            out = replace(out, nominations=(*out.nominations, made))
        case TrainingAction.WITHDRAW | TrainingAction.CONFIRM | TrainingAction.DECLINE:
            state = decided[command.action]
            out = replace(out, nominations=tuple(
                replace(n, state=state, decided_at=now, decided_by=actor.id, reason=text)
                if n.id == command.nomination_id else n
                for n in out.nominations
            ))  # fmt: skip
        case TrainingAction.HOLD | TrainingAction.CANCEL:
            out = replace(out, closing_text=text)
    out = replace(out, state=spec.target or out.state, version=out.version + 1)
    return Change(out, spec.event, decision)


def allowed_actions(
    event: TrainingEvent, actor: Officer, ctx: Context, now: datetime
) -> list[TrainingAction]:
    """Actions the actor may take now on some nomination of theirs (for menus)."""
    out = []
    pending = [n for n in event.nominations if n.state is NominationState.PENDING]
    own = next((n.id for n in pending if n.body_id == actor.body_id), None)
    anyone = pending[0].id if pending else None
    probe_nominee = Nominee("-", "-", "-")
    for action in TrainingAction:
        nid = own if action is TrainingAction.WITHDRAW else anyone
        probe = TrainingCommand(action, "-", nid, probe_nominee, "-")
        if check(event, probe, actor, ctx, now).allowed:
            out.append(action)
    return out


def places_left(event: TrainingEvent) -> Mapping[Party, int]:
    """For each invited Party, the places not held by a pending or confirmed nomination."""
    return {p: max(0, n - event.taken(p)) for p, n in event.announcement.places}


__all__ = [
    "ACTIONS", "Announcement", "Change", "EventKind", "EventState", "Nomination",
    "NominationState", "Nominee", "TrainingAction", "TrainingCommand", "TrainingEvent",
    "allowed_actions",
    "announce", "check", "check_announcement", "places_left", "transition",
]  # fmt: skip
