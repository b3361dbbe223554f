"""Records of information between nodes (Art. 5 para 1) under purpose limitation (Art. 10).

Sending (``FederatedRecordPeers``, the ``RecordPeers`` of ``services.records``): inside the
change's own transaction, one signed document per node concerned goes into the outbox:

- a share, an onward share and each new version: ``information_share`` to every node that
  hosts a designated body of each recipient Party; an onward share goes to the provider's
  node too, so that its later versions and its revocation reach the new Party;
- a revocation: ``information_revocation`` to the same nodes as a new version;
- a consent request: ``consent_request`` to the provider's node; the answer:
  ``consent_answer`` to the asking body's node.

Receiving (the handlers, run in the inbox processor's transaction): the node checks for
itself what the sender claims. The sending node must host the body it acts for (Art. 4);
the content is parsed again (``parse_record``: a state-secret marking is refused here too,
Art. 10 para 3); the record must be shared with this node's Party; an onward share is
refused unless the provider allowed onward sharing (Art. 10 para 2), and it never replaces
content already held: only the provider's own node brings a new version. Versions: only
the highest is kept, since retries may reorder deliveries; a revocation that arrives before
its record waits for it (``Deferred``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ozara.core.disclosure import ConsentState, may_ask_consent
from ozara.core.parties import Officer, Party, Role
from ozara.core.records import parse_record
from ozara.core.rules import ProtocolError, violation
from ozara.documents import Document, DocumentType, JSONObject, NodeKeys, TrustList, TrustState
from ozara.services import correlation
from ozara.store.records import StoredConsent, StoredRecord
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork
from ozara.transport import enqueue

from .actors import bodies_of, remote_officer, require_hosted, via
from .context import Deferred, Handler, HandlerContext, InboxItem, Refused, Result
from .fanout import party_nodes
from .record_documents import (
    ShareBody,
    consent_answer_body,
    consent_request_body,
    read_consent_answer,
    read_consent_request,
    read_revocation,
    read_share,
    request_owner,
    revocation_body,
    share_body,
)
from .requests import Unroutable, hosting_node

_OFFICER = frozenset({Role.OFFICER})


# -- the sending side -------------------------------------------------------------------


@dataclass(slots=True)
class FederatedRecordPeers:
    """``RecordPeers`` for a node in the federation (``services.records.*(peers=...)``)."""

    keys: NodeKeys
    trust: Callable[[], TrustState]

    def shared(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        parties: frozenset[Party],
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        nodes = self._party_nodes(uow, trust.current, parties, now)
        assert actor.body_id is not None
        if actor.body_id != record.holding.owner_body:
            nodes |= self._body_nodes(trust.current, [record.holding.owner_body], now)
        body = share_body(record, actor.body_id, actor.id)
        self._send(uow, trust, DocumentType.INFORMATION_SHARE, body, nodes, record.id, actor, now)

    def updated(
        self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer, now: datetime
    ) -> None:
        trust = self.trust()
        nodes = self._recipient_nodes(uow, trust.current, record, now)
        assert actor.body_id is not None
        body = share_body(record, actor.body_id, actor.id)
        self._send(uow, trust, DocumentType.INFORMATION_SHARE, body, nodes, record.id, actor, now)

    def revoked(
        self, uow: SqlUnitOfWork, *, record: StoredRecord, actor: Officer, now: datetime
    ) -> None:
        trust = self.trust()
        nodes = self._recipient_nodes(uow, trust.current, record, now)
        body = revocation_body(record, actor.id)
        self._send(
            uow, trust, DocumentType.INFORMATION_REVOCATION, body, nodes, record.id, actor, now
        )

    def catch_up(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        parties: frozenset[Party],
        actor: Officer,
        now: datetime,
    ) -> None:
        """On the provider's node: Parties that got an older version by an onward share
        get the current one, or the revocation (they hold the record by then, or will)."""
        trust = self.trust()
        nodes = self._party_nodes(uow, trust.current, parties, now)
        if record.holding.revoked_at is not None:
            doc_type, body = DocumentType.INFORMATION_REVOCATION, revocation_body(record, actor.id)
        else:
            doc_type = DocumentType.INFORMATION_SHARE
            body = share_body(record, record.holding.owner_body, actor.id)
        self._send(uow, trust, doc_type, body, nodes, record.id, actor, now)

    def consent_asked(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        consent: StoredConsent,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        owner = record.holding.owner_body
        nodes = self._body_nodes(trust.current, [owner], now)
        body = consent_request_body(consent, owner)
        self._send(uow, trust, DocumentType.CONSENT_REQUEST, body, nodes, consent.id, actor, now)

    def consent_answered(
        self,
        uow: SqlUnitOfWork,
        *,
        record: StoredRecord,
        consent: StoredConsent,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        nodes = self._body_nodes(trust.current, [consent.body_id], now)
        body = consent_answer_body(consent, record.holding.owner_body)
        self._send(uow, trust, DocumentType.CONSENT_ANSWER, body, nodes, consent.id, actor, now)

    # -- routing --

    def _body_nodes(self, trust: TrustList, bodies: Iterable[str], now: datetime) -> set[str]:
        """The nodes hosting these bodies, this node left out; ``Unroutable`` if one has none."""
        out: set[str] = set()
        for body in bodies:
            if body in bodies_of(trust, self.keys.node_id):
                continue
            node = hosting_node(trust, body, now)
            if node is None:
                raise Unroutable(
                    f"no node on trust list version {trust.version} hosts body {body!r} "
                    "with a key valid now; nothing was changed"
                )
            out.add(node)
        return out

    def _party_nodes(
        self, uow: SqlUnitOfWork, trust: TrustList, parties: Iterable[Party], now: datetime
    ) -> set[str]:
        """Every node hosting a designated body of each Party (Art. 4), or ``Unroutable``."""
        return party_nodes(uow, trust, parties, self.keys.node_id, now)

    def _recipient_nodes(
        self, uow: SqlUnitOfWork, trust: TrustList, record: StoredRecord, now: datetime
    ) -> set[str]:
        return self._party_nodes(uow, trust, record.holding.recipients, now)

    def _send(  # noqa: PLR0917 -- one document, many nodes
        self,
        uow: SqlUnitOfWork,
        trust: TrustState,
        doc_type: DocumentType,
        body: JSONObject,
        nodes: set[str],
        object_id: str,
        actor: Officer,
        now: datetime,
    ) -> None:
        object_type = "record" if doc_type.value.startswith("information") else "record_consent"
        for node in sorted(nodes):
            document = Document(
                id=uuid.uuid4(), type=doc_type, sender=self.keys.node_id, recipient=node,
                created_at=now, body=body, trust_list_version=trust.current.version,
            )  # fmt: skip
            enqueue(uow.connection, document, keys=self.keys, trust=trust, now=now)
            uow.audit.record(
                now, actor_id=actor.id, body_id=actor.body_id,
                action=f"document:queued:{doc_type.value}", object_type=object_type,
                object_id=object_id,
                details={"document_id": str(document.id), "recipient": node},
            )  # fmt: skip


# -- the receiving side -----------------------------------------------------------------


def _audit(  # noqa: PLR0917
    ctx: HandlerContext,
    item: InboxItem,
    actor: Officer,
    action: str,
    object_id: str,
    details: dict[str, object],
    object_type: str = "record",
) -> None:
    ctx.uow.audit.record(
        ctx.now, actor_id=actor.id, body_id=actor.body_id, action=action,
        object_type=object_type, object_id=object_id, details={**details, **via(item)},
    )  # fmt: skip


def _party_of(ctx: HandlerContext, body_id: str) -> Party:
    body = ctx.uow.registry.registry().get(body_id)
    if body is None:
        raise Refused(f"body {body_id!r} is not in this node's registry (Art. 4); nothing applied")
    return body.party


def _held(ctx: HandlerContext, record_id: str) -> StoredRecord | None:
    try:
        return ctx.uow.records.get(record_id)
    except NotFound:
        return None


def handle_share(ctx: HandlerContext, item: InboxItem) -> Result:
    """A record shared with this node's Party, passed on to it, or a new version of it."""
    document = item.document
    body = read_share(document.body)
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, body.sender_body)
    content = parse_record(body.content)  # Art. 5 para 1 and 10 para 3, checked again here
    if _party_of(ctx, body.owner_body) is not body.owner_party:
        raise Refused(f"{body.owner_body} is not a body of {body.owner_party.value}")
    parties = {r.party for r in body.recipients}
    onward = body.sender_body != body.owner_body
    sender = remote_officer(body.sender_officer, document.sender, body.sender_body, _OFFICER)
    if onward:
        sharer_party = _party_of(ctx, body.sender_body)
        if not content.handling.onward_sharing:
            raise ProtocolError([violation("recipients", "art10.onward")])
        if sharer_party not in parties or sharer_party is body.owner_party:
            raise ProtocolError([violation("recipients", "art10.not_shared", body.sender_body)])
    here = bodies_of(trust, document.recipient)
    if body.owner_body in here:
        if not onward:
            raise Refused(f"{body.owner_body} is a body of this node: its records start here")
        return _onward_notice(ctx, item, body, sender)
    local = {_party_of(ctx, b) for b in here}
    if not local & parties:
        raise ProtocolError([
            violation("recipients", "art10.not_shared", f"not shared with {document.recipient}")
        ])  # fmt: skip
    _require_bound(ctx, {body.owner_party, *local}, document.created_at)
    records = ctx.uow.records
    stored = _held(ctx, body.record_id)
    details: dict[str, object] = {"version": body.version, "onward": onward,
                                  "owner_body": body.owner_body}  # fmt: skip
    if stored is None:
        records.add(
            body.record_id, content, owner_body=body.owner_body, owner_party=body.owner_party,
            now=body.updated_at, version=body.version, created_at=body.created_at,
            received_from=document.sender,
        )  # fmt: skip
        records.add_recipients(body.record_id, body.recipients)
        correlation.enqueue(ctx.uow, "record", body.record_id, ctx.now)
        _audit(ctx, item, sender, "record:received", body.record_id, details)
        return Result("applied", f"record {body.record_id} version {body.version} received")
    if stored.holding.owner_body != body.owner_body:
        raise Refused(f"record {body.record_id} is held here from another body; nothing applied")
    if onward and not stored.holding.handling.onward_sharing:
        # The version held here is the provider's latest word on passing it on.
        raise ProtocolError([violation("recipients", "art10.onward")])
    added = records.add_recipients(body.record_id, body.recipients)
    newer = body.version > stored.version
    if newer and not onward and stored.holding.revoked_at is None:
        records.replace(body.record_id, content, version=body.version, now=body.updated_at)
        correlation.enqueue(ctx.uow, "record", body.record_id, ctx.now)
        _audit(ctx, item, sender, "record:received", body.record_id, details)
        return Result("applied", f"record {body.record_id}: version {body.version} replaces "
                                 f"{stored.version}")  # fmt: skip
    if added:
        details["parties"] = sorted(r.party.value for r in added)
        _audit(ctx, item, sender, "record:recipients_added", body.record_id, details)
        return Result("applied", f"record {body.record_id}: recipients added")
    return Result(
        "unchanged",
        f"record {body.record_id}: version {stored.version} held, "
        f"{'revoked' if stored.holding.revoked_at else 'this one is not newer'}",
    )


