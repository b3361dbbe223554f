"""Automatic correlation (issue 8): the queue, its worker, a rebuild, and the links an
officer may see under a purpose (Art. 10).

``enqueue`` is called inside the transaction that stores or changes a subject (a record
created, updated, received, revoked; a request created, received or changed): one insert,
so the storing transaction is never slowed by the matching. ``run_pending`` takes the
queue in order, each subject in a transaction of its own: extract what it offers
(``core.correlation``), write its terms, look up every other subject by index
(``store.correlations``: a value held by too many subjects links nothing and is logged as
too common), and make its links exactly what was found. A record revoked (or
a subject no longer held) loses its terms and all its links: its correlations disappear.
A job that raises is rolled back and stays in the queue, its attempts counted.

``links_for`` decides what an officer sees of each link: a record the officer may read
under the purpose (``core.disclosure.may_read``) or a request they may view
(``core.access.can_view``) is shown with the evidence; a record shared with the officer's
Party but not readable for this purpose shows only that a match exists and which body to
ask for consent, never a title, a name or a value; a subject the officer's Party does not
hold at all is left out (its existence is not the Party's to know).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from ozara.core.access import can_view
from ozara.core.correlation import (
    Evidence,
    Subject,
    SubjectType,
    record_extract,
    request_extract,
)
from ozara.core.deadlines import require_utc
from ozara.core.disclosure import may_ask_consent, may_read
from ozara.core.parties import Officer, Party
from ozara.core.records import Purpose
from ozara.services import notifications
from ozara.services.requests import AccessDenied
from ozara.store import correlations as store
from ozara.store.records import RecordRepository
from ozara.store.repository import NotFound, RequestRepository
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "LinkView", "Outcome", "correlate", "enqueue", "links_for", "process", "rebuild",
    "run_pending",
]  # fmt: skip

_log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def enqueue(uow: SqlUnitOfWork, subject_type: SubjectType | str, subject_id: str,
            now: datetime) -> None:  # fmt: skip
    """Queue ``subject`` for correlation, inside the caller's transaction (one insert)."""
    store.add_job(uow.connection, Subject(SubjectType(subject_type), subject_id), require_utc(now))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What correlating one subject did: the number of new links, and the values it looked
    up that were held by more than ``store.TOO_COMMON`` other subjects (they linked nothing)."""

    new: int = 0
    too_common: tuple[tuple[str, str], ...] = ()


def process(conn: Connection, subject: Subject, now: datetime) -> int:
    """(Re)correlate one subject inside the caller's transaction; the number of new links.

    The officers concerned are notified of each new link in the same transaction
    (``services.notifications.announce``); a link gone takes its notifications with it. A
    revoked record, or a subject no longer held, loses its terms and links."""
    return correlate(conn, subject, now).new


def correlate(conn: Connection, subject: Subject, now: datetime) -> Outcome:
    """``process``, saying which values were too common to link anything (each is logged,
    so that a node's administrator sees what the common-infrastructure list lacks)."""
    if subject.type is SubjectType.RECORD:
        try:
            stored = RecordRepository(conn).get(subject.id)
        except NotFound:
            stored = None
        if stored is None or stored.holding.is_revoked(now):
            return _forget(conn, subject)
        extract = record_extract(stored.content)
    else:
        try:
            request = RequestRepository(conn).get(subject.id)
        except NotFound:
            return _forget(conn, subject)
        extract = request_extract(request.content)
    store.replace_terms(conn, subject, extract.terms)
    looked_up = store.lookup(conn, subject, extract.terms)
    found = looked_up.found
    for kind, value in looked_up.too_common:
        _log.info(
            "%s: %s %r is held by more than %d other subjects: too common, it links nothing",
            subject, kind, value, store.TOO_COMMON,
        )  # fmt: skip
    if extract.persons:
        found += store.person_matches(conn, subject.id, extract.persons, now)
    changes = store.write_links(conn, subject, found, now)
    if changes.gone:
        notifications.forget_unlinked(conn, subject)
    # In this transaction: the officers' alerts are visible exactly when the links are.
    notifications.announce(conn, subject, changes.new, now)
    return Outcome(len(changes.new), looked_up.too_common)


def _forget(conn: Connection, subject: Subject) -> Outcome:
    store.forget_terms(conn, subject)
    store.forget_links(conn, subject)
    notifications.forget_unlinked(conn, subject)
    return Outcome()


def run_pending(engine: Engine, now: datetime, *, limit: int = 500) -> int:
    """Work through up to ``limit`` queued jobs, oldest first; returns how many subjects
    were correlated. Jobs for one subject are done together; each subject is one
    transaction, and one that raises is rolled back, counted and left in the queue."""
    now = require_utc(now)
    with engine.connect() as conn:
        jobs = store.pending_jobs(conn, limit)
    by_subject: dict[Subject, list[int]] = defaultdict(list)
    for job in jobs:
        by_subject[job.subject].append(job.id)
    done = 0
    for subject, ids in by_subject.items():
        try:
            with engine.begin() as conn:
                process(conn, subject, now)
                store.finish_jobs(conn, ids, now)
            done += 1
        except Exception as exc:  # any failure leaves the job queued
            with engine.begin() as conn:
                store.fail_jobs(conn, ids, f"{type(exc).__name__}: {exc}")
    return done


def rebuild(engine: Engine, now: datetime, progress: Progress | None = None) -> int:
    """Correlate every record and request the node holds again, each in its own
    transaction; ``progress(done, total)`` after each. Returns the number of subjects."""
    now = require_utc(now)
    with engine.connect() as conn:
        subjects = store.all_subjects(conn)
    for n, subject in enumerate(subjects, 1):
        with engine.begin() as conn:
            process(conn, subject, now)
        if progress is not None:
            progress(n, len(subjects))
    return len(subjects)


# -- what an officer sees -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkView:
    """One other subject linked to the subject asked about.

    Readable: the kinds of match, the evidence (A is the subject asked about), the score,
    the other's title. Hidden: only the other subject's id and the body to ask
    (``ask_body``), and whether consent may be asked (Art. 10 para 2); everything else empty.
    """

    other: str
    readable: bool
    ask_body: str
    may_ask_consent: bool = False
    kinds: tuple[str, ...] = ()
    score: float | None = None
    evidence: tuple[Evidence, ...] = ()
    title: str = ""
    found_at: datetime | None = None


def _officer(uow: SqlUnitOfWork, actor_id: str) -> tuple[Officer, Party]:
    actor = uow.registry.officer(actor_id)
    body = uow.registry.registry().get(actor.body_id) if actor.body_id else None
    if body is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: correlations are theirs")
    return actor, body.party


def links_for(
    uow: SqlUnitOfWork,
    actor_id: str,
    subject: Subject,
    purpose: Purpose,
    now: datetime,
    *,
    case: str | None = None,
) -> list[LinkView]:
    """The links of ``subject`` as ``actor_id`` may see them under ``purpose`` (audited, with
    the ``case`` the reading is for when one is named, as a record's reading is).

    The subject itself must be readable (a record, ``may_read``: else ``ProtocolError``) or
    viewable (a request, ``can_view``: else ``AccessDenied``)."""
    now = require_utc(now)
    purpose = Purpose(purpose)
    actor, party = _officer(uow, actor_id)
    body_id = actor.body_id or ""
    if subject.type is SubjectType.RECORD:
        own = uow.records.get(subject.id)
        consents = uow.records.consents_for(body_id, [subject.id])
        may_read(actor, party, own.holding, purpose, consents=consents, now=now)\
            .raise_if_denied()  # fmt: skip
    elif not can_view(actor, uow.requests.get(subject.id)):
        raise AccessDenied(f"{actor.id} may not view request {subject.id}")
    links = store.links_of(uow.connection, subject)
    grouped: dict[Subject, list[store.StoredLink]] = defaultdict(list)
    for link in links:
        grouped[link.other(subject)].append(link)
    record_ids = [o.id for o in grouped if o.type is SubjectType.RECORD]
    holdings = uow.records.holdings(record_ids)
    consents = uow.records.consents_for(body_id, record_ids)
    titles = store.titles(uow.connection, record_ids)
    views: list[LinkView] = []
    for other, items in grouped.items():
        evidence = tuple(
            e if link.key.a == subject else e.swapped() for link in items for e in link.evidence
        )
        shown = LinkView(
            other=str(other), readable=True, ask_body="",
            kinds=tuple(sorted({link.key.kind.value for link in items})),
            score=max(link.score for link in items), evidence=evidence,
            found_at=min(link.found_at for link in items),
        )  # fmt: skip
        if other.type is SubjectType.RECORD:
            holding = holdings.get(other.id)
            if holding is None:
                continue
            decision = may_read(actor, party, holding, purpose, consents=consents, now=now)
            if decision.allowed:
                views.append(_with(shown, holding.owner_body, titles.get(other.id, "")))
            elif decision.rules == ("art10.purpose",):
                ask = may_ask_consent(actor, party, holding, purpose, now=now).allowed
                views.append(LinkView(str(other), False, holding.owner_body, ask))
            continue
        try:
            request = uow.requests.get(other.id)
        except NotFound:
            continue
        if can_view(actor, request):
            views.append(_with(shown, request.content.requesting_body, request.id))
        elif _party_of(uow, request.content.requesting_body) is party:
            views.append(LinkView(str(other), False, request.content.requesting_body))
    views.sort(key=lambda v: (not v.readable, -(v.score or 0.0), v.other))
    uow.audit.record(
        now, actor_id=actor.id, body_id=actor.body_id, action="correlation:viewed",
        object_type=subject.type.value, object_id=subject.id,
        details={
            "purpose": purpose.value,
            **({"case": case} if case else {}),
            "shown": [v.other for v in views if v.readable],
            "hidden": [v.other for v in views if not v.readable],
        },
    )  # fmt: skip
    uow.commit()
    return views


def _with(view: LinkView, ask_body: str, title: str) -> LinkView:
    return LinkView(
        view.other, True, ask_body, False, view.kinds, view.score, view.evidence, title,
        view.found_at,
    )  # fmt: skip


def _party_of(uow: SqlUnitOfWork, body_id: str) -> Party | None:
    body = uow.registry.registry().get(body_id)
    return body.party if body is not None else None
