"""Figures for the Secretariat: each Party node reports aggregates, never a case.

The Secretariat's node holds no request (it is not a party to any), yet its pages show the
requests by pair of Parties, execution times, refusals and overdue deadlines of the whole
Organization. Each Party node therefore sends the Secretariat's node a signed
``statistics_report`` now and then (``send_report``): counts and durations only, no
number, no name, no text of any request. So that nothing is counted twice (both sides
hold a copy), a node reports only the requests its own bodies *received*, the refusals its
bodies gave and the deadlines its bodies owe. The Secretariat keeps the latest report of
each node (``handle_report``) and adds them up (``organization_figures``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from ozara.core.parties import Party
from ozara.documents import Document, DocumentType, JSONObject, NodeKeys, TrustState
from ozara.documents import fields as f
from ozara.services.statistics import Figures, figures
from ozara.store.tables import statistics_reports
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .actors import bodies_of
from .context import HandlerContext, InboxItem, Refused, Result
from .payloads import PayloadError

_PARTIES = {p.value: p for p in Party}


def report_body(fig: Figures, as_of: datetime) -> JSONObject:
    return {
        "as_of": f.format_time(as_of),
        "pairs": [[a.value, b.value, n] for (a, b), n in sorted(fig.pairs.items())],
        # Whole hours: enough for a median in days, and no exact instants of a case.
        "execution_hours": [round(d * 24) for d in fig.execution_days],
        "refusals": {p.value: n for p, n in sorted(fig.refusals.items())},
        "overdue": {p.value: n for p, n in sorted(fig.overdue.items())},
    }


def read_report(value: JSONObject) -> tuple[datetime, Figures]:
    try:
        f.check_keys(value, ("as_of", "pairs", "execution_hours", "refusals", "overdue"), "report")
        pairs: dict[tuple[Party, Party], int] = {}
        for item in f.get_list(value, "pairs"):
            if not (isinstance(item, list) and len(item) == 3):
                raise f.FieldError("pairs: [requesting Party, requested Party, count] each")
            a, b, n = item
            pairs[(_party(a), _party(b))] = _count(n)
        hours = [_count(h) for h in f.get_list(value, "execution_hours")]
        refusals = {_party(k): _count(v) for k, v in f.get_object(value, "refusals").items()}
        overdue = {_party(k): _count(v) for k, v in f.get_object(value, "overdue").items()}
        days = sorted(h / 24 for h in hours)
        return f.get_time(value, "as_of"), Figures(pairs, days, refusals, overdue)
    except f.FieldError as exc:
        raise PayloadError(f"statistics_report: {exc}") from None


def _party(value: object) -> Party:
    if not isinstance(value, str) or value not in _PARTIES:
        raise f.FieldError(f"{value!r} is not a Party of the Protocol")
    return _PARTIES[value]


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise f.FieldError("counts are whole numbers, not negative")
    return value


def send_report(
    uow: SqlUnitOfWork, now: datetime, *, keys: NodeKeys, trust: TrustState
) -> uuid.UUID:
    """Queue this node's figures to the Secretariat's node (the trust list's issuer)."""
    bodies = bodies_of(trust.current, keys.node_id)
    document = Document(
        id=uuid.uuid4(),
        type=DocumentType.STATISTICS_REPORT,
        sender=keys.node_id,
        recipient=trust.current.issuer,
        created_at=now,
        body=report_body(figures(uow, now, received_by=bodies), now),
        trust_list_version=trust.current.version,
    )
    enqueue(uow.connection, document, keys=keys, trust=trust, now=now)
    uow.commit()
    return document.id


def handle_report(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the Secretariat's node: keep the latest report of each Party node."""
    sender = item.document.sender
    current = ctx.trust_state.current
    if ctx.keys is not None and ctx.keys.node_id != current.issuer:
        raise Refused("only the Secretariat's node collects statistics reports")
    parties = {e.party for e in current.entries_for(sender) if e.party is not None}
    if not parties:
        raise Refused(f"{sender} is not a Party node on the trust list")
    as_of, fig = read_report(item.document.body)
    # A node reports what its own bodies received, refused and owe: its own Party only.
    named = {b for _, b in fig.pairs} | set(fig.refusals) | set(fig.overdue)
    if not named <= parties:
        raise Refused(f"{sender} reports for another Party's bodies; nothing applied")
    if as_of > ctx.now + timedelta(days=1):
        raise Refused(f"a report as of {as_of} is from the future; nothing applied")
    conn = ctx.uow.connection
    held = conn.execute(
        select(statistics_reports.c.as_of).where(statistics_reports.c.node_id == sender)
    ).scalar_one_or_none()
    values = {"as_of": as_of, "body": item.document.body, "document_id": str(item.document.id)}
    if held is None:
        conn.execute(insert(statistics_reports).values(node_id=sender, **values))
    elif held < as_of:
        conn.execute(
            update(statistics_reports)
            .where(statistics_reports.c.node_id == sender)
            .values(**values)
        )
    else:
        return Result("unchanged", f"{sender}: a report as of {held} is already held")
    return Result("applied", f"{sender}: figures as of {as_of}")


@dataclass(frozen=True, slots=True)
class OrganizationFigures:
    figures: Figures
    #: node id → as of when its figures are.
    reports: dict[str, datetime]


def organization_figures(uow: SqlUnitOfWork) -> OrganizationFigures | None:
    """The sum of the latest report of every Party node; None where none was received."""
    rows = uow.connection.execute(
        select(statistics_reports.c.node_id, statistics_reports.c.as_of, statistics_reports.c.body)
    ).all()
    if not rows:
        return None
    pairs: Counter[tuple[Party, Party]] = Counter()
    refusals: Counter[Party] = Counter()
    overdue: Counter[Party] = Counter()
    days: list[float] = []
    for row in rows:
        _, fig = read_report(row.body)
        pairs.update(fig.pairs)
        refusals.update(fig.refusals)
        overdue.update(fig.overdue)
        days.extend(fig.execution_days)
    total = Figures(dict(pairs), sorted(days), dict(refusals), dict(overdue))
    return OrganizationFigures(total, {r.node_id: r.as_of for r in rows})
