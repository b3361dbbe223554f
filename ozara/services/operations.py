"""Use cases for coordinated operations (Art. 5 para 3).

Each function is one transaction: load, ask the core (``core.operations``), store, audit,
and with ``peers`` queue the documents for the other nodes in the same transaction
(``federation.operations``); with ``peers=None`` everything stays on this node.

The lead body's node holds the operation of record and orders its actions. An action taken
on another node (an invited body accepting, a participant reporting) is checked by the core
there, so that an officer hears at once what the Protocol forbids, but it is not applied
there: it goes to the lead's node, which decides again and sends the applied action to every
invited body's node (docs/operations-coordinated.md). ``act_on_operation`` then returns the
copy unchanged, with ``forwarded`` set.

Errors: ``ProtocolError`` (a rule of Art. 4, 5 or 16), ``AccessDenied`` (an officer of no
competent body, or of a body the operation does not involve), ``NotFound``,
``ConcurrentChange``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ozara.core.deadlines import require_utc
from ozara.core.lifecycle import Context
from ozara.core.operation_forms import parse_plan
from ozara.core.operations import (
    ACTIONS,
    LinkKind,
    Operation,
    OperationAction,
    OperationCommand,
    OperationState,
    allowed_actions,
    check,
    propose,
    transition,
)
from ozara.core.parties import Officer
from ozara.core.rules import Decision, ProtocolError, violation
from ozara.services.joint import audit_file_change, audit_viewed, body_officer
from ozara.services.requests import AccessDenied
from ozara.store.operations import OperationRepository, OperationRow
from ozara.store.repository import NotFound
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "OperationPeers", "OperationView", "Outcome", "act_on_operation", "list_operations",
    "propose_operation", "show_operation",
]  # fmt: skip


class OperationPeers(Protocol):
    """The other nodes, told of every change inside the change's own transaction.

    ``ozara.federation.operations.FederatedOperationPeers`` implements it. It may raise to
    refuse the change (a body no node hosts, a signatory without a key): the transaction
    then rolls back and nothing is changed.
    """

    def lead_elsewhere(self, uow: SqlUnitOfWork, operation: Operation) -> bool:
        """Is the operation's lead body hosted by another node?"""
        ...

    def proposed(
        self, uow: SqlUnitOfWork, *, operation: Operation, actor: Officer, now: datetime
    ) -> None: ...

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        operation: Operation,
        command: OperationCommand,
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        before: Operation,
        after: Operation,
        command: OperationCommand,
        actor: Officer,
        now: datetime,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: Operation
    #: The action went to the lead's node, which applies it and sends it back to all.
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class OperationView:
    operation: Operation
    allowed: list[OperationAction]
    received_from: str | None
    summary_signed: bool


def context(uow: SqlUnitOfWork) -> Context:
    return Context(uow.registry.registry(), uow.registry.treaty())


def _officer(uow: SqlUnitOfWork, actor_id: str) -> Officer:
    return body_officer(uow, actor_id, "operations are theirs")


def audit_change(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    at: datetime,
    actor: Officer,
    event: str,
    operation: Operation,
    decision: Decision,
    details: dict[str, Any] | None = None,
) -> None:
    audit_file_change(uow, at, actor, event, "operation", operation, decision.articles, details)


def command_details(command: OperationCommand) -> dict[str, Any]:
    """What an audit row keeps of a command (the texts stay in the operation)."""
    out: dict[str, Any] = {"action": command.action.value}
    for key in ("body_id", "task_id", "ref", "item_id"):
        if (value := getattr(command, key)) is not None:
            out[key] = value
    if command.due is not None:
        out["due"] = command.due.isoformat()
    if command.link_kind is not None:
        out["link_kind"] = command.link_kind.value
    return out


