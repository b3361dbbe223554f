"""The Secretariat node's broadcasts (Art. 4, 16, 18).

Art. 4: a designation (or a change of one) is notified to the Secretary General, "who, on
receipt, immediately informs each Party". On the Secretariat's node, each ``broadcast_*``
function records the change locally and queues one signed document per Party node listed in
the current trust list, in ONE transaction with its audit rows: either the registry holds
the change and every Party node will be sent it, or neither (``enqueue`` never commits).
The delivery worker (``ozara.transport``) then carries the documents; each Party node's
inbox processor (``dispatch.process_inbox``) applies them.

A Party node whose entries are all outside their validity period now cannot be sealed to;
it is named in ``Broadcast.skipped`` rather than failing the whole broadcast.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ozara.core.deadlines import require_utc
from ozara.core.parties import CompetentBody
from ozara.core.rules import ProtocolError, violation
from ozara.core.treaty import TreatyNotification
from ozara.documents import (
    Document,
    DocumentType,
    JSONObject,
    NodeKeys,
    TrustList,
    TrustState,
)
from ozara.services.registry import (
    Change,
    apply_designation,
    apply_notification,
    check_secretariat,
)
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .payloads import designation_body, notification_body, trust_list_body
from .trust_store import TrustHolder, save_trust_list


class NotSecretariatNode(Exception):
    """Only the node that issues the trust list (the Secretariat's) broadcasts."""


@dataclass(frozen=True, slots=True)
class Broadcast:
    change: Change
    #: The document queued for each Party node, by node id.
    documents: dict[str, UUID]
    #: Party nodes listed with no key valid now: nothing could be sealed to them.
    skipped: tuple[str, ...] = ()


def party_nodes(trust_list: TrustList, now: datetime) -> tuple[list[str], list[str]]:
    """(reachable, skipped): the Party nodes on the list, by whether a key is valid now."""
    reachable: list[str] = []
    skipped: list[str] = []
    for node_id in sorted({e.node_id for e in trust_list.entries if e.party is not None}):
        entries = trust_list.entries_for(node_id)
        (reachable if any(e.is_valid_at(now) for e in entries) else skipped).append(node_id)
    return reachable, skipped


def broadcast_designation(
    uow: SqlUnitOfWork,
    body: CompetentBody,
    actor_id: str,
    now: datetime,
    *,
    keys: NodeKeys,
    trust: TrustState,
) -> Broadcast:
    """Record a designation or a change of one (Art. 4) and send it to every Party node."""
    now = require_utc(now)
    _check_node(keys, trust)
    check_secretariat(uow, actor_id)
    change = apply_designation(uow, body, actor_id, now)
    if change is Change.UNCHANGED:
        raise ProtocolError(
            [violation("id", "art4.designated", f"{body.id!r} is already recorded as given")]
        )
    sent = _send_all(
        uow, doc_type=DocumentType.DESIGNATION_NOTICE, body=designation_body(body),
        actor_id=actor_id, now=now, keys=keys, trust=trust, object_type="body", object_id=body.id,
    )  # fmt: skip
    uow.commit()
    return Broadcast(change, *sent)


def broadcast_treaty_notification(
    uow: SqlUnitOfWork,
    notification: TreatyNotification,
    actor_id: str,
    now: datetime,
    *,
    keys: NodeKeys,
    trust: TrustState,
) -> Broadcast:
    """Record a notification (Art. 16) or a withdrawal notice (Art. 18) and send it on."""
    now = require_utc(now)
    _check_node(keys, trust)
    check_secretariat(uow, actor_id)
    change = apply_notification(uow, notification, actor_id, now)
    if change is Change.UNCHANGED:
        raise ProtocolError(
            [violation("party", "art16.in_force", "this notification is already recorded")]
        )
    sent = _send_all(
        uow, doc_type=DocumentType.TREATY_NOTIFICATION, body=notification_body(notification),
        actor_id=actor_id, now=now, keys=keys, trust=trust, object_type="party",
        object_id=notification.party.value,
    )  # fmt: skip
    uow.commit()
    return Broadcast(change, *sent)


def broadcast_trust_list(
    uow: SqlUnitOfWork,
    trust_list: TrustList,
    actor_id: str,
    now: datetime,
    *,
    keys: NodeKeys,
    holder: TrustHolder,
) -> Broadcast:
    """Adopt a newly issued list on the Secretariat node and send it to every Party node on it.

    The documents are sealed under the new list (its version, its endpoints and keys), so a
    node it adds receives it too, followed by a snapshot of the registry and of the treaty
    notifications (one ``designation_notice`` per body, one ``treaty_notification`` each):
    a node that joins, or comes back, learns what was decided while it was not listed
    (Art. 4, 16). Applying them is idempotent. The holder takes the new list once the
    transaction commits.
    """
    now = require_utc(now)
    _check_node(keys, holder.state)
    check_secretariat(uow, actor_id)
    new_state = holder.state.accept(trust_list, holder.secretariat_key)
    _check_node(keys, new_state)
    save_trust_list(uow.connection, trust_list, now)
    uow.audit.record(
        now, actor_id=actor_id, body_id=None, action="trust_list:adopted",
        object_type="trust_list", object_id=str(trust_list.version),
        details={"issued_at": trust_list.issued_at.isoformat()},
    )  # fmt: skip
    sent = _send_all(
        uow, doc_type=DocumentType.TRUST_LIST, body=trust_list_body(trust_list),
        actor_id=actor_id, now=now, keys=keys, trust=new_state, object_type="trust_list",
        object_id=str(trust_list.version),
    )  # fmt: skip
    reachable, _ = party_nodes(new_state.current, now)
    for node_id in sorted(set(reachable) - holder.state.current.node_ids()):
        _send_snapshot(uow, node_id, actor_id=actor_id, now=now, keys=keys, trust=new_state)
    uow.commit()
    holder.adopt(new_state)
    return Broadcast(Change.ADDED, *sent)


def _send_snapshot(
    uow: SqlUnitOfWork,
    node_id: str,
    *,
    actor_id: str,
    now: datetime,
    keys: NodeKeys,
    trust: TrustState,
) -> None:
    """Queue the whole registry and every treaty notification to a newly listed node."""
    bodies: list[JSONObject] = [
        designation_body(b) for b in sorted(uow.registry.registry().bodies.values(), key=_id)
    ]
    notifications = [notification_body(n) for n in uow.registry.notifications()]
    kinds = [DocumentType.DESIGNATION_NOTICE] * len(bodies) + [
        DocumentType.TREATY_NOTIFICATION
    ] * len(notifications)
    for doc_type, body in zip(kinds, [*bodies, *notifications], strict=True):
        document = Document(
            id=uuid.uuid4(), type=doc_type, sender=keys.node_id, recipient=node_id,
            created_at=now, body=body, trust_list_version=trust.current.version,
        )  # fmt: skip
        enqueue(uow.connection, document, keys=keys, trust=trust, now=now)
    uow.audit.record(
        now, actor_id=actor_id, body_id=None, action="federation:snapshot", object_type="node",
        object_id=node_id,
        details={"bodies": len(bodies), "notifications": len(notifications),
                 "trust_list_version": trust.current.version},
    )  # fmt: skip


def _id(body: CompetentBody) -> str:
    return body.id


def _check_node(keys: NodeKeys, trust: TrustState) -> None:
    if keys.node_id != trust.current.issuer:
        raise NotSecretariatNode(
            f"{keys.node_id} is not the Secretariat's node ({trust.current.issuer} issues "
            f"trust list version {trust.current.version}); only it broadcasts (Art. 4)"
        )


def _send_all(
    uow: SqlUnitOfWork,
    *,
    doc_type: DocumentType,
    body: JSONObject,
    actor_id: str,
    now: datetime,
    keys: NodeKeys,
    trust: TrustState,
    object_type: str,
    object_id: str,
) -> tuple[dict[str, UUID], tuple[str, ...]]:
    """Queue ``body`` to every Party node on ``trust``'s list; audit the broadcast."""
    reachable, skipped = party_nodes(trust.current, now)
    documents: dict[str, UUID] = {}
    for node_id in reachable:
        document = Document(
            id=uuid.uuid4(),
            type=doc_type,
            sender=keys.node_id,
            recipient=node_id,
            created_at=now,
            body=body,
            trust_list_version=trust.current.version,
        )
        enqueue(uow.connection, document, keys=keys, trust=trust, now=now)
        documents[node_id] = document.id
    uow.audit.record(
        now,
        actor_id=actor_id,
        body_id=None,
        action=f"federation:broadcast:{doc_type.value}",
        object_type=object_type,
        object_id=object_id,
        details={
            "documents": {n: str(d) for n, d in documents.items()},
            "skipped": skipped,
            "trust_list_version": trust.current.version,
        },
    )
    return documents, tuple(skipped)
