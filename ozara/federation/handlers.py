"""Handlers for the Secretariat's documents: designations, treaty notifications, trust lists.

Each runs inside the inbox processor's transaction (``dispatch.py``) and accepts its document
only from the Secretariat's node: the node that issues the current trust list, listed
without a Party. A Party node's node key may be genuine and its document well sealed, but a
designation it sends is refused (Art. 4: designations reach the Parties through the
Secretary General), with nothing applied.

Applying is idempotent: a designation or notification already recorded as given changes
nothing (``unchanged``), and a trust list not newer than the one held is ignored. Delivery
may reorder documents (retries with jitter), so a designation notice older (by the
Secretariat's ``created_at``) than the last one applied to that body is ignored too;
treaty notifications only ever add, so their order does not matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert, select, update

from ozara.documents import DocumentType, TrustListReason, TrustListRejected, TrustState
from ozara.services.registry import Change, apply_designation, apply_notification
from ozara.store.tables import applied_notices

from .actors import via
from .checkpoints import handle_checkpoint
from .context import Handler, HandlerContext, InboxItem, Refused, Result
from .handover import handle_handover
from .literature import LITERATURE_HANDLERS
from .operations import OPERATION_HANDLERS
from .payloads import read_designation, read_notification, read_trust_list
from .records import RECORD_HANDLERS
from .requests import REQUEST_HANDLERS
from .research import RESEARCH_HANDLERS
from .statistics import handle_report
from .training import TRAINING_HANDLERS
from .trust_store import save_trust_list


def require_secretariat(ctx: HandlerContext, item: InboxItem) -> None:
    """Refuse a document that does not come from the Secretariat's node (Art. 4, 16, 18)."""
    sender = item.document.sender
    current = ctx.trust_state.current
    entries = current.entries_for(sender)
    if sender != current.issuer or not entries or any(e.party is not None for e in entries):
        raise Refused(
            f"{item.document.type.value} from {sender}: only the Secretariat's node "
            f"({current.issuer}) sends these (Art. 4, 16, 18); nothing applied"
        )


def _result(change: Change, what: str) -> Result:
    return Result("unchanged" if change is Change.UNCHANGED else "applied", f"{what}: {change}")


def handle_designation(ctx: HandlerContext, item: InboxItem) -> Result:
    """Add or change a body; a notice older than the one last applied to it is ignored."""
    require_secretariat(ctx, item)
    body = read_designation(item.document.body)
    key = f"body:{body.id}"
    as_of = _applied_as_of(ctx, key)
    if as_of is not None and item.document.created_at < as_of:
        return Result("unchanged", f"body {body.id}: superseded by the notice of {as_of}")
    change = apply_designation(ctx.uow, body, item.document.sender, ctx.now, via(item))
    _set_applied(ctx, key, item)
    return _result(change, f"body {body.id}")


def _applied_as_of(ctx: HandlerContext, key: str) -> datetime | None:
    conn = ctx.uow.connection
    found = conn.execute(select(applied_notices.c.as_of).where(applied_notices.c.key == key))
    return found.scalar_one_or_none()


def _set_applied(ctx: HandlerContext, key: str, item: InboxItem) -> None:
    values = {"as_of": item.document.created_at, "document_id": str(item.document.id)}
    conn = ctx.uow.connection
    updated = conn.execute(
        update(applied_notices).where(applied_notices.c.key == key).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(insert(applied_notices).values(key=key, **values))


def handle_treaty_notification(ctx: HandlerContext, item: InboxItem) -> Result:
    require_secretariat(ctx, item)
    notification = read_notification(item.document.body)
    change = apply_notification(ctx.uow, notification, item.document.sender, ctx.now, via(item))
    return _result(change, f"{notification.kind} of {notification.party.value}")


def handle_trust_list(ctx: HandlerContext, item: InboxItem) -> Result:
    """Adopt a newer list signed by the Secretariat's key (the anchor from configuration)."""
    require_secretariat(ctx, item)
    candidate = read_trust_list(item.document.body)
    held = ctx.trust_state
    try:
        state: TrustState = held.accept(candidate, ctx.trust.secretariat_key)
    except TrustListRejected as exc:
        if exc.reason is TrustListReason.NOT_NEWER:
            return Result("unchanged", f"trust list version {candidate.version}: {exc.detail}")
        raise
    save_trust_list(ctx.uow.connection, candidate, ctx.now, item.document.id)
    ctx.uow.audit.record(
        ctx.now,
        actor_id=item.document.sender,
        body_id=None,
        action="trust_list:adopted",
        object_type="trust_list",
        object_id=str(candidate.version),
        details={"superseded": held.current.version, **via(item)},
    )
    holder = ctx.trust

    def adopt() -> None:
        holder.adopt(state)

    ctx.after_commit.append(adopt)
    return Result("applied", f"trust list version {candidate.version} adopted")


DEFAULT_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.DESIGNATION_NOTICE: handle_designation,
    DocumentType.TREATY_NOTIFICATION: handle_treaty_notification,
    DocumentType.TRUST_LIST: handle_trust_list,
    DocumentType.STATISTICS_REPORT: handle_report,
    DocumentType.AUDIT_CHECKPOINT: handle_checkpoint,
    DocumentType.REQUEST_HANDOVER: handle_handover,
    **REQUEST_HANDLERS,
    **RECORD_HANDLERS,
    **OPERATION_HANDLERS,
    **RESEARCH_HANDLERS,
    **LITERATURE_HANDLERS,
    **TRAINING_HANDLERS,
}
