"""Requests between nodes: each side holds a copy, and both pass through the same states.

The requesting body's node and the requested body's node each keep the request in their own
database. An action on one side is decided by the core there (``services.requests.act``);
``FederatedPeers.changed`` then queues, in the same transaction, one signed document to the
other side's node (``request_documents.py`` for the bodies). That node's inbox processor
(``dispatch.py``) replays the action on its copy with the same core ``transition``, the
actor being the remote officer as the sending node vouches for them: so the receiving node
checks the Protocol for itself (a node cannot push a state the rules forbid: the article is
logged as the refusal), and the deadlines computed on both sides are the same.

Order and conflicts: each action document names the version of the copy it applies to. A
document ahead of the copy waits (``Deferred``) for the ones before it; a document behind it
means both sides acted at once on the same version (a withdrawal crossing an execution
report, say): it is refused as a conflict, logged, and shown to the operator. The Protocol
gives no rule for that case; resolving it is for the two bodies (docs/federation.md).

Forwarding (Art. 7 para 4) to a body hosted on another node: the new holder's node also
receives the request and its history (``handover.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select

from ozara.core.actions import ACTIONS, HEAD, OPS, Action, State
from ozara.core.events import RequestEvent, Side
from ozara.core.lifecycle import Command, Request, creation_event, new_request, transition
from ozara.core.parties import Officer
from ozara.core.requests import parse_request
from ozara.crypto import KeyPair
from ozara.documents import (
    Attachment,
    Document,
    DocumentRejected,
    DocumentType,
    JSONObject,
    NodeKeys,
    OfficerSignature,
    SignerRole,
    TrustList,
    TrustState,
    officer_signature,
    open_sealed,
)
from ozara.services import correlation
from ozara.services.requests import context, record_events
from ozara.store.attachments import AttachmentRepository, StoredFile
from ozara.store.repository import NotFound
from ozara.store.tables import request_signatures
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .actors import (
    bodies_of,
    is_held,
    remote_officer,
    require_hosted,
    require_plausible_time,
    signed_by_head,
    with_via,
)
from .context import Deferred, Handler, HandlerContext, InboxItem, Refused, Result
from .handover import NoHandover, handover_body
from .request_documents import (
    ACTION_TYPES,
    DOCUMENT_TYPES,
    RequestBody,
    action_body,
    read_action_body,
    read_request_body,
    request_body,
    require_own_number,
)


class Unroutable(Exception):
    """The other side cannot be reached: no node on the trust list hosts its body."""


class SignatoryKeyMissing(Exception):
    """A request leaving the node needs its signatory's key (Art. 6 para 5), and there is none."""


def hosting_node(trust_list: TrustList, body_id: str, now: datetime) -> str | None:
    """The node that hosts ``body_id`` with a key valid now (the lowest id if several)."""
    nodes = sorted(
        {e.node_id for e in trust_list.entries if body_id in e.bodies and e.is_valid_at(now)}
    )
    return nodes[0] if nodes else None


def signer_role(officer: Officer) -> SignerRole:
    post = officer.post.lower()
    return SignerRole.DEPUTY if "deputy" in post or "заместител" in post else SignerRole.HEAD


# -- the sending side -------------------------------------------------------------------


