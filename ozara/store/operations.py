"""Coordinated operations (Art. 5 para 3) as a node holds them.

The operation is kept whole as its JSON form (``Operation.to_dict``); ``operation_bodies``
and ``operation_links`` are written beside it on every save, so that "the operations of my
body" and "the operations this request is part of" are index lookups. Saves are optimistic:
a save that finds another version raises ``ConcurrentChange``. Like every repository it
never commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from ozara.core.operation_forms import load_operation
from ozara.core.operations import Operation, OperationState
from ozara.store import at_rest
from ozara.store import tables as t
from ozara.store.repository import ConcurrentChange, NotFound

_O = t.operations.c
_B = t.operation_bodies.c
_L = t.operation_links.c


@dataclass(frozen=True, slots=True)
class StoredOperation:
    operation: Operation
    #: ``None`` on the lead's node; else the node it came from.
    received_from: str | None
    #: The closing document's officer signature (``OfficerSignature.to_json``), if any.
    summary_signature: dict[str, Any] | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OperationRow:
    """What a listing shows."""

    id: str
    name: str
    lead_body: str
    state: OperationState
    period: tuple[str, str]
    version: int
    updated_at: datetime


@dataclass(slots=True)
class OperationRepository:
    conn: Connection

    def add(self, operation: Operation, now: datetime, *, received_from: str | None = None) -> None:
        self.conn.execute(
            insert(t.operations).values(
                id=operation.id, lead_body=operation.lead_body, created_at=operation.created_at,
                received_from=received_from, updated_at=now, **self._columns(operation),
            )
        )  # fmt: skip
        self._write_index(operation)

    def save(
        self,
        operation: Operation,
        previous: Operation,
        now: datetime,
        *,
        summary_signature: dict[str, Any] | None = None,
    ) -> None:
        values = {**self._columns(operation), "updated_at": now}
        if summary_signature is not None:
            values["summary_signature"] = summary_signature
        changed = self.conn.execute(
            update(t.operations)
            .where(_O.id == operation.id, _O.version == previous.version)
            .values(**values)
        )
        if changed.rowcount != 1:
            raise ConcurrentChange(operation.id)
        self._write_index(operation)

    def set_signature(self, operation_id: str, signature: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.operations).where(_O.id == operation_id).values(summary_signature=signature)
        )

    def get(self, operation_id: str) -> StoredOperation:
        row = self.conn.execute(select(t.operations).where(_O.id == operation_id)).mappings()
        found = row.first()
        if found is None:
            raise NotFound("operation", operation_id)
        return StoredOperation(
            load_operation(at_rest.unseal_json(self.conn, found["content"], _place(operation_id))),
            found["received_from"],
            found["summary_signature"],
            found["updated_at"],
        )

    def exists(self, operation_id: str) -> bool:
        return self.conn.execute(select(_O.id).where(_O.id == operation_id)).first() is not None

    def involving(
        self,
        body_id: str,
        *,
        state: OperationState | None = None,
        limit: int = 100,
        among: Collection[str] | None = None,
    ) -> list[OperationRow]:
        """Operations the body leads or is invited to (``among`` these ids, when given), most
        recently changed first."""
        invited = select(_B.operation_id).where(_B.body_id == body_id)
        q = select(
            _O.id, _O.name, _O.lead_body, _O.state, _O.period_from, _O.period_to, _O.version,
            _O.updated_at,
        ).where(or_(_O.lead_body == body_id, _O.id.in_(invited)))  # fmt: skip
        if state is not None:
            q = q.where(_O.state == state.value)
        if among is not None:
            q = q.where(_O.id.in_(list(among)))
        q = q.order_by(_O.updated_at.desc(), _O.id).limit(limit)
        return [
            OperationRow(
                r.id, r.name, r.lead_body, OperationState(r.state),
                (r.period_from.isoformat(), r.period_to.isoformat()), r.version, r.updated_at,
            )
            for r in self.conn.execute(q).all()
        ]  # fmt: skip

    def linked_to(self, kind: str, ref: str) -> list[str]:
        """The operations a request or record is linked to."""
        q = select(_L.operation_id).where(_L.kind == kind, _L.ref == ref)
        return sorted(self.conn.execute(q).scalars())

    def _columns(self, operation: Operation) -> dict[str, Any]:
        plan = operation.plan
        return {
            "name": plan.name,
            "state": operation.state.value,
            "period_from": plan.period_from,
            "period_to": plan.period_to,
            "content": at_rest.seal_json(self.conn, operation.to_dict(), _place(operation.id)),
            "version": operation.version,
        }

    def _write_index(self, operation: Operation) -> None:
        for table in (t.operation_bodies, t.operation_links):
            self.conn.execute(delete(table).where(table.c.operation_id == operation.id))
        if operation.participants:
            self.conn.execute(
                insert(t.operation_bodies),
                [
                    {"operation_id": operation.id, "body_id": p.body_id, "answer": p.answer.value}
                    for p in operation.participants
                ],
            )
        links = {(k.kind.value, k.ref) for k in operation.links}
        if links:
            self.conn.execute(
                insert(t.operation_links),
                [{"operation_id": operation.id, "kind": k, "ref": r} for k, r in sorted(links)],
            )


def _place(operation_id: str) -> str:
    """Where an operation's content belongs (encrypted at rest: ``at_rest_rotation``)."""
    return f"operations.content:{operation_id}"
