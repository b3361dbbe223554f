"""Training events (Art. 5 para 4) between nodes: the host's node orders, every invited
Party's node follows (docs/training.md), as for coordinated operations.

Sending (``FederatedTrainingPeers``, the ``TrainingPeers`` of ``services.training``):

- an announcement: ``training_announcement`` to every node of an invited Party, signed by
  the host body's head or deputy who announced it;
- an action taken on the host's node, or received there and applied:
  ``training_update`` to every node of an invited Party (the one the action came from
  included: it did not apply it yet); a cancellation is signed by the head who cancelled;
- an action taken on another node (a nomination, its withdrawal): ``training_action`` to
  the host's node only.

Receiving (the handlers, in the inbox processor's transaction), each re-deciding with the
core at the time the document gives (bounded: ``require_plausible_time``). The sending node
must host the body it acts for (Art. 4): the host body for an announcement and an update,
the acting body for an action; an update names the node that vouches for its officer, which
must host the acting body. Updates apply in the host's order: one ahead of the copy waits
(``Deferred``), one behind it was applied already (``unchanged``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ozara.core.actions import HEAD
from ozara.core.parties import Officer, Party
from ozara.core.training import TrainingAction, TrainingCommand, TrainingEvent, announce, transition
from ozara.core.training_forms import parse_announcement
from ozara.crypto import KeyPair
from ozara.documents import (
    DocumentType,
    JSONObject,
    NodeKeys,
    OfficerSignature,
    TrustList,
    TrustState,
)
from ozara.services.operations import context
from ozara.services.training import audit_change, command_details
from ozara.store.repository import NotFound
from ozara.store.training import StoredEvent, TrainingRepository
from ozara.store.uow import SqlUnitOfWork

from .actors import (
    bodies_of,
    remote_officer,
    require_hosted,
    require_plausible_time,
    via,
)
from .context import Deferred, Handler, HandlerContext, InboxItem, Refused, Result
from .fanout import party_nodes, send_to_nodes
from .replicated import check_update, head_signature, require_led_here, sign_as_head, update_actor
from .requests import Unroutable, hosting_node
from .training_documents import (
    action_body,
    announcement_body,
    read_action,
    read_announcement,
)

_T = DocumentType
_SIGNED = (TrainingAction.CANCEL,)


def parties_of(trust: TrustList, node_id: str) -> frozenset[Party]:
    """The Parties a node serves, as the trust list says."""
    return frozenset(e.party for e in trust.entries_for(node_id) if e.party is not None)


# -- the sending side -------------------------------------------------------------------


@dataclass(slots=True)
class FederatedTrainingPeers:
    """``TrainingPeers`` for a node in the federation."""

    keys: NodeKeys
    trust: Callable[[], TrustState]
    #: Signatories' key pairs by officer id (the node directory's ``officers/``).
    officer_keys: Mapping[str, KeyPair] = field(default_factory=dict)

    def host_elsewhere(self, uow: SqlUnitOfWork, event: TrainingEvent) -> bool:
        return event.host_body not in bodies_of(self.trust().current, self.keys.node_id)

    def announced(
        self, uow: SqlUnitOfWork, *, event: TrainingEvent, actor: Officer, now: datetime
    ) -> None:
        trust = self.trust()
        parties = event.announcement.parties
        nodes = party_nodes(uow, trust.current, parties, self.keys.node_id, now)
        body = announcement_body(event)
        if nodes:
            signature = self._sign(uow, body, actor, event, "the announcement")
            TrainingRepository(uow.connection).set_signature(event.id, signature.to_json())
            send_to_nodes(uow, self.keys, trust, _T.TRAINING_ANNOUNCEMENT, body, nodes,
                          ("training_event", event.id), actor, now, (signature,))  # fmt: skip

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        event: TrainingEvent,
        command: TrainingCommand,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        node = hosting_node(trust.current, event.host_body, now)
        if node is None:
            raise Unroutable(f"no node hosts body {event.host_body!r}; nothing was changed")
        body = action_body(event.id, None, command, actor, self.keys.node_id, now)
        send_to_nodes(uow, self.keys, trust, _T.TRAINING_ACTION, body, {node},
                      ("training_event", event.id), actor, now)  # fmt: skip

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: TrainingEvent,
        after: TrainingEvent,
        command: TrainingCommand,
        actor: Officer,
        now: datetime,
    ) -> None:
        self.relay(uow, before=before, after=after, command=command, actor=actor,
                   vouched=(actor.id, self.keys.node_id), now=now)  # fmt: skip

    def relay(
        self,
        uow: SqlUnitOfWork,
        *,
        before: TrainingEvent,
        after: TrainingEvent,
        command: TrainingCommand,
        actor: Officer,
        vouched: tuple[str, str],
        now: datetime,
    ) -> None:
        """Send the applied action to every invited Party's node: ``vouched`` is the officer
        id as their own node knows it and that node."""
        trust = self.trust()
        nodes: set[str] = set()
        for party in after.announcement.parties:
            try:
                nodes |= party_nodes(uow, trust.current, [party], self.keys.node_id, now)
            except Unroutable:  # a Party that lost its node since: the others still follow
                continue
        if not nodes:
            return
        officer = Officer(vouched[0], actor.name, actor.body_id, actor.roles)
        body = action_body(after.id, before.version, command, officer, vouched[1], now)
        signatures: tuple[OfficerSignature, ...] = ()
        if command.action in _SIGNED:
            signatures = (self._sign(uow, body, actor, after, "the cancellation"),)
        send_to_nodes(uow, self.keys, trust, _T.TRAINING_UPDATE, body, nodes,
                      ("training_event", after.id), actor, now, signatures)  # fmt: skip

    def _sign(
        self, uow: SqlUnitOfWork, body: JSONObject, actor: Officer, event: TrainingEvent,
        what: str,
    ) -> OfficerSignature:  # fmt: skip
        return sign_as_head(
            self.officer_keys, self.keys.node_id, actor, body,
            f"{what} of training event {event.id} leaving the node is signed by the head of "
            "the host body or a deputy (Art. 5 para 4)",
        )  # fmt: skip


# -- the receiving side -----------------------------------------------------------------


def _held(ctx: HandlerContext, event_id: str) -> StoredEvent | None:
    try:
        return TrainingRepository(ctx.uow.connection).get(event_id)
    except NotFound:
        return None


def handle_announcement(ctx: HandlerContext, item: InboxItem) -> Result:
    """On an invited Party's node: the event, built again by the core here."""
    document = item.document
    body = read_announcement(document.body)
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, body.host_body)
    require_plausible_time(body.created_at, now=ctx.now, not_before=None, what="the event")
    announcement = parse_announcement(body.announcement)  # Art. 5 para 4, checked again here
    if not parties_of(trust, document.recipient) & set(announcement.parties):
        raise Refused(f"training event {body.event_id} invites no Party of {document.recipient}")
    if _held(ctx, body.event_id) is not None:
        return Result("unchanged", f"training event {body.event_id} is held already")
    signature = head_signature(
        document, body.created_by,
        f"training event {body.event_id} is not signed by {body.created_by}, head of the "
        "host body or a deputy (Art. 5 para 4)",
    )  # fmt: skip
    head = remote_officer(body.created_by, document.sender, body.host_body, HEAD)
    change = announce(body.event_id, announcement, body.host_body, head, context(ctx.uow),
                      body.created_at)  # fmt: skip
    TrainingRepository(ctx.uow.connection).add(
        change.event, ctx.now, received_from=document.sender, signature=signature
    )
    parties = [p.value for p in announcement.parties]
    audit_change(ctx.uow, ctx.now, head, change.name, change.event, change.decision,
                 {"parties": parties, **via(item)})  # fmt: skip
    return Result("applied", f"training event {body.event_id} announced by {body.host_body}")


