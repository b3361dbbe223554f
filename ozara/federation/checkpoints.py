"""Audit checkpoints between nodes: no node can rewrite its history undetected (issue 7).

A node signs its audit chain's head now and then (``ozara.store.audit``) and sends the
checkpoint to every other node on the trust list as an ``audit_checkpoint`` document. Each
receiver checks the signature against the sender's key on the trust list and keeps it
(``peer_checkpoints``). Later the sender's history can be checked against the copies the
peers hold (``ozara audit peer-checkpoints`` on a peer, then ``ozara audit verify
--peer-checkpoints`` on the node): a rewrite now contradicts signatures out of the forger's
reach. A second, different checkpoint for the same entry means the node signed two
histories; it is refused and so stays visible in the receiver's inbox and audit log.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select

from ozara.documents import Document, DocumentType, JSONObject, NodeKeys, TrustState
from ozara.store.audit_checkpoints import (
    Checkpoint,
    CheckpointInvalid,
    checkpoint_on,
    verify_checkpoint,
)
from ozara.store.tables import peer_checkpoints
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .actors import CLOCK_TOLERANCE
from .context import HandlerContext, InboxItem, Refused, Result


def peers_of(trust: TrustState, node_id: str, now: datetime) -> list[str]:
    """Every other node listed and valid now, the Secretariat's included, each once."""
    return sorted({
        e.node_id for e in trust.current.entries if e.node_id != node_id and e.is_valid_at(now)
    })  # fmt: skip


def send_checkpoint(
    uow: SqlUnitOfWork, now: datetime, *, keys: NodeKeys, trust: TrustState
) -> JSONObject:
    """Sign the head, keep the checkpoint and queue it to every peer, in one transaction."""
    signed = checkpoint_on(uow.connection, keys, now)
    for peer in peers_of(trust, keys.node_id, now):
        document = Document(
            id=uuid.uuid4(),
            type=DocumentType.AUDIT_CHECKPOINT,
            sender=keys.node_id,
            recipient=peer,
            created_at=now,
            body=signed,
            trust_list_version=trust.current.version,
        )
        enqueue(uow.connection, document, keys=keys, trust=trust, now=now)
    uow.commit()
    return signed


def handle_checkpoint(ctx: HandlerContext, item: InboxItem) -> Result:
    """Keep a peer's checkpoint after checking it is the sender's own, signed by its key."""
    sender = item.document.sender
    entries = ctx.trust_state.current.entries_for(sender)
    if not entries:
        raise Refused(f"{sender} is not on the trust list")
    try:
        parsed = Checkpoint.from_json(item.document.body)
    except CheckpointInvalid as exc:
        raise Refused(f"not a checkpoint: {exc}") from None
    if parsed.node_id != sender:
        raise Refused(f"{sender} sent a checkpoint of {parsed.node_id}'s log")
    verified = _verified(parsed, [e.signing_key for e in entries])
    if verified.at > ctx.now + CLOCK_TOLERANCE:
        raise Refused(f"a checkpoint dated {verified.at} is from the future")
    conn = ctx.uow.connection
    c = peer_checkpoints.c
    held = conn.execute(
        select(c.last_hash).where(c.node_id == sender, c.last_id == verified.last_id)
    ).scalar_one_or_none()
    if held == verified.last_hash:
        return Result("unchanged", f"{sender}: checkpoint over #{verified.last_id} already held")
    if held is not None:
        # Two signed heads for one entry: the node rewrote its log after signing it once.
        raise Refused(
            f"{sender} signed entry #{verified.last_id} with hash {verified.last_hash}, "
            f"but earlier with {held}: its audit history was rewritten"
        )
    conn.execute(
        insert(peer_checkpoints).values(
            node_id=sender,
            last_id=verified.last_id,
            last_hash=verified.last_hash,
            at=verified.at,
            signed=item.document.body,
            received_at=ctx.now,
            document_id=str(item.document.id),
        )
    )
    return Result("applied", f"{sender}: checkpoint over entry #{verified.last_id} kept")


def _verified(parsed: Checkpoint, keys: list[bytes]) -> Checkpoint:
    """Signed by one of the sender's listed keys (a key rotation lists two for a while)."""
    problems = []
    for key in keys:
        try:
            return verify_checkpoint(parsed, key)
        except CheckpointInvalid as exc:
            problems.append(str(exc))
    raise Refused(f"the checkpoint does not verify: {'; '.join(problems)}")


def held_checkpoints(uow: SqlUnitOfWork, node_id: str) -> list[JSONObject]:
    """The checkpoints of ``node_id`` this node holds, as signed, oldest entry first."""
    c = peer_checkpoints.c
    rows = uow.connection.execute(
        select(c.signed).where(c.node_id == node_id).order_by(c.last_id)
    ).scalars()
    return [dict(r) for r in rows]
