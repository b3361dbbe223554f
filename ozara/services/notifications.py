"""Notifications of new correlations (issue 8): who is told, what they see, the e-mail.

**Who is told.** When a correlation job writes a new link (``services.correlation.process``),
``announce`` writes, in that same transaction, one notification per officer concerned and
pair of subjects: the alert exists exactly when the link does (a rolled-back job leaves
neither). The officers concerned by a subject are the staff, on this node, of the bodies
whose case it is:

* a request: its requesting body and, once it is sent, the body it was addressed to and the
  body holding it now (``core.access.can_view``: a draft is the requesting body's alone);
* a record: its providing body, and the bodies of the Parties it was shared with (a
  received record: the recipient bodies hosted here). Never the auditor: they read, they
  have no case.

Each one is told only where they may see the subject (``can_view``; a record their Party
holds, not revoked: ``core.disclosure.may_read``) *and* where ``links_for`` would show them
the other subject at all (a record their Party holds; a request they may view, or of a body
of their Party). A match with what their Party does not hold is not theirs to know of: no
notification, as no link is shown. An officer concerned by both subjects gets one row.

Rows are per officer, not per body: "what each officer has not yet seen" is per officer
(one officer reading an alert does not mark it seen for their colleagues), and the access
check is an officer's (roles, body). A body's new officer starts with an empty list; the
links themselves are on the case pages.

**What they see.** A notification names the officer's own case and says only that a match
exists in a record (or a request) of a body: never the other subject's title, a name, a
value or the kind of match, whatever the officer could read. The evidence is on the case's
page, under a purpose, through ``links_for`` (Art. 10, audited there). The list is audited
(``notification:listed``) when it shows something; the count on every page is a number and
is not.

**No flood.** Only links ``write_links`` inserts are announced: running a job twice or a
``rebuild`` inserts none, and a second kind of match between two subjects already announced
to an officer adds nothing (``store.notifications.add``). A link that vanishes takes its
notifications with it (``forget_unlinked``); found again later, it is announced again.

**E-mail.** A notification for an officer with an address is queued for mail in the same
row (``mail_due_at``). ``mail_pending`` (run by ``ozara serve``'s mailer thread, never by
the correlation job) sends one message per officer for what is due, outside any
transaction, and marks it sent, or failed and due again later (``MAIL_BACKOFF``), giving up
after ``MAX_MAIL_ATTEMPTS``. A notification read in the web first is never mailed. The
message says only that there are new matches and where to sign in: e-mail crosses servers
the Parties do not control, unencrypted and kept in mailboxes, so it is no channel for Art.
10 material, not even a case number or a body's name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine

from ozara.core.access import can_view
from ozara.core.correlation import LinkKey, Subject, SubjectType
from ozara.core.deadlines import require_utc
from ozara.core.disclosure import Holding, may_read
from ozara.core.lifecycle import Request
from ozara.core.parties import Officer, Party, Registry, Role
from ozara.core.records import Purpose
from ozara.services.requests import AccessDenied
from ozara.store import correlations as links_store
from ozara.store import notifications as store
from ozara.store.records import RecordRepository
from ozara.store.repository import NotFound, RegistryRepository, RequestRepository
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "MAIL_BACKOFF", "MAX_MAIL_ATTEMPTS", "MailPass", "Mailer", "NotificationPage",
    "NotificationView", "announce", "forget_unlinked", "list_for", "mail_pending",
    "mark_all_read", "mark_read", "set_email", "unread_count",
]  # fmt: skip

_log = logging.getLogger(__name__)

#: Waits before the n-th retry of a failed mail (the last one repeats).
MAIL_BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
)  # fmt: skip
#: A mail that failed this many times is given up (the web inbox still shows it).
MAX_MAIL_ATTEMPTS = 10
PAGE_LIMIT = 200


# -- who may see what -------------------------------------------------------------------------


class _Cases:
    """The subjects and the registry as one transaction sees them, each read once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.registry: Registry = RegistryRepository(conn).registry()
        self._holdings: dict[str, Holding | None] = {}
        self._requests: dict[str, Request | None] = {}

    def load(self, subjects: Iterable[Subject]) -> None:
        records = [s.id for s in subjects if s.type is SubjectType.RECORD]
        wanted = [r for r in dict.fromkeys(records) if r not in self._holdings]
        found = RecordRepository(self.conn).holdings(wanted)
        for rid in wanted:
            self._holdings[rid] = found.get(rid)

    def holding(self, record_id: str) -> Holding | None:
        if record_id not in self._holdings:
            self.load([Subject(SubjectType.RECORD, record_id)])
        return self._holdings[record_id]

    def request(self, request_id: str) -> Request | None:
        if request_id not in self._requests:
            try:
                self._requests[request_id] = RequestRepository(self.conn).get(request_id)
            except NotFound:
                self._requests[request_id] = None
        return self._requests[request_id]

    def held(self, subject: Subject) -> bool:
        if subject.type is SubjectType.RECORD:
            return self.holding(subject.id) is not None
        return self.request(subject.id) is not None

    def party_of(self, body_id: str | None) -> Party | None:
        body = self.registry.get(body_id) if body_id else None
        return body.party if body is not None else None

    def bodies_of(self, subject: Subject) -> set[str]:
        """The bodies whose case ``subject`` is (see the module's docstring)."""
        if subject.type is SubjectType.REQUEST:
            request = self.request(subject.id)
            if request is None:
                return set()
            bodies = {request.content.requesting_body}
            if request.sent_at is not None:
                bodies |= {request.content.requested_body, request.requested_body}
            return bodies
        holding = self.holding(subject.id)
        if holding is None:
            return set()
        return {holding.owner_body} | {
            b.id for b in self.registry.bodies.values() if b.party in holding.recipients
        }

    def body_holding(self, subject: Subject) -> str:
        """The body a match "exists in a record (request) of": the one to ask."""
        if subject.type is SubjectType.RECORD:
            holding = self.holding(subject.id)
            return holding.owner_body if holding else ""
        request = self.request(subject.id)
        return request.content.requesting_body if request else ""

    def sees(self, officer: Officer, subject: Subject, now: datetime) -> bool:
        """The subject is one of the officer's cases they may open (a request they may
        view; a record their Party holds, not revoked)."""
        if officer.has(Role.AUDITOR) or officer.body_id is None:
            return False
        if subject.type is SubjectType.REQUEST:
            request = self.request(subject.id)
            return request is not None and can_view(officer, request)
        return self._holds(officer, subject.id, now)

    def shows(self, officer: Officer, other: Subject, now: datetime) -> bool:
        """``links_for`` would show the officer that a link to ``other`` exists (readable
        or not): a record their Party holds; a request they may view, or their Party's."""
        if other.type is SubjectType.RECORD:
            return self._holds(officer, other.id, now)
        request = self.request(other.id)
        if request is None:
            return False
        party = self.party_of(officer.body_id)
        return can_view(officer, request) or (
            party is not None and self.party_of(request.content.requesting_body) is party
        )

    def _holds(self, officer: Officer, record_id: str, now: datetime) -> bool:
        holding = self.holding(record_id)
        if holding is None:
            return False
        # Any purpose will do: allowed, or refused for the purpose alone, both mean that
        # the Party holds the record and it stands (``links_for``'s two visible cases).
        decision = may_read(
            officer, self.party_of(officer.body_id), holding, Purpose.INVESTIGATION,
            consents=(), now=now,
        )  # fmt: skip
        return decision.allowed or decision.rules == ("art10.purpose",)