@dataclass(slots=True)
class FederatedPeers:
    """``RequestPeers`` for a node in the federation (``services.requests.act(peers=...)``)."""

    keys: NodeKeys
    trust: Callable[[], TrustState]
    #: Signatories' key pairs by officer id (the node directory's ``officers/``).
    officer_keys: Mapping[str, KeyPair] = field(default_factory=dict)

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: Request,
        after: Request,
        command: Command,
        actor: Officer,
        events: Sequence[RequestEvent],
    ) -> None:
        now = events[0].at
        action = command.action
        trust = self.trust()
        if action is Action.SIGN:
            if self._remote(trust.current, after.requested_body, now):
                self._sign(
                    uow, request=after, actor=actor, purpose="request",
                    version=before.version, now=now,
                )  # fmt: skip
            return
        if before.state in (State.DRAFT, State.SIGNED) and action not in (
            Action.SEND,
            Action.SEND_URGENT,
        ):
            return  # a draft withdrawn: nobody else has seen it
        # Consultations and costs are either side's (Art. 11, 12): the actor's tells which.
        side = ACTIONS[action].side or before.side_of(actor)
        other = after.requested_body if side is Side.REQUESTING else after.content.requesting_body
        node = self._node_for(trust.current, other, now)
        if node == self.keys.node_id:
            return  # both bodies on this node: one copy, nothing to send
        signatures: tuple[OfficerSignature, ...] = ()
        if action is Action.SEND:
            body, signatures = self._stored_signature(uow, after, "request")
        elif action is Action.SEND_URGENT:
            body = request_body(after, "request", before.version)
        elif action is Action.CONFIRM:
            body, signature = self._sign(
                uow, request=after, actor=actor, purpose="confirmation",
                version=before.version, now=now,
            )  # fmt: skip
            signatures = (signature,)
        else:
            body = action_body(before, command, actor, now)
        files: tuple[Attachment, ...] = ()
        if action in (Action.SEND, Action.SEND_URGENT):
            stored = AttachmentRepository(uow.connection).of(after.id)
            files = tuple(Attachment(f.filename, f.media_type, f.content) for f in stored)
        document = Document(
            id=uuid.uuid4(),
            type=DOCUMENT_TYPES[action],
            sender=self.keys.node_id,
            recipient=node,
            created_at=now,
            body=body,
            trust_list_version=trust.current.version,
            attachments=files,
            officer_signatures=signatures,
        )
        enqueue(uow.connection, document, keys=self.keys, trust=trust, now=now)
        uow.audit.record(
            now,
            actor_id=actor.id,
            body_id=actor.body_id,
            action=f"document:queued:{document.type.value}",
            object_type="request",
            object_id=after.id,
            details={"document_id": str(document.id), "recipient": node, "action": action.value},
        )
        if action is Action.FORWARD:
            self._hand_over(uow, after, actor, now, trust)

    def _hand_over(
        self, uow: SqlUnitOfWork, request: Request, actor: Officer, now: datetime, trust: TrustState
    ) -> None:
        """The new holder runs its own node: send it the request and its history."""
        node = self._node_for(trust.current, request.requested_body, now)
        if node == self.keys.node_id:
            return
        try:
            body = handover_body(uow, request)
        except NoHandover as exc:
            raise Unroutable(f"{exc}; nothing was changed") from None
        document = Document(
            id=uuid.uuid4(), type=DocumentType.REQUEST_HANDOVER, sender=self.keys.node_id,
            recipient=node, created_at=now, body=body,
            trust_list_version=trust.current.version,
        )  # fmt: skip
        enqueue(uow.connection, document, keys=self.keys, trust=trust, now=now)
        uow.audit.record(
            now, actor_id=actor.id, body_id=actor.body_id,
            action="document:queued:request_handover", object_type="request",
            object_id=request.id,
            details={"document_id": str(document.id), "recipient": node, "action": "forward"},
        )  # fmt: skip

    def _remote(self, trust_list: TrustList, body_id: str, now: datetime) -> bool:
        return self._node_for(trust_list, body_id, now) != self.keys.node_id

    def _node_for(self, trust_list: TrustList, body_id: str, now: datetime) -> str:
        if body_id in bodies_of(trust_list, self.keys.node_id):
            return self.keys.node_id
        node = hosting_node(trust_list, body_id, now)
        if node is None:
            raise Unroutable(
                f"no node on trust list version {trust_list.version} hosts body {body_id!r} "
                "with a key valid now; nothing was changed"
            )
        return node

    def _sign(
        self,
        uow: SqlUnitOfWork,
        *,
        request: Request,
        actor: Officer,
        purpose: str,
        version: int,
        now: datetime,
    ) -> tuple[JSONObject, OfficerSignature]:
        pair = self.officer_keys.get(actor.id)
        if pair is None:
            raise SignatoryKeyMissing(
                f"officer {actor.id} has no signing key on node {self.keys.node_id} "
                f"(officers/{actor.id}.json); a request leaving the node must carry the "
                "signature of the head of the body or a deputy (Art. 6 para 5): nothing was "
                "changed"
            )
        body = request_body(request, purpose, version)
        signature = officer_signature(body, actor.id, signer_role(actor), pair)
        uow.connection.execute(
            insert(request_signatures).values(
                request_id=request.id,
                purpose=purpose,
                body=body,
                signature=signature.to_json(),
                signed_at=now,
            )
        )
        return body, signature

    def _stored_signature(
        self, uow: SqlUnitOfWork, request: Request, purpose: str
    ) -> tuple[JSONObject, tuple[OfficerSignature, ...]]:
        row = uow.connection.execute(
            select(request_signatures.c.body, request_signatures.c.signature).where(
                request_signatures.c.request_id == request.id,
                request_signatures.c.purpose == purpose,
            )
        ).first()
        if row is None:
            raise SignatoryKeyMissing(
                f"request {request.id} was signed without an officer key on this node, so it "
                "cannot leave it (Art. 6 para 5); withdraw it and sign a new one"
            )
        return row.body, (OfficerSignature.from_json(row.signature),)


