"""The bodies of the documents that carry a coordinated operation (Art. 5 para 3) between
nodes, read strictly (one spelling per value, every key present).

``operation_proposal`` — from the lead body's node to each invited body's node; the
receiver builds the operation again with the core's ``propose``::

    {"operation_id", "lead_body", "plan": {"name", "goals", "period_from", "period_to",
     "categories", "invited"}, "created_at", "created_by"}

``operation_action`` (an invited body's node → the lead's node: an action not yet applied)
and ``operation_update`` (the lead's node → every invited body's node: an action as the
lead's node applied it, on the copy at ``version``; ``null`` in an action)::

    {"operation_id", "version" | null, "at", "actor": {"id", "body_id", "roles", "node"},
     "action", "text", "body_id" | null, "due" | null, "task_id" | null,
     "link_kind" | null, "ref" | null, "item_id" | null}

``actor.node`` is the node that hosts the acting body and vouches for the officer. The
update that closes an operation is signed by the lead body's head or deputy who wrote the
summary (an officer signature over exactly this body).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ozara.core.operations import LinkKind, Operation, OperationAction, OperationCommand, Plan
from ozara.core.parties import Officer, Role
from ozara.documents import JSONObject, JSONValue
from ozara.documents import fields as f

from .payloads import PayloadError

_PROPOSAL_KEYS = ("operation_id", "lead_body", "plan", "created_at", "created_by")
_ACTION_KEYS = (
    "operation_id", "version", "at", "actor", "action", "text", "body_id", "due", "task_id",
    "link_kind", "ref", "item_id",
)  # fmt: skip
_ACTOR_KEYS = ("id", "body_id", "roles", "node")
_MAX_ID = 64
_MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class ProposalBody:
    operation_id: str
    lead_body: str
    plan: JSONObject
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class ActionBody:
    operation_id: str
    version: int | None
    at: datetime
    actor_id: str
    actor_body: str
    actor_roles: frozenset[Role]
    actor_node: str
    command: OperationCommand


def proposal_body(operation: Operation) -> JSONObject:
    plan: Plan = operation.plan
    return {
        "operation_id": operation.id,
        "lead_body": operation.lead_body,
        "plan": {
            "name": plan.name, "goals": plan.goals,
            "period_from": plan.period_from.isoformat(), "period_to": plan.period_to.isoformat(),
            "categories": [c.value for c in plan.categories], "invited": list(plan.invited),
        },
        "created_at": f.format_time(operation.created_at),
        "created_by": operation.created_by,
    }  # fmt: skip


def action_body(  # noqa: PLR0917
    operation_id: str,
    version: int | None,
    command: OperationCommand,
    actor: Officer,
    node: str,
    at: datetime,
) -> JSONObject:
    """``actor.id`` as the acting node knows the officer (unqualified for its own)."""
    roles: list[JSONValue] = [r.value for r in sorted(actor.roles)]
    return {
        "operation_id": operation_id,
        "version": version,
        "at": f.format_time(at),
        "actor": {
            "id": actor.id, "body_id": actor.body_id or "",
            "roles": roles, "node": node,
        },
        "action": command.action.value,
        "text": command.text,
        "body_id": command.body_id,
        "due": None if command.due is None else command.due.isoformat(),
        "task_id": command.task_id,
        "link_kind": None if command.link_kind is None else command.link_kind.value,
        "ref": command.ref,
        "item_id": command.item_id,
    }  # fmt: skip


def _id(obj: JSONObject, key: str) -> str:
    value = f.get_identifier(obj, key)
    if len(value) > _MAX_ID:
        raise f.FieldError(f"{key}: at most {_MAX_ID} characters")
    return value


def _optional_id(obj: JSONObject, key: str) -> str | None:
    return None if obj.get(key) is None else _id(obj, key)


def _officer_id(obj: JSONObject, key: str) -> str:
    """An officer id as stored (``id@NODE`` for a remote one: 128 characters)."""
    value = f.get_str(obj, key, max_length=128)
    if any(c.isspace() for c in value):
        raise f.FieldError(f"{key}: expected an officer id")
    return value


def read_proposal(value: JSONObject) -> ProposalBody:
    try:
        f.check_keys(value, _PROPOSAL_KEYS, "operation_proposal")
        return ProposalBody(
            operation_id=_id(value, "operation_id"),
            lead_body=_id(value, "lead_body"),
            plan=f.get_object(value, "plan"),
            created_at=f.get_time(value, "created_at"),
            created_by=_officer_id(value, "created_by"),
        )
    except f.FieldError as exc:
        raise PayloadError(f"operation_proposal: {exc}") from None


def _enum_value(raw: JSONValue, key: str, known: list[str]) -> str:
    if not isinstance(raw, str) or raw not in known:
        raise f.FieldError(f"{key}: one of {', '.join(known)}")
    return raw


def read_action(value: JSONObject, *, update: bool) -> ActionBody:
    where = "operation_update" if update else "operation_action"
    try:
        f.check_keys(value, _ACTION_KEYS, where)
        actor = f.get_object(value, "actor")
        f.check_keys(actor, _ACTOR_KEYS, "actor")
        roles = frozenset(
            Role(_enum_value(r, "actor.roles", [x.value for x in Role]))
            for r in f.get_list(actor, "roles")
        )
        action = OperationAction(
            _enum_value(value.get("action"), "action", [a.value for a in OperationAction])
        )
        text = value.get("text")
        if not isinstance(text, str) or len(text) > _MAX_TEXT:
            raise f.FieldError(f"text: a string of at most {_MAX_TEXT}")
        kind = value.get("link_kind")
        due = value.get("due")
        command = OperationCommand(
            action=action,
            text=text,
            body_id=_optional_id(value, "body_id"),
            due=None if due is None else _date(due),
            task_id=_optional_id(value, "task_id"),
            link_kind=None
            if kind is None
            else LinkKind(_enum_value(kind, "link_kind", [k.value for k in LinkKind])),
            ref=_optional_id(value, "ref"),
            item_id=_optional_id(value, "item_id"),
        )
        version = value.get("version")
        if update:
            version = f.get_int(value, "version", minimum=1)
        elif version is not None:
            raise f.FieldError("version: null in an action (the lead's node orders them)")
        return ActionBody(
            operation_id=_id(value, "operation_id"),
            version=version,
            at=f.get_time(value, "at"),
            actor_id=_officer_id(actor, "id"),
            actor_body=_id(actor, "body_id"),
            actor_roles=roles,
            actor_node=f.get_identifier(actor, "node"),
            command=command,
        )
    except f.FieldError as exc:
        raise PayloadError(f"{where}: {exc}") from None


def _date(raw: JSONValue) -> date:
    if not isinstance(raw, str):
        raise f.FieldError("due: a date like 2026-03-01")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise f.FieldError("due: a date like 2026-03-01") from None
    if day.isoformat() != raw:
        raise f.FieldError("due: non-canonical date")
    return day