# -- written with the links -------------------------------------------------------------------


def announce(conn: Connection, processed: Subject, keys: Sequence[LinkKey], now: datetime) -> int:
    """Notify the officers concerned of the new links ``keys`` of ``processed``, inside the
    correlation job's transaction. Returns how many notifications were written."""
    if not keys:
        return 0
    now = require_utc(now)
    pairs = sorted({(k.a, k.b) for k in keys})
    cases = _Cases(conn)
    cases.load(s for pair in pairs for s in pair)
    staff = store.staff_of(conn, {b for pair in pairs for s in pair for b in cases.bodies_of(s)})
    items: list[store.NewNotification] = []
    for a, b in pairs:
        # The subject just stored or changed first: an officer concerned by both subjects
        # is told once, about the case that has just arrived or changed.
        first, second = (a, b) if a == processed else (b, a) if b == processed else (a, b)
        for subject, other in ((first, second), (second, first)):
            if not cases.held(other):
                continue
            other_body = cases.body_holding(other)
            for body_id in sorted(cases.bodies_of(subject)):
                for member in staff.get(body_id, ()):
                    officer = member.officer
                    if cases.sees(officer, subject, now) and cases.shows(officer, other, now):
                        items.append(store.NewNotification(
                            officer.id, subject, other, other_body, mail=bool(member.email),
                        ))  # fmt: skip
    return store.add(conn, items, now)


