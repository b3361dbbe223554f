"""The library of exchanged literature (Art. 5 para 6) between nodes.

Sending (``FederatedLiteraturePeers``, the ``LiteraturePeers`` of ``services.literature``),
inside the change's own transaction, one signed, sealed document per node:

- a share: ``literature_share`` with the file attached (its hash is in the body, and the
  sealed document carries the file's own hash too) to every node that hosts a designated
  body of each Party newly added;
- a withdrawal: ``literature_withdrawal`` to the nodes of every Party it was shared with.

Receiving, each checked here: the sending node hosts the owner body (Art. 4); the metadata
is parsed again (a state-secret marking is refused here too, Art. 10 para 3); the document
is shared with this node's Party, and the Protocol binds both Parties on that day (Art. 16);
the attached file has the listed hash and size, and is stored encrypted at rest. A document
held already only gains recipients; a withdrawal that arrives before its document waits for
it (``Deferred``).

Body of ``literature_share``::

    {"document_id", "owner_body", "owner_party", "meta": {...}, "file": {"filename",
     "media_type", "size", "sha256"}, "recipients": [party...], "shared_by", "shared_at",
     "created_at"}

Body of ``literature_withdrawal``::

    {"document_id", "owner_body", "withdrawn_by", "withdrawn_at", "reason"}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ozara.core.literature import FileInfo, parse_file, parse_literature
from ozara.core.parties import Officer, Party, Role
from ozara.core.rules import ProtocolError, violation
from ozara.documents import (
    Attachment,
    DocumentRejected,
    DocumentType,
    JSONObject,
    NodeKeys,
    TrustState,
    open_sealed,
)
from ozara.documents import fields as f
from ozara.store.literature import LiteratureRepository, StoredLiterature
from ozara.store.uow import SqlUnitOfWork

from .actors import bodies_of, remote_officer, require_hosted, via
from .context import Deferred, Handler, HandlerContext, InboxItem, Refused, Result
from .fanout import party_nodes, send_to_nodes
from .payloads import PayloadError

_T = DocumentType
_OFFICER = frozenset({Role.OFFICER})
_SHARE_KEYS = ("document_id", "owner_body", "owner_party", "meta", "file", "recipients",
               "shared_by", "shared_at", "created_at")  # fmt: skip
_WITHDRAWAL_KEYS = ("document_id", "owner_body", "withdrawn_by", "withdrawn_at", "reason")


@dataclass(slots=True)
class FederatedLiteraturePeers:
    keys: NodeKeys
    trust: Callable[[], TrustState]

    def shared(
        self,
        uow: SqlUnitOfWork,
        *,
        stored: StoredLiterature,
        parties: frozenset[Party],
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        nodes = party_nodes(uow, trust.current, parties, self.keys.node_id, now)
        if not nodes:
            return
        content = LiteratureRepository(uow.connection).content(stored.id, stored.file.sha256)
        file = Attachment(stored.file.filename, stored.file.media_type, content)
        body: JSONObject = {
            "document_id": stored.id, "owner_body": stored.holding.owner_body,
            "owner_party": stored.holding.owner_party.value, "meta": stored.meta.to_dict(),
            "file": stored.file.to_dict(),
            "recipients": [p.value for p in sorted(stored.holding.recipients)],
            "shared_by": actor.id, "shared_at": f.format_time(now),
            "created_at": f.format_time(stored.created_at),
        }  # fmt: skip
        send_to_nodes(uow, self.keys, trust, _T.LITERATURE_SHARE, body, nodes,
                      ("literature", stored.id), actor, now, attachments=(file,))  # fmt: skip

    def withdrawn(
        self, uow: SqlUnitOfWork, *, stored: StoredLiterature, actor: Officer, now: datetime
    ) -> None:
        trust = self.trust()
        nodes = party_nodes(uow, trust.current, stored.holding.recipients, self.keys.node_id, now)
        body: JSONObject = {
            "document_id": stored.id, "owner_body": stored.holding.owner_body,
            "withdrawn_by": actor.id, "withdrawn_at": f.format_time(now),
            "reason": stored.withdrawal_reason or "",
        }  # fmt: skip
        send_to_nodes(uow, self.keys, trust, _T.LITERATURE_WITHDRAWAL, body, nodes,
                      ("literature", stored.id), actor, now)  # fmt: skip


def _id(obj: JSONObject, key: str) -> str:
    value = f.get_identifier(obj, key)
    if len(value) > 64:
        raise f.FieldError(f"{key}: at most 64 characters")
    return value


def _party(value: object, where: str) -> Party:
    try:
        return Party(str(value))
    except ValueError:
        raise f.FieldError(f"{where}: a Party's code") from None


def handle_share(ctx: HandlerContext, item: InboxItem) -> Result:
    """A document of the library shared with this node's Party, with its file."""
    document = item.document
    try:
        f.check_keys(document.body, _SHARE_KEYS, "literature_share")
        body = document.body
        document_id, owner_body = _id(body, "document_id"), _id(body, "owner_body")
        owner_party = _party(body.get("owner_party"), "owner_party")
        recipients = {_party(p, "recipients") for p in f.get_list(body, "recipients")}
        shared_by = f.get_str(body, "shared_by", max_length=128)
        shared_at, created_at = f.get_time(body, "shared_at"), f.get_time(body, "created_at")
        raw_meta, raw_file = f.get_object(body, "meta"), f.get_object(body, "file")
    except f.FieldError as exc:
        raise PayloadError(f"literature_share: {exc}") from None
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, owner_body)
    meta = parse_literature(raw_meta, this_year=ctx.now.year)  # Art. 10 para 3 again here
    file = parse_file(raw_file)
    registry = ctx.uow.registry.registry()
    owner = registry.get(owner_body)
    if owner is None or owner.party is not owner_party:
        raise Refused(f"{owner_body} is not a body of {owner_party.value}; nothing applied")
    local = {b.party for x in bodies_of(trust, document.recipient) if (b := registry.get(x))}
    if not local & recipients:
        detail = f"not shared with {document.recipient}"
        raise ProtocolError([violation("recipients", "art5.literature_not_shared", detail)])
    treaty = ctx.uow.registry.treaty()
    unbound = [p for p in sorted({owner_party, *local}) if not treaty.is_bound(p, shared_at.date())]
    if unbound:
        raise ProtocolError([violation("recipients", "art16.in_force", p.name_en) for p in unbound])
    sender = remote_officer(shared_by, document.sender, owner_body, _OFFICER)
    repo = LiteratureRepository(ctx.uow.connection)
    if repo.exists(document_id):
        held = repo.get(document_id)
        if held.holding.owner_body != owner_body or held.file.sha256 != file.sha256:
            raise Refused(f"literature {document_id} is held here otherwise; nothing applied")
        added = repo.add_recipients(document_id, recipients, owner_body, ctx.now)
        if not added:
            return Result("unchanged", f"literature {document_id} is held already")
        _audit(ctx, item, sender, "literature:recipients_added", document_id,
               {"parties": [p.value for p in added]})  # fmt: skip
        return Result("applied", f"literature {document_id}: recipients added")
    content = _file(ctx, item, file)
    repo.add(document_id, meta, owner_body, owner_party, file, content, created_at,
             received_from=document.sender)  # fmt: skip
    repo.add_recipients(document_id, recipients, owner_body, shared_at)
    _audit(ctx, item, sender, "literature:received", document_id,
           {"sha256": file.sha256, "size": file.size})  # fmt: skip
    return Result("applied", f"literature {document_id} received ({file.size} bytes)")


