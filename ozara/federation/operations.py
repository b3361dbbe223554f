"""Coordinated operations (Art. 5 para 3) between nodes: the lead's node orders, every
invited body's node follows (docs/operations-coordinated.md).

Sending (``FederatedOperationPeers``, the ``OperationPeers`` of ``services.operations``):

- a proposal: ``operation_proposal`` to every node that hosts an invited body;
- an action taken on the lead's node, or received there from another node and applied:
  ``operation_update`` to every node that hosts an invited body (the one the action came
  from included: it did not apply it yet). The update that closes the operation carries
  the signature of the lead body's head or deputy over exactly its body (the summary);
- an action taken on another node: ``operation_action`` to the lead's node only.

Receiving (the handlers, in the inbox processor's transaction), each re-deciding with the
core at the time the document gives (bounded: ``require_plausible_time``). The sending node
must host the body it acts for (Art. 4): the lead body for a proposal and an update, the
acting body for an action, and an update names the node that vouches for its officer, which
must host the acting body too. A proposal is built again with ``propose`` (Art. 4, 5 para 3,
16 checked here); an action and an update are replayed with ``transition``. Updates apply
in the lead's order: one ahead of the copy waits
(``Deferred``), one behind it was applied already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ozara.core.actions import OPS
from ozara.core.operation_forms import parse_plan
from ozara.core.operations import (
    Operation,
    OperationAction,
    OperationCommand,
    propose,
    transition,
)
from ozara.core.parties import Officer
from ozara.crypto import KeyPair
from ozara.documents import (
    DocumentType,
    JSONObject,
    NodeKeys,
    OfficerSignature,
    TrustList,
    TrustState,
)
from ozara.services.operations import audit_change, command_details, context
from ozara.store.operations import OperationRepository, StoredOperation
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

from .actors import (
    bodies_of,
    remote_officer,
    require_hosted,
    require_plausible_time,
    via,
)
from .context import Deferred, Handler, HandlerContext, InboxItem, Refused, Result
from .fanout import body_nodes, send_to_nodes
from .operation_documents import action_body, proposal_body, read_action, read_proposal
from .replicated import check_update, head_signature, require_led_here, sign_as_head, update_actor

_T = DocumentType


# -- the sending side -------------------------------------------------------------------


@dataclass(slots=True)
class FederatedOperationPeers:
    """``OperationPeers`` for a node in the federation."""

    keys: NodeKeys
    trust: Callable[[], TrustState]
    #: Signatories' key pairs by officer id (the node directory's ``officers/``).
    officer_keys: Mapping[str, KeyPair] = field(default_factory=dict)

    def lead_elsewhere(self, uow: SqlUnitOfWork, operation: Operation) -> bool:
        return operation.lead_body not in bodies_of(self.trust().current, self.keys.node_id)

    def proposed(
        self, uow: SqlUnitOfWork, *, operation: Operation, actor: Officer, now: datetime
    ) -> None:
        trust = self.trust()
        nodes = self._nodes(trust.current, operation.plan.invited, now, strict=True)
        body = proposal_body(operation)
        self._send(uow, trust, _T.OPERATION_PROPOSAL, body, nodes, operation.id, actor, now)

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        operation: Operation,
        command: OperationCommand,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        nodes = self._nodes(trust.current, [operation.lead_body], now, strict=True)
        body = action_body(operation.id, None, command, actor, self.keys.node_id, now)
        self._send(uow, trust, _T.OPERATION_ACTION, body, nodes, operation.id, actor, now)

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: Operation,
        after: Operation,
        command: OperationCommand,
        actor: Officer,
        now: datetime,
    ) -> None:
        self.relay(uow, before=before, after=after, command=command, actor=actor,
                   vouched=(actor.id, self.keys.node_id), now=now)  # fmt: skip

    def relay(
        self,
        uow: SqlUnitOfWork,
        *,
        before: Operation,
        after: Operation,
        command: OperationCommand,
        actor: Officer,
        vouched: tuple[str, str],
        now: datetime,
    ) -> None:
        """Send the applied action to every invited body's node: ``vouched`` is the officer
        id as their own node knows it and that node."""
        trust = self.trust()
        nodes = self._nodes(trust.current, after.plan.invited, now, strict=False)
        if not nodes:
            return
        officer = Officer(vouched[0], actor.name, actor.body_id, actor.roles)
        body = action_body(after.id, before.version, command, officer, vouched[1], now)
        signatures: tuple[OfficerSignature, ...] = ()
        if command.action is OperationAction.CLOSE:
            signatures = (self._sign(uow, body, actor, after),)
        self._send(uow, trust, _T.OPERATION_UPDATE, body, nodes, after.id, actor, now, signatures)

    def _sign(
        self, uow: SqlUnitOfWork, body: JSONObject, actor: Officer, operation: Operation
    ) -> OfficerSignature:
        signature = sign_as_head(
            self.officer_keys, self.keys.node_id, actor, body,
            "the joint summary of an operation leaving the node is signed by the head of "
            "the lead body or a deputy (Art. 5 para 3)",
        )  # fmt: skip
        OperationRepository(uow.connection).set_signature(operation.id, signature.to_json())
        return signature

    def _nodes(
        self, trust: TrustList, bodies: Iterable[str], now: datetime, *, strict: bool
    ) -> set[str]:
        """The nodes hosting these bodies, this node left out (``fanout.body_nodes``)."""
        return body_nodes(trust, bodies, self.keys.node_id, now, strict=strict)

    def _send(  # noqa: PLR0917 -- one document, many nodes
        self,
        uow: SqlUnitOfWork,
        trust: TrustState,
        doc_type: DocumentType,
        body: JSONObject,
        nodes: set[str],
        operation_id: str,
        actor: Officer,
        now: datetime,
        signatures: tuple[OfficerSignature, ...] = (),
    ) -> None:
        send_to_nodes(uow, self.keys, trust, doc_type, body, nodes,
                      ("operation", operation_id), actor, now, signatures)  # fmt: skip


# -- the receiving side -----------------------------------------------------------------


def _held(ctx: HandlerContext, operation_id: str) -> StoredOperation | None:
    try:
        return OperationRepository(ctx.uow.connection).get(operation_id)
    except NotFound:
        return None


def handle_proposal(ctx: HandlerContext, item: InboxItem) -> Result:
    """On an invited body's node: the operation, built again by the core here."""
    document = item.document
    body = read_proposal(document.body)
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, body.lead_body)
    require_plausible_time(body.created_at, now=ctx.now, not_before=None, what="the proposal")
    plan = parse_plan(body.plan)  # Art. 3, 5 para 3, checked again here
    if not bodies_of(trust, document.recipient) & set(plan.invited):
        raise Refused(f"operation {body.operation_id} invites no body of {document.recipient}")
    if _held(ctx, body.operation_id) is not None:
        return Result("unchanged", f"operation {body.operation_id} is held already")
    lead = remote_officer(body.created_by, document.sender, body.lead_body, OPS)
    change = propose(body.operation_id, plan, body.lead_body, lead, context(ctx.uow),
                     body.created_at)  # fmt: skip
    OperationRepository(ctx.uow.connection).add(
        change.operation, ctx.now, received_from=document.sender
    )
    audit_change(ctx.uow, ctx.now, lead, change.event, change.operation, change.decision,
                 {"invited": list(plan.invited), **via(item)})  # fmt: skip
    return Result("applied", f"operation {body.operation_id} proposed by {body.lead_body}")


