"""Training events (Art. 5 para 4) as a node holds them.

The event is kept whole as its JSON form (``TrainingEvent.to_dict``); ``training_parties``
is written beside it on every save, so that "the events open to my Party" is an index
lookup. Saves are optimistic: a save that finds another version raises
``ConcurrentChange``. Like every repository it never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from ozara.core.parties import Party
from ozara.core.training import EventKind, EventState, TrainingEvent
from ozara.core.training_forms import load_event
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.repository import ConcurrentChange, NotFound

_E = t.training_events.c
_P = t.training_parties.c


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event: TrainingEvent
    #: ``None`` on the host's node; else the node it came from.
    received_from: str | None
    #: The announcement's officer signature (``OfficerSignature.to_json``), if any.
    announcement_signature: dict[str, Any] | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRow:
    """What a listing shows."""

    id: str
    kind: EventKind
    title: str
    host_body: str
    state: EventState
    dates: tuple[date, date]
    nomination_deadline: date
    version: int
    updated_at: datetime


@dataclass(slots=True)
class TrainingRepository:
    conn: Connection

    def add(
        self,
        event: TrainingEvent,
        now: datetime,
        *,
        received_from: str | None = None,
        signature: dict[str, Any] | None = None,
    ) -> None:
        self.conn.execute(
            insert(t.training_events).values(
                id=event.id, host_body=event.host_body, created_at=event.created_at,
                received_from=received_from, announcement_signature=signature, updated_at=now,
                **self._columns(event),
            )
        )  # fmt: skip
        self._write_index(event)

    def save(self, event: TrainingEvent, previous: TrainingEvent, now: datetime) -> None:
        changed = self.conn.execute(
            update(t.training_events)
            .where(_E.id == event.id, _E.version == previous.version)
            .values(**self._columns(event), updated_at=now)
        )
        if changed.rowcount != 1:
            raise ConcurrentChange(event.id)

    def set_signature(self, event_id: str, signature: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.training_events)
            .where(_E.id == event_id)
            .values(announcement_signature=signature)
        )

    def get(self, event_id: str) -> StoredEvent:
        found = self.conn.execute(select(t.training_events).where(_E.id == event_id)).mappings()
        row = found.first()
        if row is None:
            raise NotFound("training event", event_id)
        return StoredEvent(
            load_event(at_rest.unseal_json(self.conn, row["content"], _place(event_id))),
            row["received_from"],
            row["announcement_signature"],
            row["updated_at"],
        )

    def visible_to(
        self,
        body_id: str,
        party: Party,
        *,
        state: EventState | None = None,
        limit: int = 100,
    ) -> list[EventRow]:
        """Events the body hosts or its Party is invited to, most recently changed first."""
        invited = select(_P.event_id).where(_P.party == party.value)
        q = select(
            _E.id, _E.kind, _E.title, _E.host_body, _E.state, _E.date_from, _E.date_to,
            _E.nomination_deadline, _E.version, _E.updated_at,
        ).where(or_(_E.host_body == body_id, _E.id.in_(invited)))  # fmt: skip
        if state is not None:
            q = q.where(_E.state == state.value)
        q = q.order_by(_E.updated_at.desc(), _E.id).limit(limit)
        return [
            EventRow(
                r.id, EventKind(r.kind), r.title, r.host_body, EventState(r.state),
                (r.date_from, r.date_to), r.nomination_deadline, r.version, r.updated_at,
            )
            for r in self.conn.execute(q).all()
        ]  # fmt: skip

    def _columns(self, event: TrainingEvent) -> dict[str, Any]:
        a = event.announcement
        return {
            "kind": a.kind.value,
            "title": a.title,
            "state": event.state.value,
            "date_from": a.date_from,
            "date_to": a.date_to,
            "nomination_deadline": a.nomination_deadline,
            "content": at_rest.seal_json(self.conn, event.to_dict(), _place(event.id)),
            "version": event.version,
        }

    def _write_index(self, event: TrainingEvent) -> None:
        """The places never change after the announcement: written once, with it."""
        table = t.training_parties
        self.conn.execute(delete(table).where(table.c.event_id == event.id))
        self.conn.execute(
            insert(table),
            [
                {"event_id": event.id, "party": p.value, "places": n}
                for p, n in event.announcement.places
            ],
        )


def _place(event_id: str) -> str:
    """Where a training event's content belongs (encrypted at rest: ``at_rest_rotation``)."""
    return f"training_events.content:{event_id}"
