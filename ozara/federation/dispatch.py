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
processed with the reason in ``processing_error`` and an ``inbox:refused`` audit row.

A handler that says *not yet* (``Deferred``: a request's action delivered before the
action it follows) rolls the whole transaction back; the row waits ``DEFER_DELAY`` (and is
tried again in the same pass as soon as another document was applied). A handler that
fails with any other error (a bug, a document it cannot cope with) is tried again with
exponential backoff. Either way a document cannot stay in limbo: after ``MAX_FAILURES``
errors, or deferred for longer than ``DEFER_LIMIT``, it is set aside as a **dead letter**
(processed without effect, the reason in ``processing_error``, an ``inbox:dead_letter``
audit row) and listed by ``dead_letters()`` for the operator. A database error is not the
document's fault: it propagates and the row is left as it was. Documents of types with no
handler are left alone (not selected at all), for the handlers that will come.

Hosting more types: a handler is ``(ctx, item) -> Result``; register it in a mapping
``{DocumentType: handler}`` passed as ``handlers`` (``DEFAULT_HANDLERS`` plus the new ones).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from ozara.core.deadlines import require_utc
from ozara.core.rules import ProtocolError
from ozara.documents import Document, DocumentType, NodeKeys, TrustListRejected
from ozara.documents.fields import FieldError
from ozara.documents.model import parse_envelope
from ozara.store import audit_context
from ozara.store.tables import inbox
from ozara.store.uow import SqlUnitOfWork
from ozara.transport.inbox import stored_document

from .context import Deferred, Handler, HandlerContext, InboxItem, Processed, Refused, Result
from .handlers import DEFAULT_HANDLERS
from .payloads import PayloadError
from .trust_store import TrustHolder

log = logging.getLogger("ozara.inbox")

_MAX_ERROR = 2000
#: A deferred document is looked at again after this long (sooner if another was applied).
DEFER_DELAY = timedelta(seconds=5)
#: ... and set aside when what it waits for has not come in this long.
DEFER_LIMIT = timedelta(days=3)
#: Handler errors (not refusals) before a document is set aside.
MAX_FAILURES = 5
_FAILURE_BACKOFF = timedelta(seconds=2)
#: A handler's IntegrityError or DataError comes from what the document says (an id already
#: used, a value too long for its column): refused, or it would block the inbox for good.
_REFUSALS = (Refused, ProtocolError, PayloadError, TrustListRejected, IntegrityError, DataError)


def process_inbox(
    engine: Engine,
    trust: TrustHolder,
    *,
    now: datetime,
    handlers: Mapping[DocumentType, Handler] = DEFAULT_HANDLERS,
    keys: NodeKeys | None = None,
    batch: int = 100,
) -> list[Processed]:
    """Process up to ``batch`` due documents of the handled types, oldest first."""
    now = require_utc(now)
    if not handlers:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                inbox.c.document_id,
                inbox.c.received_at,
                inbox.c.document,
                inbox.c.sealed,
                inbox.c.processing_attempts,
            )
            .where(
                inbox.c.processed_at.is_(None),
                inbox.c.document_type.in_([t.value for t in handlers]),
                or_(inbox.c.retry_at.is_(None), inbox.c.retry_at <= now),
            )
            .order_by(inbox.c.received_at, inbox.c.document_id)
            .limit(batch)
        ).all()
        items = [
            (
                InboxItem(
                    _document(stored_document(conn, r.document_id, r.document)),
                    r.received_at,
                    r.sealed,
                ),
                r.processing_attempts,
            )
            for r in rows
        ]
    # Ties in the receiving time (one clock tick) are broken by the sender's time.
    items.sort(key=lambda i: (i[0].received_at, i[0].document.created_at, str(i[0].document.id)))
    done: list[Processed] = []
    while items:
        waiting: list[tuple[InboxItem, int]] = []
        progressed = False
        for item, attempts in items:
            handler = handlers[item.document.type]
            outcome = _process_one(engine, trust, handler, item, attempts, now=now, keys=keys)
            if isinstance(outcome, Processed):
                done.append(outcome)
                progressed = progressed or outcome.outcome == "applied"
            elif outcome == "deferred":
                waiting.append((item, attempts))
        # A document applied may be the one a deferred one waits for: try those again now.
        items = waiting if progressed else []
    return done


def _process_one(
    engine: Engine,
    trust: TrustHolder,
    handler: Handler,
    item: InboxItem,
    attempts: int,
    *,
    now: datetime,
    keys: NodeKeys | None,
) -> Processed | str | None:
    """The document processed; or "deferred", "failed"; or None if another processor took it."""
    document = item.document
    try:
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
                with (
                    uow.connection.begin_nested(),
                    audit_context.acting(audit_context.Origin("node", document.sender)),
                ):
                    result = handler(ctx, item)
            except _REFUSALS as exc:
                error = f"{exc.__class__.__name__}: {exc}"[:_MAX_ERROR]
                result = Result("refused", error)
                ctx.after_commit.clear()
                _mark(uow, document, processing_error=error)
            _audit(uow, document, now, "inbox:refused" if error else "inbox:processed", result)
            uow.commit()
    except Deferred as exc:
        if now - item.received_at > DEFER_LIMIT:
            return _dead_letter(engine, item, now, f"waited too long: {exc}")
        _set_retry(engine, document, now + DEFER_DELAY, attempts)
        return "deferred"
    except DBAPIError:
        raise  # the database, not the document: leave the row as it was
    except Exception as exc:
        log.exception("inbox: %s %s failed", document.type.value, document.id)
        reason = f"{exc.__class__.__name__}: {exc}"
        if attempts + 1 >= MAX_FAILURES:
            return _dead_letter(engine, item, now, f"{attempts + 1} failures, last: {reason}")
        _set_retry(engine, document, now + _FAILURE_BACKOFF * 2**attempts, attempts + 1)
        return "failed"
    for callback in ctx.after_commit:
        callback()
    return Processed(document.id, document.type, document.sender, result.outcome, result.detail)


def _mark(uow: SqlUnitOfWork, document: Document, **values: object) -> None:
    uow.connection.execute(
        update(inbox).where(inbox.c.document_id == str(document.id)).values(**values)
    )


def _audit(
    uow: SqlUnitOfWork, document: Document, now: datetime, action: str, result: Result
) -> None:
    uow.audit.record(
        now,
        actor_id=document.sender,
        body_id=None,
        action=action,
        object_type="document",
        object_id=str(document.id),
        details={"type": document.type.value, "outcome": result.outcome, "detail": result.detail},
    )


def _set_retry(engine: Engine, document: Document, at: datetime, attempts: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        _mark(uow, document, retry_at=at, processing_attempts=attempts)
        uow.commit()


def _dead_letter(engine: Engine, item: InboxItem, now: datetime, reason: str) -> Processed:
    """Set the document aside: processed without effect, the reason kept for the operator."""
    document = item.document
    error = f"dead letter: {reason}"[:_MAX_ERROR]
    with SqlUnitOfWork(engine) as uow:
        _mark(uow, document, processed_at=now, processing_error=error, retry_at=None)
        result = Result("dead_letter", error)
        _audit(uow, document, now, "inbox:dead_letter", result)
        uow.commit()
    log.error("inbox: %s %s set aside: %s", document.type.value, document.id, error)
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


def dead_letters(engine: Engine) -> dict[UUID, str]:
    """Documents set aside after repeated failures or too long a wait (for an alert)."""
    return {k: v for k, v in processing_errors(engine).items() if v.startswith("dead letter:")}
