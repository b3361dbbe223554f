"""The rows the calendar reads: open request deadlines of the requests a body takes part in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, or_, select

from ozara.store import tables as t


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    request_id: str
    kind: str
    due_at: datetime
    #: The body that must act before the deadline.
    body_id: str


def open_deadlines(conn: Connection, body_id: str, until: datetime) -> list[DeadlineRow]:
    """Running deadlines due by ``until`` (overdue ones included) on the body's requests.

    Those the body owes and those it waits for: a requesting body sees when its request is
    due from the requested body as well as its own 72-hour confirmation.
    """
    d, r = t.request_deadlines, t.requests
    q = (
        select(d.c.request_id, d.c.kind, d.c.due_at, d.c.body_id)
        .join(r, r.c.id == d.c.request_id)
        .where(d.c.met_at.is_(None), d.c.paused_at.is_(None), d.c.due_at <= until)
        .where(
            or_(
                d.c.body_id == body_id,
                r.c.requesting_body == body_id,
                r.c.requested_body == body_id,
            )
        )
        .order_by(d.c.due_at, d.c.request_id)
    )
    return [DeadlineRow(*row) for row in conn.execute(q).tuples()]