def propose_operation(
    uow: SqlUnitOfWork,
    document: object,
    actor_id: str,
    now: datetime,
    peers: OperationPeers | None = None,
) -> str:
    """The actor's body proposes an operation to the bodies it invites; returns its id."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    plan = parse_plan(document)
    assert actor.body_id is not None
    change = propose(str(uuid.uuid4()), plan, actor.body_id, actor, context(uow), now)
    operation = change.operation
    OperationRepository(uow.connection).add(operation, now)
    audit_change(uow, now, actor, change.event, operation, change.decision,
                 {"invited": list(plan.invited)})  # fmt: skip
    if peers is not None:
        peers.proposed(uow, operation=operation, actor=actor, now=now)
    uow.commit()
    return operation.id


def act_on_operation(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    operation_id: str,
    command: OperationCommand,
    actor_id: str,
    now: datetime,
    peers: OperationPeers | None = None,
) -> Outcome:
    """Accept, decline, assign or complete a task, report, link, close or cancel."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    repo = OperationRepository(uow.connection)
    before = repo.get(operation_id).operation
    if command.action in (OperationAction.ASSIGN_TASK, OperationAction.REPORT):
        command = replace(command, item_id=command.item_id or str(uuid.uuid4()))
    if command.action is OperationAction.LINK:
        check(before, command, actor, context(uow), now).raise_if_denied()
        _check_link(uow, command, actor)
    if peers is not None and peers.lead_elsewhere(uow, before):
        decision = check(before, command, actor, context(uow), now)
        decision.raise_if_denied()
        peers.forwarded(uow, operation=before, command=command, actor=actor, now=now)
        audit_change(uow, now, actor, "operation:action_sent", before, decision,
                     command_details(command))  # fmt: skip
        uow.commit()
        return Outcome(before, forwarded=True)
    change = transition(before, command, actor, context(uow), now)
    repo.save(change.operation, before, now)
    audit_change(uow, now, actor, change.event, change.operation, change.decision,
                 command_details(command))  # fmt: skip
    if peers is not None:
        peers.changed(
            uow, before=before, after=change.operation, command=command, actor=actor, now=now
        )
    uow.commit()
    return Outcome(change.operation)


def _check_link(uow: SqlUnitOfWork, command: OperationCommand, actor: Officer) -> None:
    """A body links only a request it is a side of, or a record its Party holds (Art. 10)."""
    ref = command.ref or ""
    try:
        if command.link_kind is LinkKind.REQUEST:
            request = uow.requests.get(ref)
            sides = {request.content.requesting_body, request.requested_body}
            if actor.body_id in sides:
                return
        else:
            holding = uow.records.get(ref).holding
            body = uow.registry.registry().get(actor.body_id or "")
            if holding.owner_body == actor.body_id or (
                body is not None and body.party in {holding.owner_party, *holding.recipients}
            ):
                return
    except NotFound:
        pass
    kind = command.link_kind.value if command.link_kind else "item"
    detail = f"{kind} {ref!r} is not one of {actor.body_id}'s on this node"
    raise ProtocolError([violation("ref", "art5.operation_link", detail)])


def show_operation(
    uow: SqlUnitOfWork, operation_id: str, actor_id: str, now: datetime
) -> OperationView:
    """The operation as the actor's body may see it: it must lead it or be invited."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    stored = OperationRepository(uow.connection).get(operation_id)
    operation = stored.operation
    if not operation.involves(actor.body_id):
        raise AccessDenied(f"operation {operation_id} does not involve {actor.body_id}")
    view = OperationView(
        operation,
        allowed_actions(operation, actor, context(uow), now),
        stored.received_from,
        stored.summary_signature is not None,
    )
    audit_viewed(uow, now, actor, "operation:viewed", ("operation", operation_id))
    uow.commit()
    return view


def operations_of_case(
    uow: SqlUnitOfWork, kind: LinkKind, ref: str, actor_id: str
) -> list[OperationRow]:
    """The coordinated operations a request or record is linked to (Art. 5 para 3) that the
    actor's body leads or is invited to: to a body outside it an operation stays unknown, as
    its own page keeps it (an officer of no body sees none). Not audited: the case's page
    that shows the list is."""
    actor = uow.registry.officer(actor_id)
    repository = OperationRepository(uow.connection)
    linked = repository.linked_to(kind.value, ref)
    if actor.body_id is None or not linked:
        return []
    return repository.involving(actor.body_id, among=linked, limit=len(linked))


def list_operations(
    uow: SqlUnitOfWork, actor_id: str, *, state: OperationState | None = None, limit: int = 100
) -> list[OperationRow]:
    """The operations the actor's body leads or is invited to."""
    actor = _officer(uow, actor_id)
    assert actor.body_id is not None
    return OperationRepository(uow.connection).involving(
        actor.body_id, state=state, limit=max(1, min(limit, 500))
    )


def needs_text(action: OperationAction) -> bool:
    return ACTIONS[action].needs_text
