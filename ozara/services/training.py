"""Use cases for training events (Art. 5 para 4).

Each function is one transaction: load, ask the core (``core.training``), store, audit, and
with ``peers`` queue the documents for the other nodes in the same transaction
(``federation.training``); with ``peers=None`` everything stays on this node.

The host body's node holds the event of record and orders its actions, as the lead's node
does for an operation (docs/training.md). A nomination, or its withdrawal, made on another
node is checked by the core there, so that the officer hears at once what the Protocol
forbids (a Party not invited, no place left, the deadline passed), but it is not applied
there: it goes to the host's node, which decides again and sends the applied action to
every invited Party's node. ``act_on_event`` then returns the copy unchanged, with
``forwarded`` set.

Errors: ``ProtocolError`` (a rule of Art. 4, 5 or 16), ``AccessDenied`` (an officer of no
competent body, or of a body the event does not concern), ``NotFound``, ``ConcurrentChange``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ozara.core.calendar import Entry, EntryKind
from ozara.core.deadlines import require_utc
from ozara.core.parties import Officer, Party
from ozara.core.rules import Decision
from ozara.core.training import (
    EventState,
    TrainingAction,
    TrainingCommand,
    TrainingEvent,
    allowed_actions,
    announce,
    check,
    places_left,
    transition,
)
from ozara.core.training_forms import parse_announcement
from ozara.services.joint import audit_file_change, audit_viewed
from ozara.services.operations import context
from ozara.services.requests import AccessDenied
from ozara.store.training import EventRow, TrainingRepository
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "EventView", "Outcome", "TrainingPeers", "act_on_event", "announce_event",
    "calendar_entries", "list_events", "show_event",
]  # fmt: skip


class TrainingPeers(Protocol):
    """The other nodes, told of every change inside the change's own transaction.

    ``ozara.federation.training.FederatedTrainingPeers`` implements it. It may raise to
    refuse the change (a Party no node serves, a head without a signing key): the
    transaction then rolls back and nothing is changed.
    """

    def host_elsewhere(self, uow: SqlUnitOfWork, event: TrainingEvent) -> bool:
        """Is the event's host body hosted by another node?"""
        ...

    def announced(
        self, uow: SqlUnitOfWork, *, event: TrainingEvent, actor: Officer, now: datetime
    ) -> None: ...

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        event: TrainingEvent,
        command: TrainingCommand,
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: TrainingEvent,
        after: TrainingEvent,
        command: TrainingCommand,
        actor: Officer,
        now: datetime,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    event: TrainingEvent
    #: The action went to the host's node, which applies it and sends it back to all.
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class EventView:
    event: TrainingEvent
    allowed: list[TrainingAction]
    received_from: str | None
    announcement_signed: bool


def _officer(uow: SqlUnitOfWork, actor_id: str) -> tuple[Officer, Party]:
    actor = uow.registry.officer(actor_id)
    body = uow.registry.registry().get(actor.body_id or "")
    if body is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: training events are theirs")
    return actor, body.party


def audit_change(  # noqa: PLR0917 -- the row's six parts
    uow: SqlUnitOfWork,
    at: datetime,
    actor: Officer,
    name: str,
    event: TrainingEvent,
    decision: Decision,
    details: dict[str, Any] | None = None,
) -> None:
    audit_file_change(uow, at, actor, name, "training_event", event, decision.articles, details)


def command_details(command: TrainingCommand) -> dict[str, Any]:
    """What an audit row keeps of a command: ids, never the nominee's personal data."""
    out: dict[str, Any] = {"action": command.action.value}
    for key in ("nomination_id", "item_id"):
        if (value := getattr(command, key)) is not None:
            out[key] = value
    return out


def announce_event(
    uow: SqlUnitOfWork,
    document: object,
    actor_id: str,
    now: datetime,
    peers: TrainingPeers | None = None,
) -> str:
    """The actor's body announces an event to the Parties it gives places; returns its id."""
    now = require_utc(now)
    actor, _ = _officer(uow, actor_id)
    announcement = parse_announcement(document)
    assert actor.body_id is not None
    change = announce(str(uuid.uuid4()), announcement, actor.body_id, actor, context(uow), now)
    event = change.event
    TrainingRepository(uow.connection).add(event, now)
    parties = [p.value for p in announcement.parties]
    audit_change(uow, now, actor, change.name, event, change.decision, {"parties": parties})
    if peers is not None:
        peers.announced(uow, event=event, actor=actor, now=now)
    uow.commit()
    return event.id


