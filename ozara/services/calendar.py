"""The calendar of an officer's body: what is due across the forms of cooperation.

Entries come from each module's own store (request deadlines, operation tasks and periods,
training events); the core (``ozara.core.calendar``) orders them and writes iCalendar. An
export leaves the node, so it is audited; viewing the node's own page is not (it shows only
what the body's lists already show).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ozara.core.calendar import Entry, EntryKind, to_ical
from ozara.core.deadlines import require_utc
from ozara.core.operations import OperationState
from ozara.core.parties import Officer
from ozara.services import training
from ozara.services.requests import AccessDenied
from ozara.store.calendar import open_deadlines
from ozara.store.operations import OperationRepository
from ozara.store.uow import SqlUnitOfWork

#: How far ahead the calendar looks by default; overdue entries are always shown.
HORIZON = timedelta(days=60)
#: Operations a body takes part in, at most, in one calendar (the most recently changed).
MAX_OPERATIONS = 200

#: A module's entries for the officer's body up to a moment.
Source = Callable[[SqlUnitOfWork, Officer, datetime], Iterator[Entry]]


def _officer(uow: SqlUnitOfWork, actor_id: str) -> Officer:
    actor = uow.registry.officer(actor_id)
    if actor.body_id is None:
        raise AccessDenied(f"{actor.id} belongs to no competent body: the calendar is a body's")
    return actor


def request_deadlines(uow: SqlUnitOfWork, actor: Officer, until: datetime) -> Iterator[Entry]:
    """Art. 6 para 4 and Art. 7: the 72-hour confirmation, forwarding, execution."""
    assert actor.body_id is not None
    for row in open_deadlines(uow.connection, actor.body_id, until):
        yield Entry(
            EntryKind(row.kind), row.request_id, row.due_at, row.body_id,
            f"/requests/{row.request_id}",
        )  # fmt: skip


def operation_dates(uow: SqlUnitOfWork, actor: Officer, until: datetime) -> Iterator[Entry]:
    """Art. 5 para 3: the period of each operation the body takes part in, and its tasks."""
    body = actor.body_id
    assert body is not None
    repo = OperationRepository(uow.connection)
    live = (OperationState.PROPOSED, OperationState.ACTIVE)
    rows = [
        row for state in live for row in repo.involving(body, state=state, limit=MAX_OPERATIONS)
    ]
    for row in rows:
        operation = repo.get(row.id).operation
        path = f"/operations/{operation.id}"
        plan = operation.plan
        if plan.period_from <= until.date():
            yield Entry(
                EntryKind.OPERATION_PERIOD, operation.id, plan.period_from, operation.lead_body,
                path, end=plan.period_to, detail=plan.name,
            )  # fmt: skip
        for task in operation.tasks:
            mine = body in (task.body_id, operation.lead_body)
            if mine and task.done_at is None and task.due <= until.date():
                yield Entry(
                    EntryKind.OPERATION_TASK, f"{operation.id}/{task.id}", task.due,
                    task.body_id, path, detail=task.text,
                )  # fmt: skip


#: Each module's entries; a module added later appends its own source here.
SOURCES: list[Source] = [request_deadlines, operation_dates, training.calendar_entries]


def entries(
    uow: SqlUnitOfWork, actor_id: str, now: datetime, horizon: timedelta = HORIZON
) -> list[Entry]:
    """Everything the officer's body owes or attends until ``now + horizon``, overdue first."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    until = now + horizon
    found = [entry for source in SOURCES for entry in source(uow, actor, until)]
    return sorted(found, key=lambda e: (not e.is_overdue(now), e.day, e.kind.value, e.ref))


def export_ical(
    uow: SqlUnitOfWork, actor_id: str, now: datetime, *, lang: str = "ru",
    base_url: str = "", horizon: timedelta = HORIZON,
) -> str:  # fmt: skip
    """The calendar as iCalendar (titles and references only), the export audited."""
    found = entries(uow, actor_id, now, horizon)
    actor = uow.registry.officer(actor_id)
    uow.audit.record(
        now, actor_id=actor.id, body_id=actor.body_id, action="calendar:exported",
        object_type="calendar", object_id=actor.body_id or actor.id,
        details={"entries": len(found), "horizon_days": horizon.days},
    )  # fmt: skip
    uow.commit()
    return to_ical(found, now=now, lang=lang, base_url=base_url)
