"""Use cases for joint research projects (Art. 5 para 6).

Each function is one transaction: load, ask the core (``core.research``), store, audit,
and with ``peers`` queue the documents for the other nodes in the same transaction
(``federation.research``); with ``peers=None`` everything stays on this node.

As for coordinated operations, the lead body's node holds the project of record and orders
its changes: an action taken on another node is checked by the core there (the officer hears
at once what the Protocol forbids) and sent to the lead's node, not applied
(``Outcome(forwarded=True)``); the lead's node applies it and sends the whole project, as it
now stands, to every invited body's node (docs/research.md).

A result may attach a document of the library (``services.literature``): one the posting
body may read on this node (``art5.research_document``).

Errors: ``ProtocolError``, ``AccessDenied`` (an officer of no competent body, or of a body
the project does not involve), ``NotFound``, ``ConcurrentChange``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from ozara.core.deadlines import require_utc
from ozara.core.literature import may_read
from ozara.core.parties import Officer
from ozara.core.research import (
    Project,
    ResearchAction,
    ResearchCommand,
    ResearchState,
    allowed_actions,
    check,
    propose,
    transition,
)
from ozara.core.research_forms import parse_proposal
from ozara.core.rules import Decision, ProtocolError, violation
from ozara.services.joint import audit_file_change, audit_viewed, body_officer
from ozara.services.operations import context
from ozara.services.requests import AccessDenied
from ozara.store.literature import LiteratureRepository
from ozara.store.repository import NotFound
from ozara.store.research import ProjectRow, ResearchRepository
from ozara.store.uow import SqlUnitOfWork

__all__ = [
    "Outcome", "ProjectView", "ResearchPeers", "act_on_project", "list_projects",
    "propose_project", "show_project",
]  # fmt: skip


class ResearchPeers(Protocol):
    """The other nodes (``ozara.federation.research.FederatedResearchPeers``). It may raise
    to refuse the change (a body no node hosts, a signatory without a key): the transaction
    rolls back and nothing is changed."""

    def lead_elsewhere(self, uow: SqlUnitOfWork, project: Project) -> bool: ...

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        project: Project,
        command: ResearchCommand,
        actor: Officer,
        now: datetime,
    ) -> None: ...

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        project: Project,
        command: ResearchCommand | None,
        actor: Officer,
        now: datetime,
    ) -> None:
        """The project as it now stands, to every invited body's node (``command`` is
        ``None`` for the proposal)."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    project: Project
    #: The action went to the lead's node, which applies it and sends the project to all.
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class ProjectView:
    project: Project
    allowed: list[ResearchAction]
    received_from: str | None
    final_signed: bool


def _officer(uow: SqlUnitOfWork, actor_id: str) -> Officer:
    return body_officer(uow, actor_id, "research is theirs")


def audit_change(  # noqa: PLR0917
    uow: SqlUnitOfWork,
    at: datetime,
    actor: Officer,
    event: str,
    project: Project,
    decision: Decision | None,
    details: dict[str, Any] | None = None,
) -> None:
    articles = decision.articles if decision else ["Art. 5 para 6"]
    audit_file_change(uow, at, actor, event, "research", project, articles, details)


def command_details(command: ResearchCommand) -> dict[str, Any]:
    """What an audit row keeps of a command (the texts stay in the project)."""
    out: dict[str, Any] = {"action": command.action.value}
    if command.document_id is not None:
        out["document_id"] = command.document_id
    if command.item_id is not None:
        out["item_id"] = command.item_id
    return out


def propose_project(
    uow: SqlUnitOfWork,
    document: object,
    actor_id: str,
    now: datetime,
    peers: ResearchPeers | None = None,
) -> str:
    """The actor's body proposes a project to the bodies it invites; returns its id."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    proposal = parse_proposal(document)
    assert actor.body_id is not None
    change = propose(str(uuid.uuid4()), proposal, actor.body_id, actor, context(uow), now)
    project = change.project
    ResearchRepository(uow.connection).add(project, now)
    audit_change(uow, now, actor, change.event, project, change.decision,
                 {"invited": list(proposal.invited)})  # fmt: skip
    if peers is not None:
        peers.changed(uow, project=project, command=None, actor=actor, now=now)
    uow.commit()
    return project.id


def act_on_project(  # noqa: PLR0917 -- the five of every use case, and the optional peers
    uow: SqlUnitOfWork,
    project_id: str,
    command: ResearchCommand,
    actor_id: str,
    now: datetime,
    peers: ResearchPeers | None = None,
) -> Outcome:
    """Join, decline, name a researcher, post a result, complete or cancel."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    repo = ResearchRepository(uow.connection)
    before = repo.get(project_id).project
    if command.action is ResearchAction.POST_RESULT:
        command = replace(command, item_id=command.item_id or str(uuid.uuid4()))
        if command.document_id is not None:
            check(before, command, actor, context(uow), now).raise_if_denied()
            _check_document(uow, command.document_id, actor, now)
    if peers is not None and peers.lead_elsewhere(uow, before):
        decision = check(before, command, actor, context(uow), now)
        decision.raise_if_denied()
        peers.forwarded(uow, project=before, command=command, actor=actor, now=now)
        audit_change(uow, now, actor, "research:action_sent", before, decision,
                     command_details(command))  # fmt: skip
        uow.commit()
        return Outcome(before, forwarded=True)
    change = transition(before, command, actor, context(uow), now)
    repo.save(change.project, before.version, now)
    audit_change(uow, now, actor, change.event, change.project, change.decision,
                 command_details(command))  # fmt: skip
    if peers is not None:
        peers.changed(uow, project=change.project, command=command, actor=actor, now=now)
    uow.commit()
    return Outcome(change.project)


def _check_document(uow: SqlUnitOfWork, document_id: str, actor: Officer, now: datetime) -> None:
    """A result attaches only a document of the library the posting body may read here."""
    body = uow.registry.registry().get(actor.body_id or "")
    try:
        stored = LiteratureRepository(uow.connection).get(document_id)
        if body is not None and may_read(actor, body.party, stored.holding, now).allowed:
            return
    except NotFound:
        pass
    detail = f"{document_id!r} is not a document {actor.body_id} may read on this node"
    raise ProtocolError([violation("document_id", "art5.research_document", detail)])


def show_project(uow: SqlUnitOfWork, project_id: str, actor_id: str, now: datetime) -> ProjectView:
    """The project as the actor's body may see it (it leads it or is invited); audited."""
    now = require_utc(now)
    actor = _officer(uow, actor_id)
    stored = ResearchRepository(uow.connection).get(project_id)
    project = stored.project
    if not project.involves(actor.body_id):
        raise AccessDenied(f"research project {project_id} does not involve {actor.body_id}")
    view = ProjectView(
        project, allowed_actions(project, actor, context(uow), now), stored.received_from,
        stored.final_signature is not None,
    )  # fmt: skip
    audit_viewed(uow, now, actor, "research:viewed", ("research", project_id))
    uow.commit()
    return view


def list_projects(
    uow: SqlUnitOfWork, actor_id: str, *, state: ResearchState | None = None, limit: int = 100
) -> list[ProjectRow]:
    """The projects the actor's body leads or is invited to."""
    actor = _officer(uow, actor_id)
    assert actor.body_id is not None
    return ResearchRepository(uow.connection).involving(
        actor.body_id, state=state, limit=max(1, min(limit, 500))
    )
