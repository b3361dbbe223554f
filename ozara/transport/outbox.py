"""The transactional outbox: a document to send is written in the same transaction as the
state change that produced it, so it is sent if and only if that change is committed.

``enqueue(conn, document, ...)`` seals the document (signed by this node, encrypted to the
recipient's key from the trust list) and inserts one ``pending`` row; it never commits.
``DeliveryWorker`` (``worker.py``) takes the rows from there. Each row ends ``delivered``
(the recipient's receipt verified and kept) or ``failed`` (the retry budget spent, or refused
for good), and ``failed()`` lists the latter for an alert and the user interface.

A row keeps its document unsealed too (unless it has attachments): when this node adopts a
newer trust list while the row is pending, the worker seals it again under that list
(``worker.py``), so a recipient that moved on does not refuse it for good. That unsealed
document is encrypted at rest under the node's keyring (``outbox_place``,
ozara/store/at_rest.py); the sealed blob is already encrypted to the recipient.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, insert, select

from ozara.documents import Document, NodeKeys, TrustState, seal
from ozara.store import at_rest
from ozara.store.tables import outbox

from .receipts import content_hash, recipient_entry


def outbox_place(document_id: object) -> str:
    """Where a kept document belongs: ``at_rest_rotation.ENCRYPTED`` binds it the same way."""
    return f"outbox.document:{document_id}"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    document_id: UUID
    recipient: str
    document_type: str
    content_sha256: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    receipt: bytes | None
    sealed: bytes

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> OutboxEntry:
        return cls(
            document_id=UUID(row["document_id"]),
            recipient=row["recipient"],
            document_type=row["document_type"],
            content_sha256=row["content_sha256"],
            state=DeliveryState(row["state"]),
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            receipt=row["receipt"],
            sealed=row["sealed"],
        )


def enqueue(
    conn: Connection,
    document: Document,
    *,
    keys: NodeKeys,
    trust: TrustState,
    now: datetime,
) -> OutboxEntry:
    """Seal ``document`` and add it to the outbox on ``conn``, inside the caller's transaction.

    Raises ``UnknownRecipient`` if the recipient has no key valid now on the current trust
    list, ``DocumentInvalid`` for a document the recipient would refuse for its form, and
    ``IntegrityError`` for a document id already in the outbox.
    """
    entry = recipient_entry(trust, document.recipient, now)
    sealed = seal(document, keys, entry.encryption_key, recipient_suite=entry.suite)
    values = {
        "document_id": str(document.id),
        "recipient": document.recipient,
        "document_type": document.type.value,
        "sealed": sealed,
        "content_sha256": content_hash(document),
        "state": DeliveryState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
        "receipt": None,
        # Attachments' contents are not kept twice: such a document cannot be resealed.
        "document": None
        if document.attachments
        else at_rest.seal_json(conn, document.to_json(), outbox_place(document.id)),
    }
    conn.execute(insert(outbox).values(**values))
    return OutboxEntry.from_row(values)


def get(engine: Engine, document_id: UUID) -> OutboxEntry | None:
    with engine.connect() as conn:
        row = (
            conn.execute(select(outbox).where(outbox.c.document_id == str(document_id)))
            .mappings()
            .first()
        )
    return None if row is None else OutboxEntry.from_row(row)


def entries(engine: Engine, state: DeliveryState | None = None) -> list[OutboxEntry]:
    """The outbox in the order documents were queued, optionally one state only."""
    query = select(outbox).order_by(outbox.c.created_at, outbox.c.document_id)
    if state is not None:
        query = query.where(outbox.c.state == state.value)
    with engine.connect() as conn:
        return [OutboxEntry.from_row(r) for r in conn.execute(query).mappings()]


def failed(engine: Engine) -> list[OutboxEntry]:
    """Documents given up on: for the alert and the user's list of undelivered documents."""
    return entries(engine, DeliveryState.FAILED)
