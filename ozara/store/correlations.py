"""Correlation in the database (issue 8): the queue, the terms, the lookups and the links.

Every lookup reads an index, so that correlating one subject costs a few index probes
however large the store (the bench of issue 8: 10,000 new records against a million
persons and five million identifiers):

- the same identifier or file: ``(kind, value)`` equality on ``correlation_terms``;
- an address inside a range: the ranges that can hold an address are its CIDR supernets
  (at most 25 for IPv4, 97 for IPv6 under ``MIN_PREFIX``), looked up by equality, since
  ranges are stored in normal form; the addresses and ranges inside a range: a range scan
  on ``ip_first`` between its first and last address, capped at :data:`CAP`;
- a domain under another: the parents of a domain by equality; its sub-domains through
  the ``domain_parent`` terms each subject writes for its own domains' parents, then the
  names under it of the subjects found, in one statement capped at :data:`CAP`;
- every equality reads at most ``TOO_COMMON + 1`` rows: a value held by more subjects links
  nothing (:data:`TOO_COMMON`), and common infrastructure (``core.common_terms``) is never
  looked up;
- persons: the blocking keys of ``ozara.store.search`` (persons sharing exact keys with two
  parts of a name, or with its one part), ranked and capped as the search ranks them, then
  scored with ``core.names.similarity`` against ``MATCH_THRESHOLD``.

Like every repository this module never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, union_all, update

from ozara.core.common_terms import is_common
from ozara.core.correlation import (
    DOMAIN_PARENT,
    FILE,
    SCORES,
    Evidence,
    LinkKey,
    MatchKind,
    PersonTerm,
    Subject,
    SubjectType,
    Term,
    birth_dates_agree,
    link_key,
    merge,
    oriented,
    supernets,
    usable_range,
)
from ozara.core.identifiers import Identifier, IdentifierKind, parent_domains
from ozara.core.names import MATCH_THRESHOLD, _parse, similarity
from ozara.store import tables as t
from ozara.store.record_rows import ip_span
from ozara.store.search import BY_PARTS, _has_any, _query_part, _rankings

_J = t.correlation_jobs.c
_T = t.correlation_terms.c
_L = t.correlations.c
#: At most this many addresses and ranges are taken inside one range (a /8 could hold
#: millions: the first ones, in address order, are evidence enough), and as many names
#: under one domain (the first ones, in subject order).
CAP = 200
#: A value held by more than this many other subjects links nothing (``lookup``): it is
#: too common to say anything (a host or a provider no one put on ``core.common_terms``),
#: and reading its holders would make one subject cost thousands of links and alerts.
#: Above ``search.BY_PARTS`` (400), the candidates the person stage ranks and keeps.
TOO_COMMON = 500
#: A job that failed this many times is left aside (``dead_jobs``), not retried forever.
MAX_ATTEMPTS = 5

_V = TypeVar("_V")

_EQUAL_KINDS = frozenset({*(k.value for k in IdentifierKind), FILE})


# -- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    subject: Subject
    attempts: int


def add_job(conn: Connection, subject: Subject, now: datetime) -> None:
    conn.execute(
        insert(t.correlation_jobs).values(
            subject_type=subject.type.value, subject_id=subject.id, enqueued_at=now, attempts=0
        )
    )


def pending_jobs(conn: Connection, limit: int) -> list[Job]:
    rows = conn.execute(
        select(_J.id, _J.subject_type, _J.subject_id, _J.attempts)
        .where(_J.done_at.is_(None), _J.attempts < MAX_ATTEMPTS)
        .order_by(_J.id)
        .limit(limit)
    ).all()
    return [Job(r.id, Subject(SubjectType(r.subject_type), r.subject_id), r.attempts) for r in rows]


def finish_jobs(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    conn.execute(update(t.correlation_jobs).where(_J.id.in_(list(ids))).values(done_at=now))


def fail_jobs(conn: Connection, ids: Sequence[int], error: str) -> None:
    conn.execute(
        update(t.correlation_jobs)
        .where(_J.id.in_(list(ids)))
        .values(attempts=_J.attempts + 1, last_error=error[:2000])
    )


def queue_counts(conn: Connection) -> tuple[int, int]:
    """(jobs waiting, jobs left aside after ``MAX_ATTEMPTS`` failures)."""
    waiting = select(func.count()).where(_J.done_at.is_(None), _J.attempts < MAX_ATTEMPTS)
    dead = select(func.count()).where(_J.done_at.is_(None), _J.attempts >= MAX_ATTEMPTS)
    return (
        int(conn.execute(waiting.select_from(t.correlation_jobs)).scalar_one()),
        int(conn.execute(dead.select_from(t.correlation_jobs)).scalar_one()),
    )


# -- terms ----------------------------------------------------------------------------------


def replace_terms(conn: Connection, subject: Subject, terms: Iterable[Term]) -> None:
    forget_terms(conn, subject)
    rows = term_rows(subject, terms)
    if rows:
        conn.execute(insert(t.correlation_terms), rows)


def term_rows(subject: Subject, terms: Iterable[Term]) -> list[dict[str, Any]]:
    """The ``correlation_terms`` rows of ``subject``'s terms: one place, so that the bench's
    bulk load (bench/correlation.py) writes exactly what the worker writes."""
    rows = []
    for term in terms:
        first: str | None = None
        last: str | None = None
        if term.kind in {IdentifierKind.IP.value, IdentifierKind.IP_RANGE.value}:
            first, last = ip_span(Identifier(IdentifierKind(term.kind), term.value))
        rows.append({
            "subject": str(subject), "kind": term.kind, "value": term.value[:300],
            "field": term.field[:100], "ip_first": first, "ip_last": last,
        })  # fmt: skip
    return rows


def forget_terms(conn: Connection, subject: Subject) -> None:
    conn.execute(delete(t.correlation_terms).where(_T.subject == str(subject)))


# -- lookups --------------------------------------------------------------------------------

Found = tuple[Subject, Evidence]
#: A (kind, value) looked up: a term of the subject, or a supernet or parent of one.
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Lookup:
    """What ``lookup`` found, and the values it left aside as held by too many subjects."""

    found: list[Found]
    #: The (kind, value) pairs looked up and held by more than :data:`TOO_COMMON` other
    #: subjects: they linked nothing.
    too_common: tuple[Key, ...] = ()


def term_matches(conn: Connection, subject: Subject, terms: Sequence[Term]) -> list[Found]:
    """What other subjects' terms match ``terms``, as evidence from ``subject``'s side."""
    return lookup(conn, subject, terms).found


def lookup(conn: Connection, subject: Subject, terms: Sequence[Term]) -> Lookup:
    """``term_matches``, saying which values were too common to link anything.

    Every (kind, value) is read with ``LIMIT TOO_COMMON + 1`` on the ``(kind, value)``
    index, in one statement per hundred values: a value held by more subjects is left
    aside whole (an equality has no ranking to keep the best of it), so no term can make a
    subject link to thousands. Common infrastructure (``core.common_terms``) is not looked
    up at all, even were it stored before the list named it."""
    me = str(subject)
    # (kind, value) looked up → the subject's terms it stands for and the kind of match.
    wanted: dict[Key, list[tuple[Term, MatchKind]]] = defaultdict(list)
    for term in terms:
        if term.kind in _EQUAL_KINDS:
            wanted[term.kind, term.value].append((term, MatchKind.IDENTIFIER))
        if term.kind == IdentifierKind.DOMAIN.value:
            for parent in parent_domains(term.value)[1:]:
                wanted[term.kind, parent].append((term, MatchKind.SUBDOMAIN))
            wanted[DOMAIN_PARENT, term.value].append((term, MatchKind.SUBDOMAIN))
        if term.kind in {IdentifierKind.IP.value, IdentifierKind.IP_RANGE.value} and (
            term.kind == IdentifierKind.IP.value or usable_range(term.value)
        ):
            for net in supernets(term.value):
                wanted[IdentifierKind.IP_RANGE.value, net].append((term, MatchKind.IN_RANGE))
    found: list[Found] = []
    too_common: list[Key] = []
    # A domain of the subject → the other subjects holding names under it.
    under: dict[Term, list[str]] = defaultdict(list)
    held = _holders(conn, me, sorted(key for key in wanted if not is_common(*key)))
    for key, rows in sorted(held.items()):
        if len(rows) > TOO_COMMON:
            too_common.append(key)
            continue
        for row in rows:
            for term, match in wanted[key]:
                if row.kind == DOMAIN_PARENT:
                    under[term].append(row.subject)
                    continue
                score = SCORES[match]
                found.append((Subject.parse(row.subject), Evidence(
                    match, term.field, term.value, row.field, row.value, score
                )))  # fmt: skip
    for term, subjects in under.items():
        found.extend(_subdomains(conn, term, subjects))
    for term in terms:
        if term.kind == IdentifierKind.IP_RANGE.value and usable_range(term.value):
            found.extend(_inside(conn, me, term))
    return Lookup(found, tuple(too_common))


def _holders(conn: Connection, me: str, keys: list[Key]) -> dict[Key, list[Any]]:
    """The other subjects' rows holding each (kind, value), at most ``TOO_COMMON + 1`` each:
    one index probe per value, a hundred probes a statement (``UNION ALL`` of limited
    sub-selects, which SQLite and PostgreSQL both take)."""
    held: dict[Key, list[Any]] = defaultdict(list)
    for chunk in _chunks(keys, 100):
        probes = [
            select(_T.subject, _T.kind, _T.value, _T.field)
            .where(_T.kind == kind, _T.value == value, _T.subject != me)
            .limit(TOO_COMMON + 1)
            .subquery()
            for kind, value in chunk
        ]
        selects = [select(probe) for probe in probes]
        statement = selects[0] if len(selects) == 1 else union_all(*selects)
        for row in conn.execute(statement):
            held[row.kind, row.value].append(row)
    return held


def _subdomains(conn: Connection, term: Term, subjects: Sequence[str]) -> list[Found]:
    """The names under ``term``'s domain that ``subjects`` hold (found through the
    ``domain_parent`` terms): one statement reading their terms by primary key, the first
    :data:`CAP` in subject order, as a range's contents are capped."""
    rows = conn.execute(
        select(_T.subject, _T.value, _T.field)
        .where(
            _T.subject.in_(sorted(set(subjects))),
            _T.kind == IdentifierKind.DOMAIN.value,
            _T.value.endswith("." + term.value, autoescape=True),
        )
        .order_by(_T.subject, _T.value)
        .limit(CAP)
    ).all()
    score = SCORES[MatchKind.SUBDOMAIN]
    return [
        (Subject.parse(r.subject),
         Evidence(MatchKind.SUBDOMAIN, term.field, term.value, r.field, r.value, score))
        for r in rows
    ]  # fmt: skip


