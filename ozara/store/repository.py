"""Repositories: domain objects in, domain objects out, over one open connection.

The repositories never commit; the unit of work does, so a state change, its events
and its audit rows land together or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ozara.core import cooperation_forms
from ozara.core.actions import TERMINAL, State
from ozara.core.deadlines import Deadline, DeadlineKind
from ozara.core.events import RequestEvent, Side
from ozara.core.lifecycle import Request, deadline_owner
from ozara.core.parties import CompetentBody, Officer, Party, Registry, Role
from ozara.core.requests import RequestContent, content_from_stored
from ozara.core.rules import RULESET_VERSION
from ozara.core.treaty import NotificationKind, TreatyNotification, TreatyStatus
from ozara.documents.fields import format_time
from ozara.store import at_rest, audit_context
from ozara.store import tables as t
from ozara.store.audit import EntryFields, canonical_details, entry_bytes


class OpenDeadline(NamedTuple):
    request_id: str
    kind: str
    due_at: datetime
    body_id: str  # the body that must act


class ConcurrentChange(Exception):
    """Someone else changed the request between our read and our write."""


class NotFound(LookupError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind, self.key = kind, key


_SELECT_OFFICER = select(t.officers).where(t.officers.c.id == bindparam("b_id"))
_SELECT_BODIES = select(t.competent_bodies)
_SELECT_NOTIFICATIONS = select(t.treaty_notifications).order_by(t.treaty_notifications.c.id)


def _particulars(body: CompetentBody) -> dict[str, Any]:
    """A body's columns other than its id."""
    return {
        "party": body.party.value,
        "name_ru": body.name_ru,
        "name_en": body.name_en,
        "timezone": body.timezone,
        "designated_from": body.designated_from,
        "designated_until": body.designated_until,
    }


@dataclass(slots=True)
class RegistryRepository:
    conn: Connection

    def add_body(self, body: CompetentBody) -> None:
        self.conn.execute(insert(t.competent_bodies).values(id=body.id, **_particulars(body)))

    def update_body(self, body: CompetentBody) -> None:
        """Change a known body's particulars (a change of designation, Art. 4)."""
        self.conn.execute(
            update(t.competent_bodies)
            .where(t.competent_bodies.c.id == body.id)
            .values(**_particulars(body))
        )

    def registry(self) -> Registry:
        rows = self.conn.execute(_SELECT_BODIES).mappings()
        return Registry.of(
            CompetentBody(
                r["id"],
                Party(r["party"]),
                r["name_ru"],
                r["name_en"],
                r["timezone"],
                r["designated_from"],
                r["designated_until"],
            )
            for r in rows
        )

    def add_officer(self, officer: Officer, now: datetime) -> None:
        self.conn.execute(
            insert(t.officers).values(
                id=officer.id,
                name=officer.name,
                body_id=officer.body_id,
                roles=",".join(sorted(r.value for r in officer.roles)),
                post=officer.post,
                created_at=now,
            )
        )

    def officer(self, officer_id: str) -> Officer:
        row = self.conn.execute(_SELECT_OFFICER, {"b_id": officer_id}).mappings().first()
        if row is None:
            raise NotFound("officer", officer_id)
        return Officer(
            row["id"],
            row["name"],
            row["body_id"],
            frozenset(Role(x) for x in row["roles"].split(",") if x),
            row["post"],
        )

    def officers(self) -> list[Officer]:
        ids = self.conn.execute(select(t.officers.c.id).order_by(t.officers.c.id)).scalars()
        return [self.officer(i) for i in ids]

    def add_notification(self, n: TreatyNotification) -> None:
        self.conn.execute(
            insert(t.treaty_notifications).values(
                party=n.party.value,
                kind=n.kind.value,
                received_on=n.received_on,
                effective_on=n.effective_on,
            )
        )

    def notifications(self) -> list[TreatyNotification]:
        rows = self.conn.execute(_SELECT_NOTIFICATIONS).mappings()
        return [
            TreatyNotification(
                Party(r["party"]), NotificationKind(r["kind"]), r["received_on"], r["effective_on"]
            )
            for r in rows
        ]

    def treaty(self) -> TreatyStatus:
        return TreatyStatus.from_notifications(self.notifications())