def forget_unlinked(conn: Connection, subject: Subject) -> int:
    """After ``subject``'s links changed: drop the notifications of pairs no longer linked."""
    return store.forget_unlinked(conn, subject)


# -- what an officer sees ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One notification as its officer sees it: their case, and only that a match exists
    in a record (or a request) of ``other_body``."""

    id: int
    subject: Subject
    #: The case's title (a record's, as lists show it) or a request's number.
    subject_label: str
    other_type: SubjectType
    other_body: str
    created_at: datetime
    read: bool


@dataclass(frozen=True, slots=True)
class NotificationPage:
    items: tuple[NotificationView, ...]
    total: int
    unread: int
    offset: int
    limit: int


def _officer(uow: SqlUnitOfWork, actor_id: str) -> Officer:
    actor = uow.registry.officer(actor_id)
    if actor.body_id is None or actor.has(Role.AUDITOR):
        raise AccessDenied(f"{actor.id} belongs to no competent body: notifications are theirs")
    return actor


def unread_count(conn: Connection, officer_id: str) -> int:
    """The count on every page (one index read; not audited: it shows a number only)."""
    return store.unread_count(conn, officer_id)


def list_for(
    uow: SqlUnitOfWork, actor_id: str, now: datetime, *, limit: int = 50, offset: int = 0
) -> NotificationPage:
    """The officer's notifications, the newest first (audited when it shows any).

    Each is checked again now: one whose case the officer may no longer see, or whose other
    subject is no longer theirs to know of, is left out."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    limit, offset = max(1, min(limit, PAGE_LIMIT)), max(0, offset)
    conn = uow.connection
    rows = store.of_officer(conn, actor.id, limit=limit, offset=offset)
    cases = _Cases(conn)
    cases.load(s for r in rows for s in (r.subject, r.other))
    titles = links_store.titles(conn, [r.subject.id for r in rows
                                       if r.subject.type is SubjectType.RECORD])  # fmt: skip
    items = tuple(
        NotificationView(
            r.id,
            r.subject,
            titles.get(r.subject.id, "") if r.subject.type is SubjectType.RECORD else r.subject.id,
            r.other.type,
            r.other_body,
            r.created_at,
            r.read_at is not None,
        )
        for r in rows
        if cases.sees(actor, r.subject, now) and cases.shows(actor, r.other, now)
    )
    if items:
        uow.audit.record(
            now, actor_id=actor.id, body_id=actor.body_id, action="notification:listed",
            object_type="officer", object_id=actor.id,
            details={
                "offset": offset,
                "shown": [{"id": v.id, "subject": str(v.subject), "other_body": v.other_body}
                          for v in items],
            },
        )  # fmt: skip
    page = NotificationPage(
        items, store.total(conn, actor.id), store.unread_count(conn, actor.id), offset, limit
    )
    uow.commit()
    return page


def mark_read(uow: SqlUnitOfWork, actor_id: str, notification_id: int, now: datetime) -> Subject:
    """Mark one of the officer's own notifications read (audited); returns its case, for
    the page to open. ``NotFound`` for no such id, ``AccessDenied`` for another's."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    found = store.get(uow.connection, notification_id)
    if found.officer_id != actor.id:
        raise AccessDenied(f"notification {notification_id} is not {actor.id}'s")
    if store.mark_read(uow.connection, actor.id, now, [notification_id]):
        uow.audit.record(
            now, actor_id=actor.id, body_id=actor.body_id, action="notification:read",
            object_type="notification", object_id=str(notification_id),
            details={"subject": str(found.subject)},
        )  # fmt: skip
    uow.commit()
    return found.subject


def mark_all_read(uow: SqlUnitOfWork, actor_id: str, now: datetime) -> int:
    """Mark every unread notification of the officer read; how many (audited if any)."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    marked = store.mark_read(uow.connection, actor.id, now)
    if marked:
        uow.audit.record(
            now, actor_id=actor.id, body_id=actor.body_id, action="notification:read_all",
            object_type="officer", object_id=actor.id, details={"count": len(marked)},
        )  # fmt: skip
    uow.commit()
    return len(marked)