def _file(ctx: HandlerContext, item: InboxItem, listed: FileInfo) -> bytes:
    """The attached file, read again from the sealed document (only this node can open it),
    with the hash and size the body lists."""
    if ctx.keys is None:
        raise Refused("this node cannot open its sealed documents here; nothing applied")
    try:
        opened = open_sealed(item.sealed, ctx.keys, ctx.trust_state, item.received_at)
    except DocumentRejected as exc:
        raise Refused(f"the attached file cannot be read again: {exc}; nothing applied") from None
    for a in opened.attachments:
        if a.sha256 == listed.sha256 and a.size == listed.size:
            return a.content
    raise Refused(f"the file {listed.sha256} is not attached as listed; nothing applied")


def handle_withdrawal(ctx: HandlerContext, item: InboxItem) -> Result:
    """The owner withdrew the document: from now on this node's officers may not read it."""
    document = item.document
    try:
        f.check_keys(document.body, _WITHDRAWAL_KEYS, "literature_withdrawal")
        body = document.body
        document_id, owner_body = _id(body, "document_id"), _id(body, "owner_body")
        withdrawn_by = f.get_str(body, "withdrawn_by", max_length=128)
        withdrawn_at = f.get_time(body, "withdrawn_at")
        reason = f.get_str(body, "reason", max_length=4000)
    except f.FieldError as exc:
        raise PayloadError(f"literature_withdrawal: {exc}") from None
    require_hosted(ctx.trust_state.current, document.sender, owner_body)
    repo = LiteratureRepository(ctx.uow.connection)
    if not repo.exists(document_id):
        raise Deferred(f"literature {document_id} is not held here yet")
    held = repo.get(document_id)
    if held.holding.owner_body != owner_body:
        raise Refused(f"literature {document_id} is not a document of {owner_body}")
    if held.holding.withdrawn_at is not None:
        return Result("unchanged", f"literature {document_id} is withdrawn already")
    repo.withdraw(document_id, at=withdrawn_at, reason=reason)
    actor = remote_officer(withdrawn_by, document.sender, owner_body, _OFFICER)
    _audit(ctx, item, actor, "literature:withdrawn", document_id, {"reason": reason})
    return Result("applied", f"literature {document_id} withdrawn")


def _audit(  # noqa: PLR0917
    ctx: HandlerContext, item: InboxItem, actor: Officer, action: str, object_id: str,
    details: dict[str, object],
) -> None:  # fmt: skip
    ctx.uow.audit.record(
        ctx.now, actor_id=actor.id, body_id=actor.body_id, action=action,
        object_type="literature", object_id=object_id, details={**details, **via(item)},
    )  # fmt: skip


LITERATURE_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.LITERATURE_SHARE: handle_share,
    DocumentType.LITERATURE_WITHDRAWAL: handle_withdrawal,
}