def _require_bound(ctx: HandlerContext, parties: set[Party], at: datetime) -> None:
    treaty = ctx.uow.registry.treaty()
    problems = [
        violation("recipients", "art16.in_force", f"{p.name_en} on {at.date().isoformat()}")
        for p in sorted(parties)
        if not treaty.is_bound(p, at.date())
    ]
    if problems:
        raise ProtocolError(problems)


def _onward_notice(
    ctx: HandlerContext, item: InboxItem, body: ShareBody, sender: Officer
) -> Result:
    """On the provider's node: a receiving Party passed the record on. The provider keeps
    the list of Parties that hold its record, so that its versions and revocation reach
    them all; the content it holds is its own and is never replaced from outside."""
    stored = _held(ctx, body.record_id)
    if stored is None or stored.holding.owner_body != body.owner_body:
        raise Refused(f"record {body.record_id} of {body.owner_body} is not held here")
    sharer_party = _party_of(ctx, body.sender_body)
    if sharer_party not in stored.holding.recipients:
        raise ProtocolError([violation("recipients", "art10.not_shared", body.sender_body)])
    fresh = [r for r in body.recipients if r.shared_by == body.sender_body]
    added = ctx.uow.records.add_recipients(body.record_id, fresh)
    if not added:
        return Result("unchanged", f"record {body.record_id}: no new recipient")
    _audit(ctx, item, sender, "record:shared_onward", body.record_id, {
        "parties": sorted(r.party.value for r in added), "version": body.version,
        "allowed": stored.holding.handling.onward_sharing,
    })  # fmt: skip
    behind = stored.version > body.version or stored.holding.revoked_at is not None
    if behind and ctx.keys is not None:
        node = Officer(ctx.keys.node_id, ctx.keys.node_id, body.owner_body, frozenset())
        state = ctx.trust_state
        # Where no node serves them now, the next version tries again.
        with contextlib.suppress(Unroutable):
            FederatedRecordPeers(ctx.keys, lambda: state).catch_up(
                ctx.uow, record=ctx.uow.records.get(body.record_id),
                parties=frozenset(r.party for r in added), actor=node, now=ctx.now,
            )  # fmt: skip
    return Result("applied", f"record {body.record_id}: passed on to "
                             f"{', '.join(r.party.value for r in added)}")  # fmt: skip