# -- the receiving side -----------------------------------------------------------------


def _require_signatory(document: Document, officer_id: str) -> None:
    if not signed_by_head(document.officer_signatures, officer_id):
        raise Refused(
            f"the request is not signed by {officer_id}, head of the body or a deputy "
            "(Art. 6 para 5); nothing applied"
        )


def _copy(ctx: HandlerContext, request_id: str) -> Request:
    try:
        return ctx.uow.requests.get(request_id)
    except NotFound:
        raise Deferred(f"request {request_id} is not held here yet") from None


def _check_version(copy: Request, version: int) -> None:
    if copy.version < version:
        raise Deferred(
            f"request {copy.id}: this action follows version {version}, the copy here is at "
            f"{copy.version}; waiting for the documents before it"
        )
    if copy.version > version:
        raise Refused(
            f"conflict on request {copy.id}: this action was taken on version {version}, but "
            f"the copy here has moved on to version {copy.version} ({copy.state.value}); both "
            "sides acted at once, and the two bodies must settle it; nothing applied"
        )


def handle_request(ctx: HandlerContext, item: InboxItem) -> Result:
    """A request (Art. 6) or the written confirmation of an urgent one (Art. 6 para 4)."""
    document = item.document
    body = read_request_body(document.body)
    trust_list = ctx.trust_state.current
    if body.purpose == "confirmation":
        return _confirm(ctx, item, body)
    content = parse_request(body.content)  # the Protocol, checked again here (Art. 6)
    require_own_number(body.request_id, content.requesting_body)
    require_hosted(trust_list, document.sender, content.requesting_body)
    require_hosted(trust_list, document.recipient, content.requested_body)
    if is_held(ctx.uow, body.request_id):
        raise Refused(f"request {body.request_id} is already held here; nothing applied")
    requesting = content.requesting_body
    request = new_request(
        body.request_id,
        content,
        remote_officer(body.created_by, document.sender, requesting, OPS),
        body.created_at,
    )
    events = [creation_event(request)]
    sender = remote_officer(document.sender, document.sender, requesting, OPS)
    c = context(ctx.uow)
    if body.signed_by is not None and body.signed_at is not None:
        _require_signatory(document, body.signed_by)
        head = remote_officer(body.signed_by, document.sender, requesting, HEAD)
        signed = transition(request, Command(Action.SIGN), head, c, body.signed_at)
        sent = transition(signed.request, Command(Action.SEND), sender, c, document.created_at)
        events += [*signed.events, *sent.events]
    else:
        sent = transition(request, Command(Action.SEND_URGENT), sender, c, document.created_at)
        events += sent.events
    ctx.uow.requests.add(sent.request, ctx.now)
    correlation.enqueue(ctx.uow, "request", sent.request.id, ctx.now)
    record_events(ctx.uow, with_via(events, item.document))
    kept = _keep_attachments(ctx, item, sent.request)
    return Result(
        "applied",
        f"request {body.request_id} from {requesting}: {sent.request.state}"
        + (f", {kept} file(s)" if kept else ""),
    )