# Statements built once: building them per call costs more than the SQL itself.
_INSERT_REQUEST = insert(t.requests)
_UPDATE_REQUEST = (
    update(t.requests)
    .where(
        and_(t.requests.c.id == bindparam("b_id"), t.requests.c.version == bindparam("b_version"))
    )
    .values({c.name: bindparam(c.name) for c in t.requests.c if c.name != "id"})
)
_DELETE_DEADLINES = delete(t.request_deadlines).where(
    t.request_deadlines.c.request_id == bindparam("b_id")
)
_INSERT_DEADLINE = insert(t.request_deadlines)
_INSERT_EVENT = insert(t.request_events)
_EV = t.request_events.c
_INSERT_AUDIT = insert(t.audit_log)
# Appending to the audit chain (ozara/store/audit.py). The id is taken from the head
# (last_id + 1), not left to the database: the hash covers the id, so the id must be known
# before the INSERT (a database id would mean INSERT, then UPDATE of the new row with its
# hash, and nullable hash columns), and ids from the head run without gaps (an append rolled
# back rolls the head back too, where a PostgreSQL sequence leaves a hole), so a gap in the
# ids can only be a removed entry. The UPDATE takes the head row's lock (PostgreSQL) until
# the transaction ends, so appends are serialized; SQLite's writers already are (BEGIN
# IMMEDIATE, ozara/store/db.py).
_ADVANCE_AUDIT_HEAD = (
    update(t.audit_head)
    .where(t.audit_head.c.id == 1)
    .values(last_id=t.audit_head.c.last_id + 1)
    .returning(t.audit_head.c.last_id, t.audit_head.c.last_hash)
)
_SET_AUDIT_HEAD = (
    update(t.audit_head).where(t.audit_head.c.id == 1).values(last_hash=bindparam("b_hash"))
)
_SELECT_REQUEST = select(t.requests).where(t.requests.c.id == bindparam("b_id"))
_SELECT_DEADLINES = select(t.request_deadlines).where(
    t.request_deadlines.c.request_id == bindparam("b_id")
)


def _place(request_id: str) -> str:
    """Where a request's content belongs: ``at_rest_rotation.ENCRYPTED`` binds it the same way."""
    return f"requests.content:{request_id}"


def _event_place(event_id: int) -> str:
    """Where an event's details belong (``at_rest_rotation.ENCRYPTED`` binds them alike)."""
    return f"request_events.details:{event_id}"


def request_content(conn: Connection, request_id: str, stored: Any) -> RequestContent:
    """The request's content from its stored column: every read goes through here, as the
    content is encrypted at rest under the node's keyring (ozara/store/at_rest.py); content
    stored in clear before encryption was turned on still reads."""
    return content_from_stored(at_rest.unseal_json(conn, stored, _place(request_id)))