def set_email(
    uow: SqlUnitOfWork, officer_id: str, email: str | None, now: datetime, by: str = "system"
) -> None:
    """Set (or with ``None`` remove) the address an officer's alerts are mailed to."""
    now = require_utc(now)
    address = (email or "").strip() or None
    if address is not None and (
        len(address) > store.MAX_EMAIL or address.count("@") != 1
        or any(c.isspace() or ord(c) < 32 for c in address)
        or not all(address.split("@"))
    ):  # fmt: skip
        raise ValueError(f"not an e-mail address: {address!r}")
    officer = uow.registry.officer(officer_id)
    store.set_email(uow.connection, officer.id, address)
    uow.audit.record(
        now, actor_id=by, body_id=officer.body_id, action="officer:email_set",
        object_type="officer", object_id=officer.id, details={"email": address},
    )  # fmt: skip
    uow.commit()


# -- e-mail -----------------------------------------------------------------------------------


class Mailer(Protocol):
    """Sends one plain-text message; raises (``OSError``, ``smtplib.SMTPException``) when it
    could not be handed to the server."""

    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True, slots=True)
class MailPass:
    sent: int = 0
    failed: int = 0


_MAIL_TEXT: dict[str, tuple[str, str]] = {
    "ru": (
        "Ozara: новые совпадения",
        "В Ozara ({node}) найдены новые совпадения по делам вашего органа: {count}.\n\n"
        "Подробности доступны только в Ozara после входа в систему:\n{url}\n\n"
        "Письмо не содержит сведений по делам: электронная почта не является защищённым "
        "каналом (статья 10 Протокола).\n",
    ),
    "kk": (
        "Ozara: жаңа сәйкестіктер",
        "Ozara жүйесінде ({node}) органыңыздың істері бойынша жаңа сәйкестіктер табылды: "
        "{count}.\n\nТолық мәлімет тек Ozara жүйесіне кіргеннен кейін қолжетімді:\n{url}\n\n"
        "Хатта істер туралы мәлімет жоқ: электрондық пошта қорғалған арна емес "
        "(Хаттаманың 10-бабы).\n",
    ),
    "en": (
        "Ozara: new matches",
        "Ozara ({node}) found new matches concerning the cases of your body: {count}.\n\n"
        "The details are shown in Ozara only, after signing in:\n{url}\n\n"
        "This message holds no case information: e-mail is not a protected channel "
        "(Art. 10 of the Protocol).\n",
    ),
}


def mail_text(language: str, count: int, node_name: str, web_url: str) -> tuple[str, str]:
    """The subject and body of an alert: a count and a link, nothing of any case."""
    subject, body = _MAIL_TEXT.get(language, _MAIL_TEXT["ru"])
    url = web_url.rstrip("/") + "/notifications"
    return subject, body.format(node=node_name, count=count, url=url)


def _retry_at(attempts: int, now: datetime) -> datetime | None:
    if attempts + 1 >= MAX_MAIL_ATTEMPTS:
        return None
    return now + MAIL_BACKOFF[min(attempts, len(MAIL_BACKOFF) - 1)]


def mail_pending(
    engine: Engine,
    mailer: Mailer,
    now: datetime,
    *,
    web_url: str,
    node_name: str,
    limit: int = 500,
) -> MailPass:
    """Send what is due: one message per officer, outside any transaction; each batch is
    then marked sent, or failed and due again after ``MAIL_BACKOFF`` (given up after
    ``MAX_MAIL_ATTEMPTS``). Correlation never waits on this."""
    now = require_utc(now)
    with engine.connect() as conn:
        batches = store.mail_due(conn, now, limit)
    sent = failed = 0
    for batch in batches:
        if not batch.email:  # the address was removed since: nothing to send to
            with engine.begin() as conn:
                store.mail_failed(conn, batch.ids, "no e-mail address", None)
            continue
        subject, body = mail_text(batch.language, len(batch.ids), node_name, web_url)
        try:
            mailer.send(batch.email, subject, body)
        except Exception as exc:  # the server down, refusing, timing out: retried later
            _log.warning("mail to %s: %s: %s", batch.officer_id, type(exc).__name__, exc)
            with engine.begin() as conn:
                store.mail_failed(conn, batch.ids, f"{type(exc).__name__}: {exc}",
                                  _retry_at(batch.attempts, now))  # fmt: skip
            failed += 1
            continue
        with engine.begin() as conn:
            store.mail_sent(conn, batch.ids, now)
        sent += 1
    return MailPass(sent, failed)
