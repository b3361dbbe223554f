"""Correlation notifications in the database (issue 8; ``ozara/services/notifications.py``).

One row per officer and pair of subjects newly linked, written in the correlation job's
transaction; the unread ones of an officer are counted on every page (a partial index on
``read_at IS NULL``). The ``mail_`` columns are the e-mail outbox: a row is due for mail
(``mail_due_at``) when its officer had an address; the mailer reads the due rows, sends
outside any transaction, and marks them sent or failed (a later retry) in a transaction of
its own. Like every repository this module never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update

from ozara.core.correlation import Subject
from ozara.core.parties import Officer, Role
from ozara.store import tables as t
from ozara.store.repository import NotFound

_N = t.correlation_notifications.c
_O = t.officers.c
_L = t.correlations.c
#: The longest e-mail address kept (RFC 5321: 254 characters in a path).
MAX_EMAIL = 254


@dataclass(frozen=True, slots=True)
class Staff:
    """An officer of a body hosted on this node, with their e-mail address if any."""

    officer: Officer
    email: str | None


@dataclass(frozen=True, slots=True)
class NewNotification:
    officer_id: str
    subject: Subject
    other: Subject
    other_body: str
    #: The officer has an e-mail address: the row is queued for mail too.
    mail: bool = False


@dataclass(frozen=True, slots=True)
class StoredNotification:
    id: int
    officer_id: str
    subject: Subject
    other: Subject
    other_body: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class MailBatch:
    """An officer's notifications due for e-mail: one message for them all."""

    officer_id: str
    email: str
    language: str
    ids: tuple[int, ...]
    #: The most attempts any of them has had (the next retry waits longer).
    attempts: int


# -- who works for a body ---------------------------------------------------------------------


def staff_of(conn: Connection, body_ids: Iterable[str]) -> dict[str, list[Staff]]:
    """The officers of ``body_ids`` on this node (one query), by body."""
    wanted = sorted(set(body_ids))
    out: dict[str, list[Staff]] = {b: [] for b in wanted}
    if not wanted:
        return out
    rows = conn.execute(
        select(_O.id, _O.name, _O.body_id, _O.roles, _O.post, _O.email)
        .where(_O.body_id.in_(wanted))
        .order_by(_O.id)
    ).all()
    for r in rows:
        roles = frozenset(Role(x) for x in r.roles.split(",") if x)
        out[r.body_id].append(Staff(Officer(r.id, r.name, r.body_id, roles, r.post), r.email))
    return out


def set_email(conn: Connection, officer_id: str, email: str | None) -> None:
    done = conn.execute(update(t.officers).where(_O.id == officer_id).values(email=email))
    if done.rowcount == 0:
        raise NotFound("officer", officer_id)


def email_of(conn: Connection, officer_id: str) -> str | None:
    row = conn.execute(select(_O.email).where(_O.id == officer_id)).first()
    if row is None:
        raise NotFound("officer", officer_id)
    return row.email  # type: ignore[no-any-return]


# -- writing ----------------------------------------------------------------------------------


def add(conn: Connection, items: Sequence[NewNotification], now: datetime) -> int:
    """Insert the notifications not already held for the same officer and pair of subjects
    (either way round: a second kind of match between the same two, or a rebuild, adds
    none). Returns how many were inserted."""
    if not items:
        return 0
    officers = sorted({n.officer_id for n in items})
    subjects = sorted({str(s) for n in items for s in (n.subject, n.other)})
    held = {
        (r.officer_id, frozenset((r.subject, r.other)))
        for r in conn.execute(
            select(_N.officer_id, _N.subject, _N.other).where(
                _N.officer_id.in_(officers), _N.subject.in_(subjects), _N.other.in_(subjects)
            )
        )
    }
    rows: list[dict[str, Any]] = []
    for n in items:
        key = (n.officer_id, frozenset((str(n.subject), str(n.other))))
        if key in held:
            continue
        held.add(key)
        rows.append({
            "officer_id": n.officer_id, "subject": str(n.subject), "other": str(n.other),
            "other_body": n.other_body, "created_at": now,
            "mail_due_at": now if n.mail else None, "mail_attempts": 0,
        })  # fmt: skip
    if rows:
        conn.execute(insert(t.correlation_notifications), rows)
    return len(rows)


def forget_unlinked(conn: Connection, subject: Subject) -> int:
    """Delete ``subject``'s notifications whose two subjects are no longer linked (a record
    revoked, a match gone after a change): an alert never outlives its link."""
    me = str(subject)
    n = t.correlation_notifications
    linked = exists().where(
        or_(
            and_(_L.subject_a == n.c.subject, _L.subject_b == n.c.other),
            and_(_L.subject_a == n.c.other, _L.subject_b == n.c.subject),
        )
    )
    done = conn.execute(delete(n).where(or_(_N.subject == me, _N.other == me), ~linked))
    return int(done.rowcount or 0)