@dataclass(slots=True)
class RequestRepository:
    conn: Connection

    def next_number(self, body_id: str, year: int) -> int:
        key = and_(t.request_counters.c.body_id == body_id, t.request_counters.c.year == year)
        updated = self.conn.execute(
            update(t.request_counters).where(key).values(last=t.request_counters.c.last + 1)
        )
        if updated.rowcount == 0:
            # The first number of the year: another writer may be creating it too, so try
            # in a savepoint and fall back to the increment if it won the race.
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        insert(t.request_counters).values(body_id=body_id, year=year, last=1)
                    )
                return 1
            except IntegrityError:
                self.conn.execute(
                    update(t.request_counters).where(key).values(last=t.request_counters.c.last + 1)
                )
        return int(self.conn.execute(select(t.request_counters.c.last).where(key)).scalar_one())

    def add(self, request: Request, now: datetime) -> None:
        self.conn.execute(_INSERT_REQUEST, {**self._columns(request), "updated_at": now})
        self._write_deadlines(request)

    def save(self, request: Request, previous: Request, now: datetime) -> None:
        """Write the new state if nobody changed the request since ``previous`` was read."""
        params = {**self._columns(request), "updated_at": now}
        params["b_id"], params["b_version"] = params.pop("id"), previous.version
        result = self.conn.execute(_UPDATE_REQUEST, params)
        if result.rowcount != 1:
            raise ConcurrentChange(request.id)
        # Most transitions leave the clocks alone; the owner changes only on forwarding.
        if (request.deadlines, request.requested_body) != (
            previous.deadlines,
            previous.requested_body,
        ):
            self._write_deadlines(request)

    def _write_deadlines(self, request: Request) -> None:
        self.conn.execute(_DELETE_DEADLINES, {"b_id": request.id})
        if request.deadlines:
            self.conn.execute(
                _INSERT_DEADLINE,
                [
                    {
                        "request_id": request.id,
                        "kind": d.kind.value,
                        "body_id": deadline_owner(request, d.kind),
                        "due_at": d.due_at,
                        "met_at": d.met_at,
                        "paused_at": d.paused_at,
                    }
                    for d in request.deadlines
                ],
            )

    def _columns(self, r: Request) -> dict[str, Any]:
        return {
            "id": r.id,
            "state": r.state.value,
            "requesting_body": r.content.requesting_body,
            "requested_body": r.requested_body,
            "urgent": r.content.urgent,
            "crime_category": r.content.crime_category.value,
            "content": at_rest.seal_json(self.conn, r.content.to_dict(), _place(r.id)),
            "created_at": r.created_at,
            "created_by": r.created_by,
            "signed_by": r.signed_by,
            "signed_at": r.signed_at,
            "sent_at": r.sent_at,
            "received_at": r.received_at,
            "confirmed_at": r.confirmed_at,
            "conditions": r.conditions,
            "conditions_accepted": r.conditions_accepted,
            "postponed_at": r.postponed_at,
            "partially_refused": r.partially_refused,
            "outcome": r.outcome,
            "cooperation": cooperation_forms.stored(r.cooperation),
            "version": r.version,
        }

    def get(self, request_id: str) -> Request:
        row = self.conn.execute(_SELECT_REQUEST, {"b_id": request_id}).mappings().first()
        if row is None:
            raise NotFound("request", request_id)
        deadlines = self.conn.execute(_SELECT_DEADLINES, {"b_id": request_id}).mappings()
        return self._request(row, deadlines)

    def _request(self, row: Any, deadlines: Iterable[Any]) -> Request:
        order = list(DeadlineKind)
        return Request(
            id=row["id"],
            content=request_content(self.conn, row["id"], row["content"]),
            created_at=row["created_at"],
            created_by=row["created_by"],
            state=State(row["state"]),
            requested_body=row["requested_body"],
            signed_by=row["signed_by"],
            signed_at=row["signed_at"],
            sent_at=row["sent_at"],
            received_at=row["received_at"],
            confirmed_at=row["confirmed_at"],
            deadlines=tuple(
                sorted(
                    (
                        Deadline(DeadlineKind(d["kind"]), d["due_at"], d["met_at"], d["paused_at"])
                        for d in deadlines
                    ),
                    key=lambda d: order.index(d.kind),
                )
            ),
            conditions=row["conditions"],
            conditions_accepted=row["conditions_accepted"],
            postponed_at=row["postponed_at"],
            partially_refused=row["partially_refused"],
            outcome=row["outcome"],
            cooperation=cooperation_forms.from_json(row["cooperation"]),
            version=row["version"],
        )

    def summaries(
        self,
        body_id: str | None = None,
        state: State | None = None,
        limit: int = 100,
        *,
        requesting: str | None = None,
        requested: str | None = None,
        category: str | None = None,
        other_bodies: Sequence[str] | None = None,
        search: str | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Summary rows (no content parsing) for listings, newest first.

        ``body_id``: either side; ``requesting`` / ``requested``: that side only (outbox,
        inbox); ``other_bodies``: the other side among these (a Party's bodies); ``search``:
        part of the number, case-insensitive; ``ids``: only these requests.
        """
        r = t.requests.c
        q = select(
            r.id, r.state, r.requesting_body, r.requested_body, r.urgent, r.crime_category,
            r.created_at, r.updated_at,
        )  # fmt: skip
        # A request not yet sent is not the requested body's case (``core.access.can_view``).
        sent = r.sent_at.is_not(None)
        if body_id is not None:
            q = q.where((r.requesting_body == body_id) | ((r.requested_body == body_id) & sent))
        if requesting is not None:
            q = q.where(r.requesting_body == requesting)
        if requested is not None:
            q = q.where(r.requested_body == requested, sent)
        if other_bodies is not None:
            column = r.requested_body if requesting is not None else r.requesting_body
            q = q.where(column.in_(list(other_bodies)))
        if state is not None:
            q = q.where(r.state == state.value)
        if category is not None:
            q = q.where(r.crime_category == category)
        if ids is not None:
            q = q.where(r.id.in_(list(ids)))
        if search:
            q = q.where(func.upper(r.id).contains(search.upper(), autoescape=True))
        q = q.order_by(r.created_at.desc(), r.id.desc()).limit(limit)
        return [dict(row) for row in self.conn.execute(q).mappings()]

    def next_deadlines(self, request_ids: Sequence[str]) -> dict[str, OpenDeadline]:
        """The earliest running clock of each listed request (for listings)."""
        d = t.request_deadlines.c
        rows = self.conn.execute(
            select(d.request_id, d.kind, d.body_id, d.due_at)
            .where(d.request_id.in_(list(request_ids)), d.met_at.is_(None), d.paused_at.is_(None))
            .order_by(d.due_at)
        ).all()
        out: dict[str, OpenDeadline] = {}
        for row in rows:
            out.setdefault(
                row.request_id, OpenDeadline(row.request_id, row.kind, row.due_at, row.body_id)
            )
        return out

    def overdue(self, now: datetime, body_id: str | None = None) -> list[OpenDeadline]:
        """Running clocks past due, oldest first: the query the partial index exists for."""
        return self._open_until(now, body_id)

    def due_before(self, until: datetime, body_id: str | None = None) -> list[OpenDeadline]:
        return self._open_until(until, body_id)

    def _open_until(self, until: datetime, body_id: str | None) -> list[OpenDeadline]:
        d = t.request_deadlines
        q = (
            select(d.c.request_id, d.c.kind, d.c.due_at, d.c.body_id)
            .where(d.c.met_at.is_(None), d.c.paused_at.is_(None), d.c.due_at <= until)
            .order_by(d.c.due_at, d.c.request_id)
        )
        if body_id is not None:
            q = q.where(d.c.body_id == body_id)
        return [OpenDeadline(*row) for row in self.conn.execute(q).tuples()]

    def open_parties_view(self) -> list[tuple[str, str, str, str]]:
        """(id, state, requesting body, holding body) of every request not yet finished."""
        r = t.requests
        q = (
            select(r.c.id, r.c.state, r.c.requesting_body, r.c.requested_body)
            .where(r.c.state.not_in([s.value for s in TERMINAL]))
            .order_by(r.c.id)
        )
        return [tuple(row) for row in self.conn.execute(q).tuples()]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.requests)).scalar_one())


@dataclass(slots=True)
class EventRepository:
    conn: Connection

    def add(self, events: Sequence[RequestEvent]) -> None:
        if not events:
            return
        rows = [
            {
                "request_id": e.request_id,
                "name": e.name,
                "at": e.at,
                "actor_id": e.actor_id,
                "body_id": e.body_id,
                "state_from": e.state_from,
                "state_to": e.state_to,
                "articles": list(e.articles),
                "details": e.details,
                "notify": e.notify.value if e.notify else None,
                "ruleset": e.ruleset,
            }
            for e in events
        ]
        if at_rest.keyring_of(self.conn) is None:
            self.conn.execute(_INSERT_EVENT, rows)
            return
        # The details (grounds of a refusal, conditions, what was done) are encrypted at rest,
        # bound to the event's row: its id is known once the row is in.
        for row in rows:
            event_id = self.conn.execute(_INSERT_EVENT.returning(_EV.id), row).scalar_one()
            sealed = at_rest.seal_json(self.conn, row["details"], _event_place(event_id))
            self.conn.execute(
                update(t.request_events).where(_EV.id == event_id), {"details": sealed}
            )

    def for_request(self, request_id: str) -> list[RequestEvent]:
        rows = self.conn.execute(
            select(t.request_events)
            .where(t.request_events.c.request_id == request_id)
            .order_by(t.request_events.c.id)
        ).mappings()
        return [
            RequestEvent(
                request_id=r["request_id"],
                name=r["name"],
                at=r["at"],
                actor_id=r["actor_id"],
                body_id=r["body_id"],
                state_from=r["state_from"],
                state_to=r["state_to"],
                articles=tuple(r["articles"]),
                details=at_rest.unseal_json(self.conn, r["details"], _event_place(r["id"])),
                notify=Side(r["notify"]) if r["notify"] else None,
                ruleset=r["ruleset"],
            )
            for r in rows
        ]


@dataclass(slots=True)
class AuditRepository:
    conn: Connection

    def record(
        self,
        at: datetime,
        *,
        actor_id: str,
        body_id: str | None,
        action: str,
        object_type: str,
        object_id: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an entry to the audit chain (the only writer of ``audit_log``)."""
        head = self.conn.execute(_ADVANCE_AUDIT_HEAD).first()
        if head is None:
            raise RuntimeError("the audit log has no chain head: the schema is not migrated")
        entry_id, prev_hash = head
        origin = audit_context.current()
        if origin is not None and "origin" not in (details or {}):
            details = {**(details or {}), "origin": origin.as_details()}
        entry = entry_bytes(
            EntryFields(
                id=entry_id,
                at=format_time(at),
                actor_id=actor_id,
                body_id=body_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                details=canonical_details(details or {}),
                ruleset=RULESET_VERSION,
                prev_hash=prev_hash,
            )
        )
        digest = hashlib.sha256(entry).hexdigest()
        # The other columns are generated from the bytes (ozara/store/audit_schema.py).
        self.conn.execute(_INSERT_AUDIT, {"id": entry_id, "canonical": entry, "entry_hash": digest})
        self.conn.execute(_SET_AUDIT_HEAD, {"b_hash": digest})

    def for_object(self, object_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(t.audit_log)
            .where(t.audit_log.c.object_id == object_id)
            .order_by(t.audit_log.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one())