def handle_action(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the lead's node: an invited body's action, decided here and sent on to all."""
    document = item.document
    body = read_action(document.body, update=False)
    stored = _held(ctx, body.operation_id)
    require_led_here(
        ctx, document, actor_body=body.actor_body, actor_node=body.actor_node,
        lead_body=None if stored is None else stored.operation.lead_body,
        refusal=f"operation {body.operation_id} is not led from here",
    )  # fmt: skip
    assert stored is not None
    before = stored.operation
    require_plausible_time(body.at, now=ctx.now, not_before=before.created_at, what="the action")
    actor = remote_officer(body.actor_id, document.sender, body.actor_body, body.actor_roles)
    change = transition(before, body.command, actor, context(ctx.uow), body.at)
    OperationRepository(ctx.uow.connection).save(change.operation, before, ctx.now)
    audit_change(ctx.uow, ctx.now, actor, change.event, change.operation, change.decision,
                 {**command_details(body.command), **via(item)})  # fmt: skip
    if ctx.keys is not None:
        state = ctx.trust_state
        FederatedOperationPeers(ctx.keys, lambda: state).relay(
            ctx.uow, before=before, after=change.operation, command=body.command, actor=actor,
            vouched=(body.actor_id, document.sender), now=body.at,
        )  # fmt: skip
    return Result("applied", f"operation {before.id}: {body.command.action.value}")


def handle_update(ctx: HandlerContext, item: InboxItem) -> Result:
    """On an invited body's node: an action as the lead's node applied it, replayed here."""
    document = item.document
    body = read_action(document.body, update=True)
    stored = _held(ctx, body.operation_id)
    if stored is None:
        raise Deferred(f"operation {body.operation_id} is not held here yet")
    copy = stored.operation
    applied = check_update(
        ctx, document, body, noun="operation", file_id=copy.id, lead_body=copy.lead_body,
        created_at=copy.created_at, held_version=copy.version,
    )  # fmt: skip
    if applied is not None:
        return applied
    actor = update_actor(body, document.recipient)
    signature = None
    if body.command.action is OperationAction.CLOSE:
        signature = head_signature(
            document, body.actor_id,
            f"the summary of operation {copy.id} is not signed by {body.actor_id}, head of "
            "the lead body or a deputy (Art. 5 para 3)",
        )  # fmt: skip
    change = transition(copy, body.command, actor, context(ctx.uow), body.at)
    OperationRepository(ctx.uow.connection).save(
        change.operation, copy, ctx.now, summary_signature=signature
    )
    audit_change(ctx.uow, ctx.now, actor, change.event, change.operation, change.decision,
                 {**command_details(body.command), **via(item)})  # fmt: skip
    return Result("applied", f"operation {copy.id}: {body.command.action.value} "
                             f"-> version {change.operation.version}")  # fmt: skip


OPERATION_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.OPERATION_PROPOSAL: handle_proposal,
    DocumentType.OPERATION_ACTION: handle_action,
    DocumentType.OPERATION_UPDATE: handle_update,
}
