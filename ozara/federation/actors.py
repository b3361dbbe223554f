"""Who acts for whom between nodes: the bodies a node hosts, the remote officer a node
vouches for, the head's signature on a request, and the trace of the document that brought
an event. Shared by the handlers of requests, handovers, records, operations and the
Secretariat's documents, and by the statistics reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from ozara.core.events import RequestEvent
from ozara.core.parties import Officer, Role
from ozara.documents import REQUEST_SIGNER_ROLES, Document, OfficerSignature, TrustList
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from .context import InboxItem, Refused

#: How far another node's clock may be ahead of this one's, or behind the change it acts on.
CLOCK_TOLERANCE = timedelta(minutes=10)


def bodies_of(trust_list: TrustList, node_id: str) -> frozenset[str]:
    """The competent bodies a node hosts, as the trust list says."""
    return frozenset(b for e in trust_list.entries_for(node_id) for b in e.bodies)


def hosts(trust_list: TrustList, node_id: str, body_id: str) -> bool:
    return body_id in bodies_of(trust_list, node_id)


def require_hosted(trust_list: TrustList, node: str, body_id: str) -> None:
    """A node acts only for the bodies the trust list gives it (Art. 4)."""
    if not hosts(trust_list, node, body_id):
        raise Refused(
            f"node {node} does not host body {body_id!r} on trust list version "
            f"{trust_list.version}: it may not act for it (Art. 4); nothing applied"
        )


def via(item: InboxItem) -> dict[str, object]:
    """The audit details naming the document, and its node, a change came in."""
    return {"via": item.document.sender, "document_id": str(item.document.id)}


def remote_officer(
    officer_id: str, node: str, body_id: str, roles: frozenset[Role], *, qualified: bool = False
) -> Officer:
    """The officer of another node, as that node vouches for them (its signature).

    ``qualified``: an id that already names its node (``kaz-mvd.head@KAZ-NODE``, from a
    history another node recorded) is kept as it is.
    """
    name = officer_id if qualified and "@" in officer_id else f"{officer_id}@{node}"
    return Officer(name, officer_id, body_id, roles)


def signed_by_head(signatures: Iterable[OfficerSignature], officer_id: str) -> bool:
    """Signed by that officer as the head of the body or a deputy (Art. 6 para 5)."""
    return any(
        s.officer_id == officer_id and s.signer_role in REQUEST_SIGNER_ROLES for s in signatures
    )


def with_via(events: Sequence[RequestEvent], document: Document) -> list[RequestEvent]:
    """The events, each naming the node and the document that brought it."""
    extra = {"via": document.sender, "document_id": str(document.id)}
    return [replace(e, details={**e.details, **extra}) for e in events]


def is_held(uow: SqlUnitOfWork, request_id: str) -> bool:
    try:
        uow.requests.get(request_id)
    except NotFound:
        return False
    return True


def require_plausible_time(
    at: datetime, *, now: datetime, not_before: datetime | None, what: str
) -> None:
    """A time another node gives for an action is taken as given only within reason: not
    ahead of this node's clock, not before what it follows (deadlines are counted from
    these times, so a node could otherwise shift the other side's terms)."""
    if at > now + CLOCK_TOLERANCE:
        raise Refused(f"{what} is dated {at.isoformat()}, ahead of this node's clock")
    if not_before is not None and at < not_before - CLOCK_TOLERANCE:
        raise Refused(
            f"{what} is dated {at.isoformat()}, before what it follows "
            f"({not_before.isoformat()}); nothing applied"
        )