def act_on_event(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    event_id: str,
    command: TrainingCommand,
    actor_id: str,
    now: datetime,
    peers: TrainingPeers | None = None,
) -> Outcome:
    """Nominate, withdraw, confirm, decline, close, hold or cancel."""
    now = require_utc(now)
    actor, _ = _officer(uow, actor_id)
    repo = TrainingRepository(uow.connection)
    before = repo.get(event_id).event
    if command.action is TrainingAction.NOMINATE:
        command = replace(command, item_id=command.item_id or str(uuid.uuid4()))
    if peers is not None and peers.host_elsewhere(uow, before):
        decision = check(before, command, actor, context(uow), now)
        decision.raise_if_denied()
        peers.forwarded(uow, event=before, command=command, actor=actor, now=now)
        audit_change(uow, now, actor, "training:action_sent", before, decision,
                     command_details(command))  # fmt: skip
        uow.commit()
        return Outcome(before, forwarded=True)
    change = transition(before, command, actor, context(uow), now)
    repo.save(change.event, before, now)
    audit_change(uow, now, actor, change.name, change.event, change.decision,
                 command_details(command))  # fmt: skip
    if peers is not None:
        peers.changed(uow, before=before, after=change.event, command=command, actor=actor,
                      now=now)  # fmt: skip
    uow.commit()
    return Outcome(change.event)


def show_event(uow: SqlUnitOfWork, event_id: str, actor_id: str, now: datetime) -> EventView:
    """The event as the actor's body may see it: it hosts it or its Party is invited."""
    now = require_utc(now)
    actor, party = _officer(uow, actor_id)
    stored = TrainingRepository(uow.connection).get(event_id)
    event = stored.event
    if not event.involves(actor.body_id, party):
        raise AccessDenied(f"training event {event_id} does not concern {actor.body_id}")
    view = EventView(
        event,
        allowed_actions(event, actor, context(uow), now),
        stored.received_from,
        stored.announcement_signature is not None,
    )
    audit_viewed(uow, now, actor, "training:viewed", ("training_event", event_id))
    uow.commit()
    return view


def list_events(
    uow: SqlUnitOfWork, actor_id: str, *, state: EventState | None = None, limit: int = 100
) -> list[EventRow]:
    """The events the actor's body hosts or its Party is invited to."""
    actor, party = _officer(uow, actor_id)
    assert actor.body_id is not None
    return TrainingRepository(uow.connection).visible_to(
        actor.body_id, party, state=state, limit=max(1, min(limit, 500))
    )


#: Events a body hosts or is invited to, at most, per state in one calendar.
MAX_CALENDAR_EVENTS = 200


def calendar_entries(uow: SqlUnitOfWork, actor: Officer, until: datetime) -> Iterator[Entry]:
    """Art. 5 para 4, for the calendar (``services.calendar.SOURCES``): the days of each event
    the actor's body hosts or its Party is invited to (not a cancelled one), and, while an
    invited Party may still nominate, the nomination deadline (done once its places are
    all taken). The days are the ones the event's page shows to the same bodies."""
    body = uow.registry.registry().get(actor.body_id or "")
    if body is None:
        return
    repo = TrainingRepository(uow.connection)
    live = (EventState.ANNOUNCED, EventState.CLOSED, EventState.HELD)
    rows = [
        row for state in live
        for row in repo.visible_to(body.id, body.party, state=state, limit=MAX_CALENDAR_EVENTS)
    ]  # fmt: skip
    for row in rows:
        path = f"/training/{row.id}"
        first, last = row.dates
        if first <= until.date():
            yield Entry(EntryKind.TRAINING_EVENT, row.id, first, row.host_body, path,
                        end=last, detail=row.title)  # fmt: skip
        if row.state is not EventState.ANNOUNCED or row.nomination_deadline > until.date():
            continue
        event = repo.get(row.id).event
        if event.invites(body.party):
            full = places_left(event)[body.party] == 0
            yield Entry(EntryKind.NOMINATION_DEADLINE, row.id, row.nomination_deadline, body.id,
                        path, detail=row.title, done=full)  # fmt: skip
