"""Which nodes a document goes to, and putting one document per node into the outbox
(``send_to_nodes``): shared by the federated peers that tell several nodes at once
(records, coordinated operations, training events, research projects, the library of
literature)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from ozara.core.parties import Officer, Party
from ozara.documents import (
    Attachment,
    Document,
    DocumentType,
    JSONObject,
    NodeKeys,
    OfficerSignature,
    TrustList,
    TrustState,
)
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .actors import bodies_of
from .requests import Unroutable, hosting_node


def body_nodes(
    trust: TrustList, bodies: Iterable[str], here: str, now: datetime, *, strict: bool
) -> set[str]:
    """The nodes hosting these bodies, node ``here`` left out. ``strict``: a body no node
    hosts refuses the change (``Unroutable``, rolled back); else it is skipped."""
    out: set[str] = set()
    local = bodies_of(trust, here)
    for body in bodies:
        if body in local:
            continue
        node = hosting_node(trust, body, now)
        if node is None and strict:
            raise Unroutable(
                f"no node on trust list version {trust.version} hosts body {body!r} "
                "with a key valid now; nothing was changed"
            )
        if node is not None:
            out.add(node)
    return out


def party_nodes(
    uow: SqlUnitOfWork, trust: TrustList, parties: Iterable[Party], here: str, now: datetime
) -> set[str]:
    """Every node hosting a designated body of each Party (Art. 4), node ``here`` left out;
    a Party no node serves cannot be reached, and the change is refused (rolled back)
    rather than lost."""
    registry = uow.registry.registry()
    local = bodies_of(trust, here)
    out: set[str] = set()
    for party in sorted(parties):
        bodies = [b.id for b in registry.designated(now, party)]
        nodes = {n for b in bodies if (n := hosting_node(trust, b, now)) is not None}
        if not nodes and not local.intersection(bodies):
            raise Unroutable(
                f"no node on trust list version {trust.version} hosts a designated body "
                f"of {party.value}; nothing was changed"
            )
        out |= nodes
    out.discard(here)
    return out


def send_to_nodes(  # noqa: PLR0917 -- one document, many nodes, and what it is about
    uow: SqlUnitOfWork,
    keys: NodeKeys,
    trust: TrustState,
    doc_type: DocumentType,
    body: JSONObject,
    nodes: Iterable[str],
    subject: tuple[str, str],
    actor: Officer,
    now: datetime,
    signatures: tuple[OfficerSignature, ...] = (),
    *,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """One signed, sealed document per node into the outbox, each audited against
    ``subject`` (object type, object id), in the caller's transaction."""
    for node in sorted(set(nodes)):
        document = Document(
            id=uuid.uuid4(), type=doc_type, sender=keys.node_id, recipient=node,
            created_at=now, body=body, trust_list_version=trust.current.version,
            officer_signatures=signatures, attachments=attachments,
        )  # fmt: skip
        enqueue(uow.connection, document, keys=keys, trust=trust, now=now)
        uow.audit.record(
            now, actor_id=actor.id, body_id=actor.body_id,
            action=f"document:queued:{doc_type.value}", object_type=subject[0],
            object_id=subject[1], details={"document_id": str(document.id), "recipient": node},
        )  # fmt: skip
