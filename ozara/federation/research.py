"""Joint research projects (Art. 5 para 6) between nodes: the lead's node orders every
change and sends the whole result to all participants (docs/research.md).

Chosen over replaying each action on every copy (as operations do): a project changes
rarely and is small, so the lead's node sends the project as it now stands, with its
version, and a copy takes any newer version whole. Deliveries that overtake each other need
no waiting: an older version arriving late changes nothing.

- ``research_project`` (lead's node → every invited body's node, after the proposal and each
  change): ``{"project": <project_json>, "action": str | null}``. The document that
  completes the project is signed by the lead body's head or deputy who wrote the final
  results (an officer signature over exactly the body).
- ``research_action`` (an invited body's node → the lead's node: an action not applied yet):
  ``{"project_id", "at", "actor": {"id", "body_id", "roles", "node"}, "action", "text",
  "document_id" | null, "item_id" | null}``.

Checks on receipt, each refusal with nothing applied: the sender hosts the lead body (a
project) or the acting body (an action); a first copy is checked again with the core's
``check_proposal`` (Art. 4, 5 para 6, 16); a newer copy keeps its lead and proposal; a
completion carries the named head's signature; an action is decided again by the core's
``transition`` at the action's time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ozara.core.actions import OPS
from ozara.core.parties import Officer, Role
from ozara.core.research import (
    Project,
    ResearchAction,
    ResearchCommand,
    ResearchState,
    check_proposal,
    transition,
)
from ozara.core.research_forms import load_project, project_json
from ozara.crypto import KeyPair
from ozara.documents import (
    DocumentType,
    JSONObject,
    JSONValue,
    NodeKeys,
    OfficerSignature,
    TrustState,
)
from ozara.documents import fields as f
from ozara.services.operations import context
from ozara.services.research import audit_change, command_details
from ozara.store.research import ResearchRepository
from ozara.store.uow import SqlUnitOfWork

from .actors import (
    bodies_of,
    remote_officer,
    require_hosted,
    require_plausible_time,
    via,
)
from .context import Handler, HandlerContext, InboxItem, Refused, Result
from .fanout import body_nodes, send_to_nodes
from .payloads import PayloadError
from .replicated import head_signature, require_led_here, sign_as_head

_T = DocumentType
_ACTION_KEYS = ("project_id", "at", "actor", "action", "text", "document_id", "item_id")
_ACTOR_KEYS = ("id", "body_id", "roles", "node")


@dataclass(slots=True)
class FederatedResearchPeers:
    """``ResearchPeers`` for a node in the federation."""

    keys: NodeKeys
    trust: Callable[[], TrustState]
    #: Signatories' key pairs by officer id (the node directory's ``officers/``).
    officer_keys: Mapping[str, KeyPair] = field(default_factory=dict)

    def lead_elsewhere(self, uow: SqlUnitOfWork, project: Project) -> bool:
        return project.lead_body not in bodies_of(self.trust().current, self.keys.node_id)

    def forwarded(
        self,
        uow: SqlUnitOfWork,
        *,
        project: Project,
        command: ResearchCommand,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        nodes = body_nodes(trust.current, [project.lead_body], self.keys.node_id, now,
                           strict=True)  # fmt: skip
        roles: list[JSONValue] = [r.value for r in sorted(actor.roles)]
        body: JSONObject = {
            "project_id": project.id, "at": f.format_time(now),
            "actor": {"id": actor.id, "body_id": actor.body_id or "", "roles": roles,
                      "node": self.keys.node_id},
            "action": command.action.value, "text": command.text,
            "document_id": command.document_id, "item_id": command.item_id,
        }  # fmt: skip
        send_to_nodes(uow, self.keys, trust, _T.RESEARCH_ACTION, body, nodes,
                      ("research", project.id), actor, now)  # fmt: skip

    def changed(
        self,
        uow: SqlUnitOfWork,
        *,
        project: Project,
        command: ResearchCommand | None,
        actor: Officer,
        now: datetime,
    ) -> None:
        trust = self.trust()
        # The proposal must reach every invited body; later copies go where they can.
        strict = command is None
        nodes = body_nodes(trust.current, project.proposal.invited, self.keys.node_id, now,
                           strict=strict)  # fmt: skip
        body: JSONObject = {
            "project": project_json(project),
            "action": None if command is None else command.action.value,
        }
        signatures: tuple[OfficerSignature, ...] = ()
        if command is not None and command.action is ResearchAction.COMPLETE:
            signatures = (self._sign(uow, body, actor, project),)
        if nodes:
            send_to_nodes(uow, self.keys, trust, _T.RESEARCH_PROJECT, body, nodes,
                          ("research", project.id), actor, now, signatures)  # fmt: skip

    def _sign(
        self, uow: SqlUnitOfWork, body: JSONObject, actor: Officer, project: Project
    ) -> OfficerSignature:
        signature = sign_as_head(
            self.officer_keys, self.keys.node_id, actor, body,
            "the final results of a research project are signed by the head of the lead body "
            "or a deputy (Art. 5 para 6)",
        )  # fmt: skip
        ResearchRepository(uow.connection).set_signature(project.id, signature.to_json())
        return signature


def handle_project(ctx: HandlerContext, item: InboxItem) -> Result:
    """On an invited body's node: the project as the lead's node now holds it."""
    document = item.document
    try:
        f.check_keys(document.body, ("project", "action"), "research_project")
        project = load_project(f.get_object(document.body, "project"))
    except (f.FieldError, KeyError, TypeError, ValueError) as exc:
        raise PayloadError(f"research_project: {exc}") from None
    trust = ctx.trust_state.current
    require_hosted(trust, document.sender, project.lead_body)
    if not bodies_of(trust, document.recipient) & set(project.proposal.invited):
        raise Refused(f"research project {project.id} invites no body of {document.recipient}")
    signature = None
    if project.state is ResearchState.COMPLETED:
        signature = head_signature(
            document, None if project.final is None else project.final.signed_by,
            f"the final results of research project {project.id} are not signed by the head "
            "of the lead body or a deputy (Art. 5 para 6)",
        )  # fmt: skip
    repo = ResearchRepository(ctx.uow.connection)
    lead = remote_officer(project.created_by, document.sender, project.lead_body, OPS)
    held = repo.find(project.id)
    if held is None:
        require_plausible_time(project.created_at, now=ctx.now, not_before=None,
                               what="the proposal")  # fmt: skip
        check_proposal(project.proposal, project.lead_body, lead, context(ctx.uow),
                       project.created_at).raise_if_denied()  # fmt: skip
        repo.add(project, ctx.now, received_from=document.sender)
        if signature is not None:
            repo.set_signature(project.id, signature)
        audit_change(ctx.uow, ctx.now, lead, "research:received", project, None, via(item))
        return Result("applied", f"research project {project.id} v{project.version} received")
    copy = held.project
    if (copy.lead_body, copy.proposal, copy.created_at) != (
        project.lead_body, project.proposal, project.created_at,
    ):  # fmt: skip
        raise Refused(f"research project {project.id}: its lead or proposal changed")
    if project.version <= copy.version:
        return Result("unchanged", f"research project {project.id}: v{copy.version} held")
    repo.save(project, copy.version, ctx.now, final_signature=signature)
    details = {"action": document.body.get("action"), **via(item)}
    audit_change(ctx.uow, ctx.now, lead, "research:updated", project, None, details)
    return Result("applied", f"research project {project.id} -> v{project.version}")


def handle_action(ctx: HandlerContext, item: InboxItem) -> Result:
    """On the lead's node: an invited body's action, decided here and sent on to all."""
    document = item.document
    try:
        body = document.body
        f.check_keys(body, _ACTION_KEYS, "research_action")
        who = f.get_object(body, "actor")
        f.check_keys(who, _ACTOR_KEYS, "actor")
        roles = frozenset(Role(str(r)) for r in f.get_list(who, "roles"))
        action = ResearchAction(f.get_str(body, "action", max_length=32))
        text = f.get_str(body, "text", max_length=20_000) if body.get("text") else ""
        command = ResearchCommand(
            action, text=text, document_id=_optional(body, "document_id"),
            item_id=_optional(body, "item_id"),
        )  # fmt: skip
        project_id, at = f.get_identifier(body, "project_id"), f.get_time(body, "at")
        actor_id = f.get_str(who, "id", max_length=128)
        actor_body, actor_node = f.get_identifier(who, "body_id"), f.get_identifier(who, "node")
    except (f.FieldError, ValueError) as exc:
        raise PayloadError(f"research_action: {exc}") from None
    repo = ResearchRepository(ctx.uow.connection)
    held = repo.find(project_id)
    require_led_here(
        ctx, document, actor_body=actor_body, actor_node=actor_node,
        lead_body=None if held is None else held.project.lead_body,
        refusal=f"research project {project_id} is not led from here",
    )  # fmt: skip
    assert held is not None
    before = held.project
    require_plausible_time(at, now=ctx.now, not_before=before.created_at, what="the action")
    actor = remote_officer(actor_id, document.sender, actor_body, roles)
    change = transition(before, command, actor, context(ctx.uow), at)
    repo.save(change.project, before.version, ctx.now)
    audit_change(ctx.uow, ctx.now, actor, change.event, change.project, change.decision,
                 {**command_details(command), **via(item)})  # fmt: skip
    if ctx.keys is not None:
        state = ctx.trust_state
        FederatedResearchPeers(ctx.keys, lambda: state).changed(
            ctx.uow, project=change.project, command=command, actor=actor, now=at
        )
    return Result("applied", f"research project {before.id}: {action.value}")


def _optional(obj: JSONObject, key: str) -> str | None:
    if obj.get(key) is None:
        return None
    value = f.get_identifier(obj, key)
    if len(value) > 64:
        raise f.FieldError(f"{key}: at most 64 characters")
    return value


RESEARCH_HANDLERS: Mapping[DocumentType, Handler] = {
    DocumentType.RESEARCH_PROJECT: handle_project,
    DocumentType.RESEARCH_ACTION: handle_action,
}