def handle_action(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the host's node: an invited body's action, decided here and sent on to all."""
    document = item.document
    body = read_action(document.body, update=False)
    stored = _held(ctx, body.event_id)
    require_led_here(
        ctx, document, actor_body=body.actor_body, actor_node=body.actor_node,
        lead_body=None if stored is None else stored.event.host_body,
        refusal=f"training event {body.event_id} is not hosted here",
    )  # fmt: skip
    assert stored is not None
    before = stored.event
    require_plausible_time(body.at, now=ctx.now, not_before=before.created_at, what="the action")
    actor = remote_officer(body.actor_id, document.sender, body.actor_body, body.actor_roles)
    change = transition(before, body.command, actor, context(ctx.uow), body.at)
    TrainingRepository(ctx.uow.connection).save(change.event, before, ctx.now)
    audit_change(ctx.uow, ctx.now, actor, change.name, change.event, change.decision,
                 {**command_details(body.command), **via(item)})  # fmt: skip
    if ctx.keys is not None:
        state = ctx.trust_state
        FederatedTrainingPeers(ctx.keys, lambda: state).relay(
            ctx.uow, before=before, after=change.event, command=body.command, actor=actor,
            vouched=(body.actor_id, document.sender), now=body.at,
        )  # fmt: skip
    return Result("applied", f"training event {before.id}: {body.command.action.value}")


def handle_update(ctx: HandlerContext, item: InboxItem) -> Result:
    """On an invited Party's node: an action as the host's node applied it, replayed here."""
    document = item.document
    body = read_action(document.body, update=True)
    stored = _held(ctx, body.event_id)
    if stored is None:
        raise Deferred(f"training event {body.event_id} is not held here yet")
    copy = stored.event
    applied = check_update(
        ctx, document, body, noun="training event", file_id=copy.id, lead_body=copy.host_body,
        created_at=copy.created_at, held_version=copy.version,
    )  # fmt: skip
    if applied is not None:
        return applied
    actor = update_actor(body, document.recipient)
    if body.command.action in _SIGNED:
        head_signature(
            document, body.actor_id,
            f"the cancellation of training event {copy.id} is not signed by {body.actor_id}, "
            "head of the host body or a deputy (Art. 5 para 4)",
        )  # fmt: skip
    change = transition(copy, body.command, actor, context(ctx.uow), body.at)
    TrainingRepository(ctx.uow.connection).save(change.event, copy, ctx.now)
    audit_change(ctx.uow, ctx.now, actor, change.name, change.event, change.decision,
                 {**command_details(body.command), **via(item)})  # fmt: skip
    return Result("applied", f"training event {copy.id}: {body.command.action.value} "
                             f"-> version {change.event.version}")  # fmt: skip


TRAINING_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.TRAINING_ANNOUNCEMENT: handle_announcement,
    DocumentType.TRAINING_ACTION: handle_action,
    DocumentType.TRAINING_UPDATE: handle_update,
}