def mark_read(
    conn: Connection, officer_id: str, now: datetime, ids: Sequence[int] | None = None
) -> list[int]:
    """Mark the officer's unread notifications (those of ``ids``, or all) read; the ids
    marked. Nothing is mailed for a notification once read."""
    where = [_N.officer_id == officer_id, _N.read_at.is_(None)]
    if ids is not None:
        if not ids:
            return []
        where.append(_N.id.in_(list(ids)))
    marked = [int(i) for i in conn.execute(select(_N.id).where(*where)).scalars()]
    if marked:
        conn.execute(
            update(t.correlation_notifications)
            .where(_N.id.in_(marked))
            .values(read_at=now, mail_due_at=None)
        )
    return marked


# -- reading ----------------------------------------------------------------------------------


def _stored(r: Any) -> StoredNotification:
    return StoredNotification(
        r.id, r.officer_id, Subject.parse(r.subject), Subject.parse(r.other), r.other_body,
        r.created_at, r.read_at,
    )  # fmt: skip


def get(conn: Connection, notification_id: int) -> StoredNotification:
    row = conn.execute(select(t.correlation_notifications).where(_N.id == notification_id)).first()
    if row is None:
        raise NotFound("notification", str(notification_id))
    return _stored(row)


def unread_count(conn: Connection, officer_id: str) -> int:
    """The badge: one index read (``ix_correlation_notifications_unread``)."""
    query = select(func.count()).where(_N.officer_id == officer_id, _N.read_at.is_(None))
    return int(conn.execute(query.select_from(t.correlation_notifications)).scalar_one())


def total(conn: Connection, officer_id: str) -> int:
    query = select(func.count()).where(_N.officer_id == officer_id)
    return int(conn.execute(query.select_from(t.correlation_notifications)).scalar_one())


def of_officer(
    conn: Connection, officer_id: str, *, limit: int, offset: int
) -> list[StoredNotification]:
    """The officer's notifications, the newest first."""
    rows = conn.execute(
        select(t.correlation_notifications)
        .where(_N.officer_id == officer_id)
        .order_by(_N.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_stored(r) for r in rows]


# -- the e-mail outbox ------------------------------------------------------------------------


def mail_due(conn: Connection, now: datetime, limit: int = 500) -> list[MailBatch]:
    """Unread notifications due for e-mail by ``now``, oldest first, grouped by officer
    (their address and language read now: a changed address is used, a removed one ends
    the mailing)."""
    a = t.accounts.c
    rows = conn.execute(
        select(_N.id, _N.officer_id, _N.mail_attempts, _O.email, a.language)
        .join(t.officers, _O.id == _N.officer_id)
        .outerjoin(t.accounts, a.officer_id == _N.officer_id)
        .where(_N.mail_due_at.is_not(None), _N.mail_due_at <= now, _N.read_at.is_(None))
        .order_by(_N.mail_due_at, _N.id)
        .limit(limit)
    ).all()
    grouped: dict[str, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.officer_id, []).append(r)
    out = []
    for officer_id, items in grouped.items():
        first = items[0]
        out.append(MailBatch(
            officer_id, first.email or "", first.language or "ru",
            tuple(r.id for r in items), max(r.mail_attempts for r in items),
        ))  # fmt: skip
    return out


def mail_sent(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    conn.execute(
        update(t.correlation_notifications)
        .where(_N.id.in_(list(ids)))
        .values(mailed_at=now, mail_due_at=None, mail_error=None)
    )


def mail_failed(
    conn: Connection, ids: Sequence[int], error: str, retry_at: datetime | None
) -> None:
    """Count a failed attempt; ``retry_at=None`` gives up (the error is kept)."""
    conn.execute(
        update(t.correlation_notifications)
        .where(_N.id.in_(list(ids)))
        .values(mail_attempts=_N.mail_attempts + 1, mail_error=error[:2000], mail_due_at=retry_at)
    )


def mail_counts(conn: Connection) -> tuple[int, int]:
    """(notifications waiting to be mailed, given up after failures and still unread)."""
    n = t.correlation_notifications
    waiting = select(func.count()).select_from(n).where(_N.mail_due_at.is_not(None))
    given_up = select(func.count()).select_from(n).where(
        _N.mail_due_at.is_(None), _N.mailed_at.is_(None), _N.mail_error.is_not(None),
        _N.read_at.is_(None),
    )  # fmt: skip
    return int(conn.execute(waiting).scalar_one()), int(conn.execute(given_up).scalar_one())
