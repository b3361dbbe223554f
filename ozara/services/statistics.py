"""Figures on the requests a node holds, for the Secretariat's and the heads' pages.

From this node's own database: the requests its bodies sent or received. The Secretariat's
node holds no request; it sums the reports of the Party nodes
(``ozara.federation.statistics``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ozara.core.deadlines import require_utc
from ozara.core.parties import Party, Registry
from ozara.store.tables import request_events, requests
from ozara.store.uow import SqlUnitOfWork


@dataclass(frozen=True, slots=True)
class Figures:
    #: (requesting Party, requested Party) → number of requests sent.
    pairs: dict[tuple[Party, Party], int]
    #: Days from receipt to execution, one per executed request.
    execution_days: list[float]
    #: Requested Party → refusals, in full or in part (Art. 9).
    refusals: dict[Party, int]
    #: Party of the body that must act → deadlines past due now.
    overdue: dict[Party, int]

    @property
    def median_execution_days(self) -> float | None:
        return statistics.median(self.execution_days) if self.execution_days else None


def figures(
    uow: SqlUnitOfWork, now: datetime, *, received_by: Collection[str] | None = None
) -> Figures:
    """All the requests this node holds; or, with ``received_by``, only those these bodies
    received, the refusals they gave and the deadlines they owe (a node's own share, which
    it reports to the Secretariat: each request is then counted once, by its requested side).
    """
    now = require_utc(now)
    registry = uow.registry.registry()
    conn = uow.connection
    r = requests.c
    query = select(r.requesting_body, r.requested_body, func.count()).where(
        r.state.not_in(["draft", "signed"])
    )
    if received_by is not None:
        query = query.where(r.requested_body.in_(list(received_by)))
    sent = conn.execute(query.group_by(r.requesting_body, r.requested_body)).all()
    pairs: Counter[tuple[Party, Party]] = Counter()
    for src, dst, n in sent:
        a, b = _party(registry, src), _party(registry, dst)
        if a and b:
            pairs[(a, b)] += n
    e = request_events.c
    moments: dict[str, dict[str, datetime]] = {}
    refused: Counter[Party] = Counter()
    events = select(e.request_id, e.name, e.at, e.body_id).where(
        e.name.in_(
            ["request:received", "request:executed", "request:refused",
             "request:partially_refused"]
        )
    )  # fmt: skip
    if received_by is not None:
        events = events.where(e.body_id.in_(list(received_by)))
    for request_id, name, at, body in conn.execute(events):
        if name in ("request:refused", "request:partially_refused"):
            party = _party(registry, body)
            if party:
                refused[party] += 1
        else:
            moments.setdefault(request_id, {}).setdefault(name, at)
    days = [
        (m["request:executed"] - m["request:received"]).total_seconds() / 86400
        for m in moments.values()
        if "request:received" in m and "request:executed" in m
    ]
    overdue: Counter[Party] = Counter()
    for row in uow.requests.overdue(now):
        if received_by is not None and row.body_id not in received_by:
            continue
        party = _party(registry, row.body_id)
        if party:
            overdue[party] += 1
    return Figures(dict(pairs), sorted(days), dict(refused), dict(overdue))


def _party(registry: Registry, body_id: str | None) -> Party | None:
    body = registry.get(body_id) if body_id else None
    return body.party if body else None