def _keep_attachments(ctx: HandlerContext, item: InboxItem, request: Request) -> int:
    """Store the files that came with the request, each matching a hash the request lists
    (and the signatory signed). The inbox verified them at receipt; they are read again
    from the sealed document, which only this node can decrypt."""
    if not request.content.attachments or ctx.keys is None:
        return 0
    try:
        opened = open_sealed(item.sealed, ctx.keys, ctx.trust_state, item.received_at)
    except DocumentRejected as exc:
        raise Refused(f"the attached files cannot be read again: {exc}; nothing applied") from None
    by_hash = {a.sha256: a for a in opened.attachments}
    repo = AttachmentRepository(ctx.uow.connection)
    kept = 0
    for listed in request.content.attachments:
        file = by_hash.pop(listed.sha256, None)
        if file is not None and file.size == listed.size:
            repo.add(request.id, StoredFile(file.sha256, listed.filename, file.media_type,
                                            file.size, file.content))  # fmt: skip
            kept += 1
    return kept


def _confirm(ctx: HandlerContext, item: InboxItem, body: RequestBody) -> Result:
    signed_by, signed_at = body.signed_by, body.signed_at
    if signed_by is None or signed_at is None:
        raise Refused("a written confirmation must be signed (Art. 6 para 4); nothing applied")
    _require_signatory(item.document, signed_by)
    copy = _copy(ctx, body.request_id)
    require_hosted(ctx.trust_state.current, item.document.sender, copy.content.requesting_body)
    head = remote_officer(signed_by, item.document.sender, copy.content.requesting_body, HEAD)
    return _apply(
        ctx, item, copy, version=body.version, command=Command(Action.CONFIRM), actor=head,
        at=signed_at,
    )  # fmt: skip


def handle_action(ctx: HandlerContext, item: InboxItem) -> Result:
    """Any other action of Art. 7–9, replayed on this node's copy."""
    document = item.document
    body = read_action_body(document.body, document.type)
    require_hosted(ctx.trust_state.current, document.sender, body.actor_body)
    copy = _copy(ctx, body.request_id)
    actor = remote_officer(body.actor_id, document.sender, body.actor_body, body.actor_roles)
    return _apply(
        ctx, item, copy, version=body.version, command=body.command, actor=actor, at=body.at
    )


def _apply(
    ctx: HandlerContext,
    item: InboxItem,
    copy: Request,
    *,
    version: int,
    command: Command,
    actor: Officer,
    at: datetime,
) -> Result:
    _check_version(copy, version)
    events = ctx.uow.events.for_request(copy.id)
    require_plausible_time(
        at, now=ctx.now, not_before=events[-1].at if events else None,
        what=f"{command.action.value} of {copy.id}",
    )  # fmt: skip
    result = transition(copy, command, actor, context(ctx.uow), at)
    ctx.uow.requests.save(result.request, copy, ctx.now)
    record_events(ctx.uow, with_via(result.events, item.document))
    return Result("applied", f"request {copy.id}: {command.action.value} -> {result.request.state}")


REQUEST_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.REQUEST: handle_request,
    **dict.fromkeys(ACTION_TYPES, handle_action),
}