def handle_revocation(ctx: HandlerContext, item: InboxItem) -> Result:
    """The provider withdrew the record: from now on it cannot be read here (Art. 10)."""
    document = item.document
    body = read_revocation(document.body)
    require_hosted(ctx.trust_state.current, document.sender, body.owner_body)
    stored = _held(ctx, body.record_id)
    if stored is None:
        raise Deferred(f"record {body.record_id} is not held here yet")
    if stored.holding.owner_body != body.owner_body:
        raise Refused(f"record {body.record_id} is not a record of {body.owner_body}")
    if stored.holding.revoked_at is not None:
        return Result("unchanged", f"record {body.record_id} is revoked already")
    ctx.uow.records.revoke(body.record_id, at=body.revoked_at, reason=body.reason)
    correlation.enqueue(ctx.uow, "record", body.record_id, ctx.now)
    actor = remote_officer(body.revoked_by, document.sender, body.owner_body, _OFFICER)
    _audit(ctx, item, actor, "record:revoked", body.record_id,
           {"version": body.version, "reason": body.reason})  # fmt: skip
    return Result("applied", f"record {body.record_id} revoked")


def handle_consent_request(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the provider's node: a receiving body asks to use the record for another purpose
    (Art. 10 para 2); checked here as on the asking node, then kept for an answer."""
    document = item.document
    asked = read_consent_request(document.body)
    owner = request_owner(document.body)
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, asked.body_id)
    require_hosted(trust, document.recipient, owner)
    stored = _held(ctx, asked.record_id)
    if stored is None or stored.holding.owner_body != owner:
        raise Refused(f"record {asked.record_id} of {owner} is not held here; nothing applied")
    asker = remote_officer(asked.asked_by, document.sender, asked.body_id, _OFFICER)
    party = _party_of(ctx, asked.body_id)
    may_ask_consent(asker, party, stored.holding, asked.purpose, now=asked.asked_at)\
        .raise_if_denied()  # fmt: skip
    try:
        ctx.uow.records.consent(asked.id)
        return Result("unchanged", f"consent {asked.id} is held already")
    except NotFound:
        pass
    consent = StoredConsent(
        id=asked.id, record_id=asked.record_id, body_id=asked.body_id, purpose=asked.purpose,
        justification=asked.justification, state=ConsentState.REQUESTED, asked_by=asker.id,
        asked_at=asked.asked_at,
    )  # fmt: skip
    ctx.uow.records.add_consent(consent)
    _audit(ctx, item, asker, "record_consent:asked", consent.id,
           {"record_id": consent.record_id, "purpose": consent.purpose.value},
           "record_consent")  # fmt: skip
    return Result("applied", f"consent {consent.id} asked by {consent.body_id}")


def handle_consent_answer(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the asking body's node: the provider's answer, as its node vouches for it."""
    document = item.document
    answer = read_consent_answer(document.body)
    require_hosted(ctx.trust_state.current, document.sender, answer.owner_body)
    try:
        consent = ctx.uow.records.consent(answer.consent_id)
    except NotFound:
        raise Refused(f"consent {answer.consent_id} was not asked from here") from None
    stored = _held(ctx, consent.record_id)
    if (
        stored is None
        or stored.holding.owner_body != answer.owner_body
        or (consent.record_id, consent.body_id) != (answer.record_id, answer.body_id)
    ):
        raise Refused(f"consent {answer.consent_id}: not a consent {answer.owner_body} answers")
    if consent.state is not ConsentState.REQUESTED:
        return Result("unchanged", f"consent {consent.id} was {consent.state.value} already")
    actor = remote_officer(answer.answered_by, document.sender, answer.owner_body, _OFFICER)
    ctx.uow.records.answer_consent(
        consent.id, state=answer.state, answered_by=actor.id, at=answer.answered_at,
        reason=answer.reason, valid_until=answer.valid_until,
    )  # fmt: skip
    _audit(ctx, item, actor, f"record_consent:{answer.state.value}", consent.id,
           {"record_id": consent.record_id, "purpose": consent.purpose.value},
           "record_consent")  # fmt: skip
    return Result("applied", f"consent {consent.id} {answer.state.value}")


RECORD_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.INFORMATION_SHARE: handle_share,
    DocumentType.INFORMATION_REVOCATION: handle_revocation,
    DocumentType.CONSENT_REQUEST: handle_consent_request,
    DocumentType.CONSENT_ANSWER: handle_consent_answer,
}
