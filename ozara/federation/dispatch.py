"""The inbox processor: acts on the documents the inbox accepted, in order, once each.

``Inbox.accept`` (``ozara.transport``) only verifies and stores a document and answers with
a receipt; ``process_inbox`` then takes the rows still unprocessed whose type has a handler,
oldest first, and for each opens ONE transaction that

1. claims the row (``processed_at`` set where it is still null: two processors never both
   act on a document, and one that dies mid-way leaves it to the next pass);
2. runs the handler for its type inside a savepoint; the handler changes the node's state
   through the repositories and services that never commit (and may queue answers with
   ``ozara.transport.enqueue`` on ``ctx.uow.connection``);
3. writes an ``inbox:processed`` audit row, then commits.

A handler that refuses (``Refused``; a ``ProtocolError``; a body that is not what its type
requires) rolls back to the savepoint: nothing it did is kept, and the row is marked
processed with the reason in ``processing_error`` and an ``inbox:refused`` audit row. Any
other exception rolls the whole transaction back and propagates: the row stays unprocessed
and is tried again on the next pass. Documents of types with no handler are left alone (not
selected at all), for the handlers that will come.

Hosting more types: a handler is ``(ctx, item) -> Result``; register it in a mapping
``{DocumentType: handler}`` passed as ``handlers`` (``DEFAULT_HANDLERS`` plus the new ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine, select, update

from ozara.core.deadlines import require_utc
from ozara.core.rules import ProtocolError
from ozara.documents import Document, DocumentType, NodeKeys, TrustListRejected
from ozara.documents.fields import FieldError
from ozara.documents.model import parse_envelope
from ozara.store.tables import inbox
from ozara.store.uow import SqlUnitOfWork

from .context import Handler, HandlerContext, InboxItem, Processed, Refused, Result
from .handlers import DEFAULT_HANDLERS
from .payloads import PayloadError
from .trust_store import TrustHolder

_MAX_ERROR = 2000


def process_inbox(
    engine: Engine,
    trust: TrustHolder,
    *,
    now: datetime,
    handlers: Mapping[DocumentType, Handler] = DEFAULT_HANDLERS,
    keys: NodeKeys | None = None,
    batch: int = 100,
) -> list[Processed]:
    """Process up to ``batch`` unprocessed documents of the handled types, oldest first."""
    now = require_utc(now)
    if not handlers:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(inbox.c.document_id, inbox.c.received_at, inbox.c.document, inbox.c.sealed)
            .where(
                inbox.c.processed_at.is_(None),
                inbox.c.document_type.in_([t.value for t in handlers]),
            )
            .order_by(inbox.c.received_at, inbox.c.document_id)
            .limit(batch)
        ).all()
    items = [InboxItem(_document(r.document), r.received_at, r.sealed) for r in rows]
    # Ties in the receiving time (one clock tick) are broken by the sender's time.
    items.sort(key=lambda i: (i.received_at, i.document.created_at, str(i.document.id)))
    done: list[Processed] = []
    for item in items:
        handler = handlers[item.document.type]
        processed = _process_one(engine, trust, handler, item, now=now, keys=keys)
        if processed is not None:
            done.append(processed)
    return done


def _process_one(
    engine: Engine,
    trust: TrustHolder,
    handler: Handler,
    item: InboxItem,
    *,
    now: datetime,
    keys: NodeKeys | None,
) -> Processed | None:
    document = item.document
    with SqlUnitOfWork(engine) as uow:
        claimed = uow.connection.execute(
            update(inbox)
            .where(inbox.c.document_id == str(document.id), inbox.c.processed_at.is_(None))
            .values(processed_at=now)
        )
        if claimed.rowcount != 1:
            return None  # another processor took it
        ctx = HandlerContext(uow, now, trust, keys)
        error: str | None = None
        try:
            with uow.connection.begin_nested():
                result = handler(ctx, item)
        except (Refused, ProtocolError, PayloadError, TrustListRejected) as exc:
            error = f"{exc.__class__.__name__}: {exc}"[:_MAX_ERROR]
            result = Result("refused", error)
            ctx.after_commit.clear()
            uow.connection.execute(
                update(inbox)
                .where(inbox.c.document_id == str(document.id))
                .values(processing_error=error)
            )
        uow.audit.record(
            now,
            actor_id=document.sender,
            body_id=None,
            action="inbox:refused" if error else "inbox:processed",
            object_type="document",
            object_id=str(document.id),
            details={
                "type": document.type.value,
                "outcome": result.outcome,
                "detail": result.detail,
            },
        )
        uow.commit()
    for callback in ctx.after_commit:
        callback()
    return Processed(document.id, document.type, document.sender, result.outcome, result.detail)


def _document(stored: object) -> Document:
    if not isinstance(stored, dict):
        raise ValueError("inbox: the stored envelope is not an object")
    try:
        return parse_envelope(stored).document
    except FieldError as exc:  # verified at receipt: only a damaged database gets here
        raise ValueError(f"inbox: the stored envelope does not parse: {exc}") from None


def processing_errors(engine: Engine) -> dict[UUID, str]:
    """Documents processed without effect, and why (for the operator and the tests)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(inbox.c.document_id, inbox.c.processing_error).where(
                inbox.c.processing_error.is_not(None)
            )
        ).all()
    return {UUID(r.document_id): r.processing_error for r in rows}