def _inside(conn: Connection, me: str, term: Term) -> list[Found]:
    """Addresses and narrower ranges of other subjects inside the range ``term``."""
    first, last = ip_span(Identifier(IdentifierKind.IP_RANGE, term.value))
    rows = conn.execute(
        select(_T.subject, _T.value, _T.field)
        .where(
            _T.ip_first >= first,
            _T.ip_first <= last,
            _T.ip_last <= last,
            _T.subject != me,
            _T.value != term.value,
        )
        .order_by(_T.ip_first)
        .limit(CAP)
    ).all()
    score = SCORES[MatchKind.IN_RANGE]
    return [
        (Subject.parse(r.subject),
         Evidence(MatchKind.IN_RANGE, term.field, term.value, r.field, r.value, score))
        for r in rows
    ]  # fmt: skip


def person_matches(
    conn: Connection, record_id: str, persons: Sequence[PersonTerm], now: datetime
) -> list[Found]:
    """Persons of other records, not revoked, named like ``persons`` (across scripts)."""
    found: list[Found] = []
    p, r = t.record_persons, t.records
    for person in persons:
        rows: dict[tuple[str, int], Any] = {}
        for name in person.names:
            parts = list(dict.fromkeys(_query_part(part) for part in _parse(name)))
            if not parts:
                continue
            exact = [_has_any(conn, part.exact) for part in parts]
            pairs = [and_(a, b) for i, a in enumerate(exact) for b in exact[i + 1 :]]
            where = or_(*pairs) if pairs else exact[0]
            order = _rankings(conn, parts, exact)[0][0]
            ranked = (
                select(
                    p.c.record_id, p.c.person_index, p.c.names, p.c.birth_date,
                    func.row_number().over(order_by=order).label("n"),
                )
                .join(r, r.c.id == p.c.record_id)
                .where(where, p.c.record_id != record_id,
                       or_(r.c.revoked_at.is_(None), r.c.revoked_at > now))
                .subquery()
            )  # fmt: skip
            for row in conn.execute(select(ranked).where(ranked.c.n <= BY_PARTS)):
                rows[row.record_id, row.person_index] = row
        for row in rows.values():
            if not birth_dates_agree(person.birth_date, row.birth_date):
                continue
            best = max(
                ((similarity(mine, theirs), mine, theirs)
                 for mine in person.names for theirs in row.names),
                default=(0.0, "", ""),
            )  # fmt: skip
            if best[0] >= MATCH_THRESHOLD:
                other = Subject(SubjectType.RECORD, row.record_id)
                field_b = f"persons[{row.person_index}].names"
                found.append((other, Evidence(
                    MatchKind.PERSON, person.field, best[1], field_b, best[2], best[0]
                )))  # fmt: skip
    return found


def _chunks(values: list[_V], size: int) -> Iterable[list[_V]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# -- links ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredLink:
    key: LinkKey
    evidence: tuple[Evidence, ...]
    score: float
    found_at: datetime

    def other(self, subject: Subject) -> Subject:
        return self.key.b if self.key.a == subject else self.key.a


def _link(row: Any) -> StoredLink:
    key = LinkKey(Subject.parse(row.subject_a), Subject.parse(row.subject_b), MatchKind(row.kind))
    evidence = tuple(Evidence.from_dict(e) for e in row.evidence)
    return StoredLink(key, evidence, float(row.score), row.found_at)


def links_of(conn: Connection, subject: Subject) -> list[StoredLink]:
    """Every link of ``subject`` (two index reads: as A, as B), the newest first."""
    me = str(subject)
    rows = conn.execute(
        select(t.correlations)
        .where(or_(_L.subject_a == me, _L.subject_b == me))
        .order_by(_L.found_at.desc(), _L.subject_a, _L.subject_b, _L.kind)
    ).all()
    return [_link(r) for r in rows]


@dataclass(frozen=True, slots=True)
class LinkChanges:
    """What ``write_links`` changed: the links inserted and those deleted."""

    new: tuple[LinkKey, ...] = ()
    gone: tuple[LinkKey, ...] = ()


def write_links(
    conn: Connection, subject: Subject, found: Iterable[Found], now: datetime
) -> LinkChanges:
    """Make ``subject``'s links exactly those ``found``: new ones inserted (found now),
    changed ones updated (their first finding kept), vanished ones deleted. Returns the
    keys of the new links and of the deleted ones (the notifications follow them)."""
    grouped: dict[LinkKey, list[Evidence]] = defaultdict(list)
    for other, evidence in found:
        if other == subject:
            continue
        key = link_key(subject, other, evidence.kind)
        grouped[key].append(oriented(key, subject, evidence))
    held = {link.key: link for link in links_of(conn, subject)}
    new: list[LinkKey] = []
    for key, items in grouped.items():
        merged, score = merge(items)
        stored = [e.to_dict() for e in merged]
        where = and_(_L.subject_a == str(key.a), _L.subject_b == str(key.b),
                     _L.kind == key.kind.value)  # fmt: skip
        old = held.pop(key, None)
        if old is None:
            conn.execute(insert(t.correlations).values(
                subject_a=str(key.a), subject_b=str(key.b), kind=key.kind.value,
                evidence=stored, score=score, found_at=now,
            ))  # fmt: skip
            new.append(key)
        elif old.evidence != merged or abs(old.score - score) > 1e-9:
            conn.execute(update(t.correlations).where(where).values(evidence=stored, score=score))
    for key in held:
        conn.execute(
            delete(t.correlations).where(
                _L.subject_a == str(key.a), _L.subject_b == str(key.b), _L.kind == key.kind.value
            )
        )
    return LinkChanges(tuple(new), tuple(held))


def forget_links(conn: Connection, subject: Subject) -> None:
    me = str(subject)
    conn.execute(delete(t.correlations).where(or_(_L.subject_a == me, _L.subject_b == me)))


def all_subjects(conn: Connection) -> list[Subject]:
    """Every record and request the node holds, for a rebuild (records first)."""
    records = conn.execute(select(t.records.c.id).order_by(t.records.c.id)).scalars()
    out = [Subject(SubjectType.RECORD, rid) for rid in records]
    requests = conn.execute(select(t.requests.c.id).order_by(t.requests.c.id)).scalars()
    out += [Subject(SubjectType.REQUEST, rid) for rid in requests]
    return out


def titles(conn: Connection, record_ids: Sequence[str]) -> dict[str, str]:
    if not record_ids:
        return {}
    rows = conn.execute(
        select(t.records.c.id, t.records.c.title).where(t.records.c.id.in_(list(record_ids)))
    ).tuples()
    return dict(rows.all())
